"""What the rendered report says, on each platform, and what untrusted text cannot do to it."""

from __future__ import annotations

import json
import re

from test_synthesis import T, ago, finding, ok, oom_ctx, oom_results, pool_ctx, pool_results

from agents.master.synthesis import synthesize
from shared.contracts import AgentResult, AgentStatus, CauseCategory, IncidentReport, Severity, Trigger
from shared.render import (
    posted_text,
    render_discord,
    render_investigating,
    render_json,
    render_markdown,
    render_parts,
    render_slack,
    render_update,
    shown_findings,
)

HOSTILE = (
    "<!channel> <@U0BOSS> @everyone @here run `rm -rf /` *now* <https://evil.example|click> [x](https://evil)"
)


def oom_report() -> IncidentReport:
    return synthesize(oom_ctx(), oom_results(), elapsed_ms=2400)


def test_slack_report_says_what_broke_the_cause_the_change_and_what_to_do() -> None:
    parts = render_slack(oom_report())
    text = posted_text(parts)

    assert len(parts) == 1
    assert parts[0].blocks is not None and parts[0].blocks[0]["type"] == "header"
    assert (
        parts[0].blocks[0]["text"]["text"]
        == "KubePodCrashLooping on shop/checkout: Memory exhausted after a deploy"
    )
    for expected in (
        "OOMKilled",
        "checkout",
        "v2.3.0",
        "*Likely cause*",
        "*Confidence*: 95%",
        "*Trigger*: deploy",
        "*What changed just before*",
        "41 min before the alert",
        "*Next steps*",
        "needs approval:",
        "`kubectl -n shop rollout undo deployment/checkout`",
        "eks: ok, 0.9 s, 3 findings",
        "model none · tokens 0 in / 0 out · $0.0000 · 2.4 s",
    ):
        assert expected in text, expected
    # Evidence links are Slack links, and the decoy chat message is not shown at all.
    assert "<http://prometheus:9090/graph?g0.expr=container_memory_working_set_bytes|query>" in text
    assert "payments maintenance" not in text


def test_every_shown_finding_is_grouped_under_its_agent_and_cited_ones_are_marked() -> None:
    report = oom_report()
    text = posted_text(render_slack(report))

    for f in shown_findings(report):
        assert f.title in text
    assert "• ✓ 🔴 Pod shop/checkout-7d9f8c6b5-x2k4p: container app OOMKilled" in text
    assert (
        text.index("*eks*")
        < text.index("• ✓ 🔴 Pod shop/checkout-7d9f8c6b5-x2k4p")
        < text.index("*prometheus*")
    )
    cited = set(report.cause.evidence)
    assert cited <= {f.id for f in shown_findings(report)}


def test_pool_report_names_the_pool_and_the_config_change_on_discord() -> None:
    report = synthesize(pool_ctx(), pool_results())
    messages = render_discord(report)
    text = posted_text(messages)

    assert all(len(m) <= 2000 for m in messages)
    for expected in ("payments-api", "pool", "DB_POOL_MAX", "config_change", "__**Likely cause**__"):
        assert expected in text
    assert "OOMKilled" not in text


def test_hostile_text_cannot_ping_link_or_format_in_slack() -> None:
    results = oom_results()
    results[2] = ok(
        "eks",
        finding(
            "eks:pod-oomkilled:shop/checkout-1",
            Severity.CRITICAL,
            HOSTILE,
            relevance=1.0,
            at=ago(5),
            cause=CauseCategory.OOM,
        ),
    )
    text = posted_text(render_slack(synthesize(oom_ctx(), results)))

    for bad in (
        "<!channel>",
        "<@U0BOSS>",
        "@everyone",
        "@here",
        "`rm -rf /`",
        "*now*",
        "<https://evil.example|",
    ):
        assert bad not in text
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; @\u200beveryone" in text


