"""How a report says times: one phrasing ("41 min before the alert, at 20:59 UTC"), no "time
unknown" before a title that says when, and no timeline line whose text contradicts its stamp."""

from __future__ import annotations

from test_synthesis import T, ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import Severity, Trigger
from shared.render import posted_text, render_discord_parts, render_markdown, render_slack


def test_a_change_is_dated_once_in_one_phrasing() -> None:
    change = finding(
        "eks:rollout:shop/checkout",
        Severity.INFO,
        "Deployment shop/checkout revision 14, rolled out 39 min before the alert: image v2.2 -> v2.3",
        relevance=0.9,
        at=ago(41),
        change=Trigger.DEPLOY,
    )
    text = posted_text(render_slack(synthesize(oom_ctx(), [ok("eks", change)])))
    assert (
        "41 min before the alert, at 20:59 UTC (deploy, eks): Deployment shop/checkout revision 14, "
        "rolled out: image v2.2 -&gt; v2.3" in text
    )
    assert "39 min before the alert" in text  # the evidence still quotes the finding whole


def test_a_change_without_a_time_of_its_own_is_not_called_time_unknown() -> None:
    change = finding(
        "eks:service:shop/checkout",
        Severity.INFO,
        "the Service shop/checkout changed 12 min before the alert",
        relevance=0.9,
        change=Trigger.CONFIG_CHANGE,
    )
    markdown = render_markdown(synthesize(oom_ctx(), [ok("eks", change)]))
    assert "time unknown" not in markdown
    assert "(config_change, eks): the Service shop/checkout changed 12 min before the alert" in markdown


def test_a_timeline_line_says_only_the_time_of_its_stamp() -> None:
    late = finding(
        "cloudwatch_logs:errors:checkout",
        Severity.WARNING,
        "Errors in checkout rose at 21:36 UTC",
        relevance=0.9,
        at=T.replace(minute=31),
    )
    markdown = render_markdown(synthesize(oom_ctx(), [ok("cloudwatch_logs", late)]))
    timeline = markdown.split("## Timeline")[1].split("##")[0]
    assert "21:31 UTC Errors in checkout rose (cloudwatch_logs)" in timeline
    assert "21:36" not in timeline


def test_a_split_never_separates_a_finding_from_its_link_and_marks_are_explained() -> None:
    findings = [
        finding(
            f"cloudwatch_logs:err-{i}:x",
            Severity.WARNING,
            f"Error burst {i} in checkout " + "with a long explanation " * (i % 10),
            relevance=0.9,
            at=T.replace(minute=30),
            url="https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:logs-insights"
            + "$3FqueryDetail$3D~(end~" * (10 + (i * 7) % 50),
        )
        for i in range(40)
    ]
    report = synthesize(oom_ctx(), [ok("cloudwatch_logs", *findings)])
    slack_texts = [
        block["text"]["text"]
        for part in render_slack(report)
        for block in part.blocks or []
        if block["type"] == "section" and "text" in block
    ]
    discord_texts = [part.text for part in render_discord_parts(report)]
    for texts in (slack_texts, discord_texts):
        links = 0
        for text in texts:
            lines = text.split("\n")
            for i, line in enumerate(lines):
                if "↳" in line:
                    links += 1
                    assert i > 0 and lines[i - 1].startswith("• "), line  # its finding is just above
        assert links >= 6
    # No console URL spelled out in Discord's text: a short label links to it.
    assert all(
        "console.aws.amazon.com" not in line or "](<" in line for t in discord_texts for line in t.split("\n")
    )
    footer = posted_text(render_slack(report)).split("\n")[-1]
    assert "🟠 warning" in footer
