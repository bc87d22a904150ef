"""Error templates against the baseline window, cause hints, change markers, links."""

from __future__ import annotations

from datetime import timedelta

from cwl_support import GROUP, NOW, events, findings_for, scope

from agents.cloudwatch_logs.analyzers import error_findings, where_of, windows_for
from agents.cloudwatch_logs.markers import deploy_times, marker_findings
from agents.cloudwatch_logs.reader import LogEvent
from agents.common.signatures import load_signatures
from shared.contracts import CauseCategory, EvidenceKind, Severity, Trigger

SIG = load_signatures()
HIKARI = (
    "ERROR HikariPool-1 - Connection is not available, request timed out after 30000ms (total=8, active=8)"
)


def test_windows_split_recent_from_baseline() -> None:
    windows = windows_for(scope())
    assert windows.end == NOW
    assert windows.recent_start == NOW - timedelta(minutes=18)
    assert windows.baseline_start == NOW - timedelta(minutes=60)


def test_new_error_template_with_a_cause_is_critical_and_quotes_the_line() -> None:
    evts = events(HIKARI, start=12, every_s=10, count=60) + events(
        "INFO ok 200", start=50, every_s=60, count=40
    )
    [finding] = findings_for(evts, namespace="shop", workload="api")
    assert finding.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert finding.severity is Severity.CRITICAL
    assert "60x" in finding.title and "total=8" in finding.title and "new, first seen" in finding.title
    assert "shop/api-5d4c3b2a1-qwert" in finding.title
    assert finding.first_seen == NOW - timedelta(minutes=12) and finding.relevance >= 0.9


def test_steady_background_errors_elsewhere_are_info_and_rank_low() -> None:
    evts = events(
        "ERROR s3 GetObject retry after 503 SlowDown",
        start=59,
        every_s=120,
        count=30,
        stream="reports-6b5a4c3d2-zzzzz_reporting_app",
    )
    evts += events(HIKARI, start=12, every_s=10, count=60)
    findings = findings_for(evts, namespace="shop", workload="api")
    assert findings[0].cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION
    steady = [f for f in findings if "steady" in f.title]
    assert steady and steady[0].severity is Severity.INFO and steady[0].relevance < 0.3


def test_spike_against_the_baseline_rate() -> None:
    evts = events(
        "ERROR dial tcp 10.0.3.17:5432: connect: connection refused", start=59, every_s=300, count=9
    )
    evts += events(
        "ERROR dial tcp 10.0.3.17:5432: connect: connection refused", start=15, every_s=10, count=80
    )
    [finding] = findings_for(evts, workload="api")
    assert (
        "x the rate of the previous" in finding.title
        and finding.cause_hint is CauseCategory.DEPENDENCY_FAILURE
    )


def test_code_errors_need_a_rollout_or_to_be_new() -> None:
    npe = "ERROR c.s.Coupon - java.lang.NullPointerException: Cannot invoke Coupon.discount()"
    steady = events(npe, start=59, every_s=60, count=59)
    [finding] = findings_for(steady, workload="api")
    assert finding.cause_hint is None
    after_release = events("INFO api v4.2.0 started in 7s", start=24, every_s=1, count=1) + events(
        npe, start=22, every_s=20, count=60
    )
    [finding] = findings_for(after_release, workload="api")
    assert finding.cause_hint is CauseCategory.BAD_DEPLOY


def test_evidence_links_to_the_insights_console_in_the_region() -> None:
    [finding] = findings_for(events(HIKARI, start=12, every_s=10, count=10), workload="api")
    query, line = finding.evidence[0], finding.evidence[1]
    assert (
        query.kind is EvidenceKind.QUERY
        and query.url
        and query.url.startswith(
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights"
        )
    )
    assert "Connection*20is*20not*20available" in query.url
    assert line.kind is EvidenceKind.LOG_LINE and line.excerpt == HIKARI and line.reference.startswith(GROUP)


def test_ids_are_stable_for_the_same_input() -> None:
    evts = events(HIKARI, start=12, every_s=10, count=10)
    assert [f.id for f in findings_for(evts)] == [f.id for f in findings_for(list(evts))]
    assert findings_for(evts)[0].id.startswith("cloudwatch_logs:errors:shop/api-5d4c3b2a1-qwert:")


def test_only_error_lines_inside_the_window_count() -> None:
    evts = events(HIKARI, start=120, every_s=10, count=10) + events(
        "INFO all good", start=10, every_s=10, count=10
    )
    assert findings_for(evts) == []


