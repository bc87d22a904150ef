"""Deterministic synthesis over realistic findings from several agents, decoys included."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import (
    AgentResult,
    AgentStatus,
    AlertContext,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    RiskClass,
    Severity,
    TokenUsage,
    Trigger,
)

T = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
C, W, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


def ago(minutes: float) -> datetime:
    return T - timedelta(minutes=minutes)


def finding(
    fid: str,
    severity: Severity,
    title: str,
    *,
    relevance: float,
    at: datetime | None = None,
    cause: CauseCategory | None = None,
    change: Trigger | None = None,
    detail: str = "",
    resources: tuple[str, ...] = (),
    url: str | None = None,
) -> Finding:
    agent = fid.split(":", 1)[0]
    evidence = ()
    if url:
        evidence = (Evidence(kind=EvidenceKind.QUERY, reference=url, url=url, at=at),)
    return Finding(
        id=fid,
        agent=agent,
        severity=severity,
        title=title,
        detail=detail,
        relevance=relevance,
        first_seen=at,
        last_seen=at,
        cause_hint=cause,
        change=change,
        resources=resources,
        evidence=evidence,
    )


def ok(agent: str, *findings: Finding, ms: int = 900, usage: TokenUsage | None = None) -> AgentResult:
    return AgentResult(
        agent=agent,
        status=AgentStatus.OK if findings else AgentStatus.NO_DATA,
        findings=findings,
        duration_ms=ms,
        usage=usage or TokenUsage(),
    )


def oom_ctx() -> AlertContext:
    return build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        thread_id="1795383600.000100",
        received_at=T,
        text="<@U0SREBOT> :red_circle: [FIRING:1] KubePodCrashLooping (prod-eks)\n"
        'Pod shop/checkout-7d9f8c6b5-x2k4p (app) is in waiting state (reason: "CrashLoopBackOff").\n'
        "severity=critical namespace=shop",
    )


def oom_results() -> list[AgentResult]:
    eks = ok(
        "eks",
        finding(
            "eks:pod-oomkilled:shop/checkout-7d9f8c6b5-x2k4p",
            C,
            "Pod shop/checkout-7d9f8c6b5-x2k4p: container app OOMKilled (exit 137), 4 restarts, "
            "CrashLoopBackOff",
            relevance=1.0,
            at=ago(9),
            cause=CauseCategory.OOM,
            resources=("pod shop/checkout-7d9f8c6b5-x2k4p",),
        ),
        finding(
            "eks:rollout:shop/checkout",
            INFO,
            "Deployment shop/checkout rolled out revision 14 (image checkout:v2.3.0)",
            relevance=0.95,
            at=ago(41),
            change=Trigger.DEPLOY,
            resources=("deployment shop/checkout",),
        ),
        # Noise: another namespace, a different cause.
        finding(
            "eks:pod-restarts:kube-system/aws-node-7x2kq",
            W,
            "Pod kube-system/aws-node-7x2kq restarted 2 times",
            relevance=0.2,
            at=ago(30),
            cause=CauseCategory.NETWORK_FAILURE,
        ),
    )
    prometheus = ok(
        "prometheus",
        finding(
            "prometheus:memory-at-limit:shop/checkout-7d9f8c6b5-x2k4p/app",
            C,
            "Memory of shop/checkout-7d9f8c6b5-x2k4p/app reached 100% of its 512Mi limit",
            relevance=0.95,
            at=ago(10),
            cause=CauseCategory.OOM,
            url="http://prometheus:9090/graph?g0.expr=container_memory_working_set_bytes",
        ),
        finding(
            "prometheus:restarts:shop/checkout-7d9f8c6b5-x2k4p/app",
            W,
            "Restarts of shop/checkout-7d9f8c6b5-x2k4p/app rose from 0 to 4",
            relevance=0.9,
            at=ago(9),
        ),
        finding(
            "prometheus:disk:ip-10-0-9-9",
            W,
            "Node ip-10-0-9-9 filesystem 91% full",
            relevance=0.25,
            at=ago(200),
            cause=CauseCategory.DISK_FULL,
        ),
    )
    slack = ok(
        "slack_scanner",
        finding(
            "slack_scanner:change:C0ALERTS:1795381140.000200",
            INFO,
            "U0DEPLOY in #alerts-prod: Deploying checkout v2.3.0 to prod "
            "(PR #481: cache product images in memory)",
            relevance=0.9,
            at=ago(41),
            change=Trigger.DEPLOY,
            url="https://example.slack.com/archives/C0ALERTS/p1795381140000200",
        ),
        finding(
            "slack_scanner:message:C0ALERTS:1795372800.000100",
            INFO,
            "U0ANA in #alerts-prod: reminder: payments maintenance window tonight 22:00",
            relevance=0.1,
            at=ago(180),
        ),
    )
    logs = ok(
        "cloudwatch_logs",
        finding(
            "cloudwatch_logs:errors:checkout:1a2b3c",
            W,
            'Out of memory: 2x "java.lang.OutOfMemoryError: Java heap space" in checkout (new)',
            relevance=0.9,
            at=ago(8),
            cause=CauseCategory.OOM,
        ),
        finding(
            "cloudwatch_logs:change:checkout:4d5e6f",
            INFO,
            "Release v2.3.0 started in checkout, 39 min before",
            relevance=0.85,
            at=ago(39),
            change=Trigger.DEPLOY,
        ),
    )
    return [slack, logs, eks, prometheus]


def test_oom_after_deploy_names_the_pods_the_symptom_and_the_rollout() -> None:
    report = synthesize(oom_ctx(), oom_results(), elapsed_ms=2400)

    cause = report.cause
    assert cause.category is CauseCategory.OOM
    assert cause.trigger is Trigger.DEPLOY
    assert cause.confidence >= 0.8
    cited_agents = {report.finding(fid).agent for fid in cause.evidence}  # type: ignore[union-attr]
    assert cited_agents == {"eks", "prometheus", "cloudwatch_logs", "slack_scanner"}
    assert "OOMKilled" in cause.summary and "v2.3.0" in cause.summary and "checkout" in cause.summary
    assert "41 min before the alert" in cause.summary
    # The noise is neither cited nor named.
    assert not {"eks:pod-restarts:kube-system/aws-node-7x2kq", "prometheus:disk:ip-10-0-9-9"} & set(
        cause.evidence
    )
    assert "payments" not in cause.summary
    assert report.title == "KubePodCrashLooping on shop/checkout: Memory exhausted after a deploy"


def test_oom_report_ranks_cited_findings_first_and_builds_a_timeline() -> None:
    report = synthesize(oom_ctx(), oom_results(), elapsed_ms=2400)

    cited = set(report.cause.evidence)
    leading = [f.id for f in report.findings[: len(cited)]]
    assert set(leading) == cited
    assert report.findings[-1].id == "slack_scanner:message:C0ALERTS:1795372800.000100"
    times = [e.at for e in report.timeline]
    assert times == sorted(times)
    texts = [e.text for e in report.timeline]
    assert texts.index("Deployment shop/checkout rolled out revision 14 (image checkout:v2.3.0)") < next(
        i for i, t in enumerate(texts) if "OOMKilled" in t
    )
    assert texts[-1] == "KubePodCrashLooping received"
    assert "deployment shop/checkout" in report.affected_resources
    assert "pod shop/checkout-7d9f8c6b5-x2k4p" in report.affected_resources


def test_oom_next_steps_carry_risk_classes_and_fill_names_from_the_alert() -> None:
    steps = synthesize(oom_ctx(), oom_results()).next_steps

    risks = [s.risk for s in steps]
    assert risks == sorted(risks, key=[RiskClass.SAFE, RiskClass.NEEDS_APPROVAL, RiskClass.FORBIDDEN].index)
    commands = [s.command for s in steps if s.command]
    assert "kubectl -n shop logs checkout-7d9f8c6b5-x2k4p -c app --previous" in commands
    rollback = next(s for s in steps if s.command == "kubectl -n shop rollout undo deployment/checkout")
    assert rollback.risk is RiskClass.NEEDS_APPROVAL


def test_agent_runs_and_telemetry_sum_every_result() -> None:
    results = oom_results()
    results[0] = results[0].model_copy(
        update={"usage": TokenUsage(model="haiku", input_tokens=1200, output_tokens=300, cost_usd=0.0027)}
    )
    results[1] = results[1].model_copy(
        update={"usage": TokenUsage(model="haiku", input_tokens=800, output_tokens=100, cost_usd=0.0013)}
    )
    report = synthesize(oom_ctx(), results, elapsed_ms=2400)

    assert [(a.name, a.status, a.findings) for a in report.agents] == [
        ("slack_scanner", AgentStatus.OK, 2),
        ("cloudwatch_logs", AgentStatus.OK, 2),
        ("eks", AgentStatus.OK, 3),
        ("prometheus", AgentStatus.OK, 3),
    ]
    t = report.telemetry
    assert (t.model, t.input_tokens, t.output_tokens, t.cost_usd, t.elapsed_ms) == (
        "haiku",
        2000,
        400,
        0.004,
        2400,
    )
    assert report.posted_text == ""


def pool_ctx() -> AlertContext:
    return build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        received_at=T,
        starts_at=ago(1),
        labels={
            "alertname": "HighErrorRate",
            "namespace": "payments",
            "service": "payments-api",
            "severity": "critical",
        },
        annotations={"summary": "payments-api 5xx ratio above 5% for 5 minutes"},
        cluster_default="prod-eks",
    )


def pool_results() -> list[AgentResult]:
    return [
        ok(
            "cloudwatch_logs",
            finding(
                "cloudwatch_logs:errors:payments-api:9f8e7d",
                C,
                'Connection pool exhausted: 60x "HikariPool-1 - Connection is not available, '
                "request timed out "
                'after 30000ms (total=8, active=8, idle=0, waiting=37)" in payments-api (new)',
                relevance=0.9,
                at=ago(9),
                cause=CauseCategory.RESOURCE_POOL_EXHAUSTION,
            ),
            finding(
                "cloudwatch_logs:errors:payments-api:1c2d3e",
                W,
                'Errors: 40x "POST /v1/charges 503 30012ms" in payments-api (new)',
                relevance=0.9,
                at=ago(9),
            ),
            finding(
                "cloudwatch_logs:change:payments-api:5a6b7c",
                INFO,
                "Config reloaded: DB_POOL_MAX=8 in payments-api, 45 min before the alert",
                relevance=0.9,
                at=ago(45),
                change=Trigger.CONFIG_CHANGE,
            ),
        ),
        ok(
            "prometheus",
            finding(
                "prometheus:pool-pending:payments/payments-api",
                C,
                "hikaricp_connections_pending of payments-api rose from 0 to 37 "
                "with the pool at its max (8 of 8)",
                relevance=0.95,
                at=ago(9),
                cause=CauseCategory.RESOURCE_POOL_EXHAUSTION,
            ),
            finding(
                "prometheus:pool-max:payments/payments-api",
                INFO,
                "hikaricp_connections_max of payments-api dropped from 40 to 8",
                relevance=0.9,
                at=ago(45),
                change=Trigger.CONFIG_CHANGE,
            ),
            finding(
                "prometheus:error-ratio:payments/payments-api",
                C,
                "5xx ratio of payments-api is 31%",
                relevance=0.95,
                at=ago(9),
            ),
        ),
        ok(
            "slack_scanner",
            finding(
                "slack_scanner:change:C0ALERTS:1795380600.000100",
                INFO,
                "U0DBA in #alerts-prod: lowered payments-api DB_POOL_MAX from 40 to 8 to stay under the RDS "
                "connection limit, config pushed",
                relevance=0.9,
                at=ago(47),
                change=Trigger.CONFIG_CHANGE,
            ),
        ),
        ok(
            "eks",
            finding(
                "eks:healthy:payments/payments-api",
                INFO,
                "Deployment payments/payments-api: 3/3 ready, no restarts",
                relevance=0.95,
                at=ago(60 * 24 * 12),
                cause=CauseCategory.NO_ISSUE,
            ),
            # A decoy from another namespace with a loud severity.
            finding(
                "eks:pod-oomkilled:shop/checkout-7d9f8c6b5-x2k4p",
                C,
                "Pod shop/checkout-7d9f8c6b5-x2k4p OOMKilled",
                relevance=0.2,
                at=ago(20),
                cause=CauseCategory.OOM,
            ),
        ),
        AgentResult(
            agent="discord_scanner", status=AgentStatus.SKIPPED, notes=("no Discord channel configured",)
        ),
    ]


def test_pool_exhaustion_after_a_config_change() -> None:
    report = synthesize(pool_ctx(), pool_results())

    cause = report.cause
    assert cause.category is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert cause.trigger is Trigger.CONFIG_CHANGE
    cited = {report.finding(fid).agent for fid in cause.evidence}  # type: ignore[union-attr]
    assert {"cloudwatch_logs", "prometheus", "slack_scanner"} <= cited
    assert "eks:pod-oomkilled:shop/checkout-7d9f8c6b5-x2k4p" not in cause.evidence
    assert "OOMKilled" not in cause.summary
    assert "DB_POOL_MAX" in cause.summary and "payments-api" in cause.summary and "pool" in cause.summary
    revert = [s for s in report.next_steps if s.text.startswith("Revert the configuration change")]
    assert revert and revert[0].risk is RiskClass.NEEDS_APPROVAL


def test_a_chatty_scanner_with_many_weak_findings_does_not_outvote_agreement() -> None:
    noise = [
        finding(
            f"cloudwatch_logs:errors:redis:{i:04d}",
            W,
            f"Redis timeout {i} in cache-warmer",
            relevance=0.35,
            at=ago(20 + i),
            cause=CauseCategory.DEPENDENCY_FAILURE,
        )
        for i in range(25)
    ]
    noise.append(
        finding(
            "cloudwatch_logs:errors:batch:ffff",
            C,
            "Disk full on /var/lib/batch in reporting",
            relevance=0.25,
            at=ago(5),
            cause=CauseCategory.DISK_FULL,
        )
    )
    results = oom_results()
    results[1] = ok("cloudwatch_logs", *noise)
    # A relevant-looking deploy of another service 3 min before, and a rollout after the alert.
    results.append(
        ok(
            "discord_scanner",
            finding(
                "discord_scanner:change:1100:1",
                INFO,
                "Deploying frontend v5.2.0",
                relevance=0.2,
                at=ago(3),
                change=Trigger.DEPLOY,
            ),
            finding(
                "discord_scanner:change:1100:2",
                INFO,
                "Deploying checkout v2.3.1 hotfix",
                relevance=0.9,
                at=T + timedelta(minutes=6),
                change=Trigger.DEPLOY,
            ),
        )
    )
    report = synthesize(oom_ctx(), results)

    assert report.cause.category is CauseCategory.OOM
    assert report.cause.trigger is Trigger.DEPLOY
    assert "v2.3.0" in report.cause.summary and "v5.2.0" not in report.cause.summary
    assert not any(fid.startswith(("cloudwatch_logs:", "discord_scanner:")) for fid in report.cause.evidence)


def test_one_loud_decoy_loses_to_two_agreeing_sources() -> None:
    decoy = finding(
        "prometheus:node-notready:ip-10-0-3-17",
        C,
        "Node ip-10-0-3-17 NotReady for 2 min",
        relevance=0.45,
        at=ago(50),
        cause=CauseCategory.NODE_FAILURE,
    )
    results = [
        ok(
            "eks",
            finding(
                "eks:probe:shop/checkout",
                W,
                "Readiness probe of shop/checkout fails: HTTP 503",
                relevance=0.8,
                at=ago(6),
                cause=CauseCategory.PROBE_FAILURE,
            ),
        ),
        ok(
            "cloudwatch_logs",
            finding(
                "cloudwatch_logs:errors:checkout:aa",
                W,
                "Health check /ready returned 503",
                relevance=0.7,
                at=ago(6),
                cause=CauseCategory.PROBE_FAILURE,
            ),
        ),
        ok("prometheus", decoy),
    ]
    report = synthesize(oom_ctx(), results)

    assert report.cause.category is CauseCategory.PROBE_FAILURE
    assert decoy.id not in report.cause.evidence


def test_errors_beginning_at_a_relevant_rollout_without_other_explanation_is_a_bad_deploy() -> None:
    results = [
        ok(
            "eks",
            finding(
                "eks:rollout:shop/checkout",
                INFO,
                "Deployment shop/checkout rolled out v2.4.0",
                relevance=0.95,
                at=ago(12),
                change=Trigger.DEPLOY,
            ),
        ),
        ok(
            "cloudwatch_logs",
            finding(
                "cloudwatch_logs:errors:checkout:bb",
                C,
                'Errors: 300x "NullPointerException at CartService.total" in checkout (new)',
                relevance=0.9,
                at=ago(11),
            ),
        ),
    ]
    report = synthesize(oom_ctx(), results)

    assert report.cause.category is CauseCategory.BAD_DEPLOY
    assert report.cause.trigger is Trigger.DEPLOY
    assert set(report.cause.evidence) == {"eks:rollout:shop/checkout", "cloudwatch_logs:errors:checkout:bb"}
    assert "v2.4.0" in report.cause.summary and "NullPointerException" in report.cause.summary


def test_every_source_without_data_gives_unknown_saying_what_was_checked() -> None:
    results = [ok(a) for a in ("slack_scanner", "cloudwatch_logs", "eks", "prometheus")]
    report = synthesize(oom_ctx(), results)

    assert report.cause.category is CauseCategory.UNKNOWN
    assert report.cause.trigger is Trigger.NONE
    assert report.cause.evidence == ()
    for agent in ("slack_scanner", "cloudwatch_logs", "eks", "prometheus"):
        assert f"{agent} (no data)" in report.cause.summary
    assert all(s.risk is RiskClass.SAFE for s in report.next_steps)


def test_a_heartbeat_alert_with_healthy_sources_is_no_issue() -> None:
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        received_at=T,
        labels={"alertname": "Watchdog", "severity": "none"},
    )
    results = [
        ok("eks"),
        ok(
            "prometheus",
            finding("prometheus:up:all", INFO, "All scrape targets are up", relevance=0.5, at=ago(1)),
        ),
    ]
    report = synthesize(ctx, results)

    assert report.cause.category is CauseCategory.NO_ISSUE
    assert "heartbeat (Watchdog)" in report.cause.summary
    assert report.cause.confidence >= 0.7


def test_a_heartbeat_stays_no_issue_despite_cluster_noise_that_names_nothing_specific() -> None:
    ctx = build_alert_context(
        platform="alertmanager", channel="C0ALERTS", received_at=T, labels={"alertname": "Watchdog"}
    )
    # With no target in the alert, scanners rate what they see middling (0.5).
    results = [
        ok(
            "eks",
            finding(
                "eks:pod-restarts:batch/report-28391-x7k2p",
                W,
                "Pod batch/report-28391-x7k2p restarted 3 times",
                relevance=0.5,
                at=ago(20),
                cause=CauseCategory.OOM,
            ),
        ),
        ok("prometheus"),
    ]
    report = synthesize(ctx, results)

    assert report.cause.category is CauseCategory.NO_ISSUE
    assert "Checked: eks (ok: 1 finding, 1 pointing at a cause), prometheus (no data)" in report.cause.summary


def test_a_resolved_alert_with_only_healthy_findings_is_no_issue_but_a_live_problem_is_not() -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        received_at=T,
        text="[RESOLVED] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p",
    )
    healthy = ok(
        "eks",
        finding(
            "eks:healthy:shop/checkout",
            INFO,
            "Deployment shop/checkout: 2/2 ready",
            relevance=0.95,
            at=ago(1),
            cause=CauseCategory.NO_ISSUE,
        ),
    )
    assert synthesize(ctx, [healthy]).cause.category is CauseCategory.NO_ISSUE

    # OOMKills that ended 9 min before the resolved notice are what the alert was about: history.
    ended = synthesize(ctx, [healthy, *oom_results()])
    assert ended.cause.category is CauseCategory.NO_ISSUE
    assert "What it was: " in ended.cause.summary and "OOMKilled" in ended.cause.summary
    # Still going when the resolved notice arrived: a live problem, whatever the alert says.
    still = [
        r.model_copy(
            update={"findings": tuple(f.model_copy(update={"last_seen": ago(1)}) for f in r.findings)}
        )
        for r in oom_results()
    ]
    assert synthesize(ctx, [healthy, *still]).cause.category is CauseCategory.OOM


def test_all_sources_failing_gives_unknown_with_the_errors_and_no_secrets() -> None:
    results = [
        AgentResult(
            agent="eks",
            status=AgentStatus.ERROR,
            duration_ms=120,
            errors=("Unauthorized: token=abc123secretvalue rejected by https://k8s.local",),
        ),
        AgentResult(
            agent="prometheus",
            status=AgentStatus.TIMEOUT,
            duration_ms=45_000,
            errors=("no answer within 45 s",),
        ),
        AgentResult(
            agent="cloudwatch_logs",
            status=AgentStatus.ERROR,
            errors=("AccessDeniedException for AKIAABCDEFGHIJKLMNOP",),
        ),
    ]
    report = synthesize(oom_ctx(), results)

    assert report.cause.category is CauseCategory.UNKNOWN
    assert "prometheus (timeout: no answer within 45 s)" in report.cause.summary
    dumped = report.model_dump_json()
    assert "abc123secretvalue" not in dumped and "AKIAABCDEFGHIJKLMNOP" not in dumped
    assert [a.status for a in report.agents] == [AgentStatus.ERROR, AgentStatus.TIMEOUT, AgentStatus.ERROR]
    assert report.agents[1].duration_ms == 45_000


def test_no_results_at_all_still_makes_a_report() -> None:
    report = synthesize(oom_ctx(), [])

    assert report.cause.category is CauseCategory.UNKNOWN
    assert report.agents == () and report.findings == ()
    assert report.cause.summary == "No source answered in time, so nothing could be checked."


def test_a_late_result_replaces_the_timeout_of_the_same_agent() -> None:
    timeout = AgentResult(agent="prometheus", status=AgentStatus.TIMEOUT, errors=("deadline",))
    results = oom_results()
    report = synthesize(oom_ctx(), [timeout, *results])

    assert [a.name for a in report.agents].count("prometheus") == 1
    assert next(a for a in report.agents if a.name == "prometheus").status is AgentStatus.OK


@pytest.mark.parametrize("order", [slice(None), slice(None, None, -1)])
def test_synthesis_is_deterministic_whatever_the_arrival_order(order: slice) -> None:
    base = synthesize(oom_ctx(), oom_results())
    other = synthesize(oom_ctx(), oom_results()[order])

    assert other.cause == base.cause
    assert [f.id for f in other.findings] == [f.id for f in base.findings]
    assert other.timeline == base.timeline
    assert other.next_steps == base.next_steps


@pytest.mark.parametrize("seed", range(5))
def test_hundreds_of_weak_random_findings_change_neither_the_cause_nor_the_trigger(seed: int) -> None:
    rng = random.Random(seed)
    categories = [*CauseCategory, *[None] * 5]
    by_agent = {r.agent: list(r.findings) for r in oom_results()}
    for agent in ("eks", "prometheus", "cloudwatch_logs", "slack_scanner", "discord_scanner"):
        by_agent.setdefault(agent, []).extend(
            finding(
                f"{agent}:noise:{i}",
                rng.choice([C, W, INFO]),
                f"noise {i}",
                relevance=rng.random() * 0.45,
                at=ago(rng.randint(-10, 600)),
                cause=rng.choice(categories),
                change=rng.choice([*[None] * 8, Trigger.DEPLOY, Trigger.CONFIG_CHANGE]),
            )
            for i in range(150)
        )
    report = synthesize(oom_ctx(), [ok(agent, *found) for agent, found in by_agent.items()])

    assert report.cause.category is CauseCategory.OOM
    assert report.cause.trigger is Trigger.DEPLOY
    assert "v2.3.0" in report.cause.summary and "noise" not in report.cause.summary
    assert sum(":noise:" in fid for fid in report.cause.evidence) <= 1


def test_what_began_just_before_the_alert_outranks_the_same_thing_from_an_hour_ago() -> None:
    # Two findings alike in every way but when they began: 3 and 55 minutes before the alert.
    ctx = oom_ctx()
    recent = finding("eks:recent", W, "Pods OOMKilled", relevance=0.8, at=ago(3), cause=CauseCategory.OOM)
    older = finding(
        "prometheus:older",
        W,
        "Connections saturated",
        relevance=0.8,
        at=ago(55),
        cause=CauseCategory.NETWORK_FAILURE,
    )
    for results in (
        [ok("eks", recent), ok("prometheus", older)],
        [ok("prometheus", older), ok("eks", recent)],
    ):
        report = synthesize(ctx, results)
        assert report.cause.category is CauseCategory.OOM
        assert [f.id for f in report.findings] == ["eks:recent", "prometheus:older"]

    # Swapped times, swapped verdict: closeness alone decides it.
    recent_net = older.model_copy(update={"first_seen": ago(3), "last_seen": ago(3)})
    older_oom = recent.model_copy(update={"first_seen": ago(55), "last_seen": ago(55)})
    report = synthesize(ctx, [ok("eks", older_oom), ok("prometheus", recent_net)])
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert report.findings[0].id == "prometheus:older"


def test_closeness_is_graded_within_the_hour_and_flat_right_around_the_alert() -> None:
    from agents.master.ranking import time_factor

    ctx = oom_ctx()

    def factor(minutes: float) -> float:
        return time_factor(finding("eks:x", W, "x", relevance=0.5, at=ago(minutes)), ctx)

    assert factor(1) == factor(14) == 1.0  # the minutes right before the alert are all "now"
    assert 1.0 > factor(30) > factor(45) > factor(59) >= 0.85
