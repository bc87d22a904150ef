"""How a report says times: one phrasing ("41 min before the alert, at 20:59 UTC"), no "time
unknown" before a title that says when, and no timeline line whose text contradicts its stamp."""

from __future__ import annotations

from test_synthesis import T, ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import Severity, Trigger
from shared.render import posted_text, render_markdown, render_slack


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