def test_change_markers_are_ranked_by_closeness_before_the_alert() -> None:
    evts = events("INFO  config reloaded: DB_POOL_MAX=8", start=48, every_s=1, count=1)
    evts += events("INFO  checkout v2.3.0 started in 6.1s", start=20, every_s=60, count=3)
    the_scope = scope(workload="api")
    found = marker_findings(
        evts, scope=the_scope, signatures=SIG, region="us-east-1", windows=windows_for(the_scope)
    )
    assert [f.change for f in found] == [Trigger.DEPLOY, Trigger.CONFIG_CHANGE]
    release, config = found
    assert "Release v2.3.0 started" in release.title and "17 min before the alert" in release.title
    assert "Config reloaded: DB_POOL_MAX=8" in config.title and "45 min before the alert" in config.title
    assert release.first_seen == NOW - timedelta(minutes=20)  # the first start, not the restarts


def releases(evts: list[LogEvent]) -> list[str]:
    the_scope = scope(workload="ledger-worker")
    found = marker_findings(
        evts, scope=the_scope, signatures=SIG, region="us-east-1", windows=windows_for(the_scope)
    )
    return [f.title for f in found if f.change is Trigger.DEPLOY]


def test_a_restart_logging_the_same_version_is_not_a_release() -> None:
    pod = "ledger-worker-5f6a7b8c9-d3f5g_ledger_worker"
    evts = events("INFO  ledger-worker v3.9.2 starting (restart 1)", start=34, every_s=1, count=1, stream=pod)
    evts += events("INFO  ledger-worker v3.9.2 starting (restart 2)", start=6, every_s=1, count=1, stream=pod)
    assert releases(evts) == [] and deploy_times(evts, SIG) == []
    # Rescheduled to a new pod of the same ReplicaSet, same version, no restart word: still no release.
    evts = events("INFO  ledger-worker v3.9.2 starting", start=40, every_s=1, count=1, stream=pod)
    evts += events(
        "INFO  ledger-worker v3.9.2 starting",
        start=8,
        every_s=1,
        count=1,
        stream="ledger-worker-5f6a7b8c9-zz9x8_ledger_worker",
    )
    assert len(releases(evts)) == 1 and deploy_times(evts, SIG) == [NOW - timedelta(minutes=40)]


def test_a_new_version_starting_is_a_release() -> None:
    evts = events(
        "INFO  ledger-worker v3.9.2 starting",
        start=50,
        every_s=1,
        count=1,
        stream="ledger-worker-5f6a7b8c9-d3f5g_ledger_worker",
    )
    evts += events(
        "INFO  ledger-worker v3.10.0 starting",
        start=12,
        every_s=1,
        count=1,
        stream="ledger-worker-7a8b9c0d1-k2l3m_ledger_worker",
    )
    assert [t.split(" in ")[0] for t in releases(evts)] == ["Release v3.10.0 started"]
    assert NOW - timedelta(minutes=12) in deploy_times(evts, SIG)


def test_container_insights_stream_names_become_namespace_and_pod() -> None:
    fluent_bit = (
        "ip-10-0-1-42.ec2.internal-application.var.log.containers.checkout-7d9f8c6b5-x2k4p_shop_app-"
        + "a" * 64
        + ".log"
    )
    assert where_of(LogEvent(NOW, "x", GROUP, fluent_bit)) == "shop/checkout-7d9f8c6b5-x2k4p"
    assert where_of(LogEvent(NOW, "x", "/aws/lambda/fn", "2026/11/22/[$LATEST]abc")) == "/aws/lambda/fn"


def test_lines_in_a_group_the_alert_names_are_relevant_whatever_the_stream() -> None:
    named = "/platform/billing-exports"
    evts = events(
        "[ERROR] AccessDenied when calling the PutObject operation",
        start=10,
        every_s=15,
        count=20,
        stream="2026/11/22/[$LATEST]5f1c2d3e",
        group=named,
    )
    the_scope = scope(workload="invoice-exporter", log_groups=(named,))
    windows = windows_for(the_scope)
    plain = error_findings(evts, windows=windows, scope=the_scope, signatures=SIG, region="us-east-1")
    owned = error_findings(
        evts,
        windows=windows,
        scope=the_scope,
        signatures=SIG,
        region="us-east-1",
        own_groups=frozenset({named}),
    )
    assert plain[0].relevance < 0.5 and owned[0].relevance >= 0.9
    assert owned[0].severity is Severity.CRITICAL and owned[0].cause_hint is CauseCategory.PERMISSION_DENIED


def test_an_error_differing_from_the_baseline_in_one_constant_word_is_new() -> None:
    # The same sentence with another outcome word is another error: it is new in the recent
    # window, not "steady" under the baseline's template.
    rejected = "ERROR payment processor rejected the charge: card"
    evts = events(f"{rejected} Declined", start=58, every_s=60, count=30)
    evts += events(f"{rejected} Expired", start=12, every_s=15, count=40)
    [finding] = findings_for(evts, workload="api")
    assert "Expired" in finding.title and "new, first seen" in finding.title
    assert "Template: ERROR payment processor rejected the charge: card Expired" in finding.detail