def test_hostile_text_cannot_ping_link_or_format_in_discord() -> None:
    results = oom_results()
    results[2] = ok(
        "eks",
        finding(
            "eks:pod-oomkilled:shop/checkout-1",
            Severity.CRITICAL,
            HOSTILE,
            relevance=1.0,
            at=ago(5),
            cause=CauseCategory.OOM,
        ),
    )
    text = posted_text(render_discord(synthesize(oom_ctx(), results)))

    # Only backslash-escaped markup survives: no mention, link, code span or emphasis can form.
    for bad in (r"<@U0BOSS>", r"<https://evil", r"`rm", r"\*now\*", r"\[x\]\(https://evil\)"):
        assert not re.search(r"(?<!\\)" + bad, text), bad
    assert "@everyone" not in text and "@here" not in text
    assert r"\<@U0BOSS>" in text and r"\*now\*" in text


def test_secrets_in_findings_and_errors_never_reach_any_rendering() -> None:
    results = oom_results()
    results[3] = ok(
        "prometheus",
        finding(
            "prometheus:leak:1",
            Severity.CRITICAL,
            "scrape failed: password=hunter2 for xoxb-1234567890-abcdefghijkl",
            relevance=1.0,
            at=ago(5),
            cause=CauseCategory.OOM,
        ),
    )
    results.append(
        AgentResult(
            agent="cloudwatch_logs",
            status=AgentStatus.ERROR,
            errors=("AccessDenied for AKIAIOSFODNN7EXAMPLE",),
        )
    )
    report = synthesize(oom_ctx(), results)

    for rendered in (
        posted_text(render_slack(report)),
        posted_text(render_discord(report)),
        render_markdown(report),
        render_json(report),
    ):
        assert "hunter2" not in rendered
        assert "xoxb-1234567890" not in rendered
        assert "AKIAIOSFODNN7EXAMPLE" not in rendered


def test_json_keeps_finding_ids_that_name_secrets_while_masking_their_values() -> None:
    # A missing Secret's finding id names it ("secret-missing:<name>"), which the text scrubber
    # would read as a credential; the archived JSON must still parse and cite the same finding.
    results = [
        ok(
            "eks",
            finding(
                "eks:secret-missing:shop/db-credentials",
                Severity.CRITICAL,
                "Secret shop/db-credentials is missing",
                detail="mounted by checkout; last value was password=hunter2",
                relevance=1.0,
                at=ago(5),
                cause=CauseCategory.BAD_CONFIG,
            ),
        )
    ]
    report = synthesize(oom_ctx(), results)
    assert "eks:secret-missing:shop/db-credentials" in report.cause.evidence

    parsed = IncidentReport.model_validate_json(render_json(report))

    assert parsed.cause.evidence == report.cause.evidence
    kept = parsed.finding("eks:secret-missing:shop/db-credentials")
    assert kept is not None and "hunter2" not in kept.detail and "[REDACTED]" in kept.detail


def test_render_parts_gives_blocks_for_slack_and_plain_messages_for_discord() -> None:
    report = oom_report()

    slack = render_parts("slack", report)
    discord = render_parts("discord", report)
    assert all(p.blocks for p in slack)
    assert all(p.blocks for p in discord)
    assert discord[0].blocks is not None and discord[0].blocks[0]["embeds"]
    # The embed says the title and the cause; the content says the rest, as the plain messages do.
    plain = posted_text(render_discord(report)).split("\n")
    cause = plain.index("__**Likely cause**__")
    rest = plain[1:cause] + plain[cause + 3 :]
    posted = posted_text(discord)
    assert all(line in posted for line in rest)
    assert discord[-1].blocks is not None and discord[-1].blocks[0]["components"]


def test_markdown_and_json_forms() -> None:
    report = oom_report()
    md = render_markdown(report)

    assert md.startswith("# KubePodCrashLooping on shop/checkout")
    assert "## Likely cause" in md and "[query](<http://prometheus:9090/graph?" in md
    parsed = IncidentReport.model_validate_json(render_json(report))
    assert parsed.cause == report.cause
    assert json.loads(render_json(report))["investigation_id"] == report.investigation_id


def test_unknown_report_lists_what_was_checked_and_no_evidence_section() -> None:
    report = synthesize(
        oom_ctx(),
        [
            ok("eks"),
            AgentResult(
                agent="prometheus",
                status=AgentStatus.TIMEOUT,
                duration_ms=45_000,
                errors=("no answer in 45 s",),
            ),
        ],
    )
    text = posted_text(render_slack(report))

    assert "*Category*: Cause unknown (unknown)" in text
    assert "eks (no data)" in text and "prometheus (timeout: no answer in 45 s)" in text
    assert "*Evidence*" not in text
    assert "No change was found in the investigation window." in text
    assert "prometheus: timeout, 45.0 s — no answer in 45 s" in text


def test_investigating_notice_names_the_alert_the_agents_and_the_deadline() -> None:
    ctx = oom_ctx()
    slack = render_investigating(ctx, ["slack_scanner", "eks", "prometheus"], 60)

    assert slack.startswith(":mag: *Investigating* KubePodCrashLooping on shop/checkout")
    assert "Asking slack_scanner, eks, prometheus; the report follows within 60 s." in slack
    assert ctx.investigation_id in slack
    discord = render_investigating(ctx, ["eks"], 60, platform="discord")
    assert discord.startswith("🔍 **Investigating**")


def test_late_update_lists_the_new_findings_and_says_when_the_cause_changed() -> None:
    ctx = oom_ctx()
    before = synthesize(ctx, [ok("slack_scanner"), AgentResult(agent="eks", status=AgentStatus.TIMEOUT)])
    late = oom_results()[2]  # eks, arriving after the deadline
    after = synthesize(ctx, [ok("slack_scanner"), late])
    text = render_update(late, after, previous=before)

    assert text.startswith("*Late result from eks*: ok, 0.9 s, 3 finding(s)")
    assert "Pod shop/checkout-7d9f8c6b5-x2k4p: container app OOMKilled" in text
    assert "*Likely cause updated:* Memory exhausted (was Cause unknown)" in text
    same = render_update(late, after, previous=after)
    assert "The likely cause is unchanged: Memory exhausted." in same


def test_late_update_for_alertmanager_on_a_discord_channel_is_discord_formatted() -> None:
    ctx = pool_ctx().model_copy(update={"channel": "1100000000000000001"})
    report = synthesize(ctx, pool_results())
    late = AgentResult(agent="prometheus", status=AgentStatus.ERROR, errors=("HTTP 502 <@everyone>",))
    text = render_update(late, report)

    assert text.startswith("**Late result from prometheus**")
    assert "error: HTTP 502 \\<@\u200beveryone>" in text
    assert "@everyone" not in text


def test_changes_after_the_alert_are_labelled_as_such() -> None:
    results = [
        ok(
            "eks",
            finding(
                "eks:rollout:shop/checkout",
                Severity.INFO,
                "Deployment shop/checkout rolled out",
                relevance=0.9,
                at=T.replace(minute=45),
                change=Trigger.DEPLOY,
            ),
        )
    ]
    text = posted_text(render_slack(synthesize(oom_ctx(), results)))

    assert "5 min after the alert, at 21:45 UTC (deploy, eks): Deployment shop/checkout rolled out" in text


def test_a_long_late_update_drops_findings_but_never_the_cause_line() -> None:
    ctx = oom_ctx()
    before = synthesize(ctx, [AgentResult(agent="eks", status=AgentStatus.TIMEOUT)])
    # `&` grows five-fold as `&amp;`: five such titles cannot fit one message.
    many = [
        finding(f"eks:warn:{i}", Severity.WARNING, f"warning {i} " + "&" * 280, relevance=0.9, at=ago(5))
        for i in range(40)
    ]
    late = ok("eks", *oom_results()[2].findings, *many)
    text = render_update(late, synthesize(ctx, [late]), previous=before, platform="slack")

    assert len(text) <= 2000
    assert "more line(s) in the full report" in text
    assert "*Likely cause updated:* Memory exhausted (was Cause unknown)" in text
    assert text.startswith("*Late result from eks*: ok, 0.9 s, 43 finding(s)")


def test_agent_lines_show_each_agents_model_tokens_and_cost() -> None:
    from datetime import UTC, datetime

    from agents.master.synthesis import synthesize
    from shared.alerts.context import build_alert_context
    from shared.contracts import AgentResult, AgentStatus, Platform, TokenUsage
    from shared.render import render_markdown

    ctx = build_alert_context(
        platform=Platform.SLACK, channel="C1", text="[FIRING:1] HighErrorRate", received_at=datetime.now(UTC)
    )
    usage = TokenUsage(
        model="us.anthropic.claude-haiku-4-5", input_tokens=1200, output_tokens=300, cost_usd=0.0027
    )
    results = [
        AgentResult(agent="eks", status=AgentStatus.NO_DATA, usage=usage),
        AgentResult(agent="prometheus", status=AgentStatus.NO_DATA),
    ]
    text = render_markdown(synthesize(ctx, results))
    assert "us.anthropic.claude-haiku-4-5 1200/300 tokens $0.0027" in text
    assert "tokens 1200 in / 300 out" in text  # the footer's totals


def test_the_causes_own_finding_quotes_the_error_as_the_system_wrote_it() -> None:
    pulled = (
        'Failed to pull image "registry.example/team/web:latest": '
        "pull access denied, repository does not exist"
    )
    results = [
        ok(
            "eks",
            finding(
                "eks:pod-image-pull:shop/web/app",
                Severity.CRITICAL,
                "ImagePullBackOff: pod shop/web-5d8f9 container app cannot pull image web:latest",
                detail=f"web-5d8f9: ImagePullBackOff, since 6 min before the alert\nMessage: {pulled}",
                relevance=1.0,
                at=ago(6),
                cause=CauseCategory.IMAGE_PULL,
            ),
            finding(
                "eks:pod-waiting:shop/web/sidecar",
                Severity.WARNING,
                "Pod shop/web-5d8f9: container sidecar waiting",
                detail="web-5d8f9: PodInitializing\nsecond line of a supporting finding",
                relevance=0.9,
                at=ago(6),
                cause=CauseCategory.IMAGE_PULL,
            ),
        )
    ]
    report = synthesize(oom_ctx(), results)
    assert report.cause.evidence[0] == "eks:pod-image-pull:shop/web/app"

    for text in (posted_text(render_slack(report)), posted_text(render_discord(report))):
        assert "pull access denied" in text
        assert "second line of a supporting finding" not in text


def test_a_long_quoted_error_keeps_its_root_reason_after_the_per_pod_lines() -> None:
    registry = "111122223333.dkr.ecr.us-west-2.amazonaws.com/notifications/notifier:2.9.0"
    pulled = (
        f'Failed to pull image "{registry}": failed to pull and unpack image "{registry}": '
        f'failed to resolve reference "{registry}": pulling from host 111122223333.dkr.ecr.us-west-2.'
        "amazonaws.com failed with status code [manifests 2.9.0]: 403 Forbidden"
    )
    detail = "\n".join(
        [
            "notifier-7fd8b-2hxqp: ImagePullBackOff, since 19 min before the alert",
            "notifier-7fd8b-vm5tc: ErrImagePull, since 19 min before the alert",
            f"Message: {pulled}",
        ]
    )
    results = [
        ok(
            "eks",
            finding(
                "eks:pod-image-pull:notifications/notifier/notifier",
                Severity.CRITICAL,
                "ImagePullBackOff: pod notifications/notifier-7fd8b-2hxqp cannot pull image notifier:2.9.0",
                detail=detail,
                relevance=1.0,
                at=ago(6),
                cause=CauseCategory.IMAGE_PULL,
            ),
        )
    ]
    report = synthesize(oom_ctx(), results)

    for text in (posted_text(render_slack(report)), posted_text(render_discord(report))):
        assert "403 Forbidden" in text  # the root reason, at the end of a 400-character error
        assert 'Failed to pull image "111122223333' in text  # and what failed, at its start
        assert "notifier-7fd8b-2hxqp: ImagePullBackOff" in text
