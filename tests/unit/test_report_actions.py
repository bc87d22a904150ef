"""The report's buttons: which are shown, what their signed values carry, and that an edited value,
another key or a value of another action does not verify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.actions import (
    RERUN,
    SILENCE,
    Action,
    ActionSigner,
    matchers_text,
    parse_custom_id,
    parse_matchers_text,
    silence_matchers,
)
from shared.contracts import AlertContext, Cause, CauseCategory, Hints, IncidentReport, Platform, Severity
from shared.render import render_discord_parts, render_slack

T = datetime(2026, 12, 7, 5, 57, tzinfo=UTC)
SIGNER = ActionSigner("unit-action-key")


def report(labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> IncidentReport:
    ctx = AlertContext(
        investigation_id="slack-0123456789abcdef",
        platform=Platform.SLACK,
        channel="C0ALERTS",
        labels=labels or {},
        annotations=annotations or {},
        received_at=T,
        alert_started_at=T - timedelta(minutes=3),
        window_start=T - timedelta(hours=1),
        window_end=T,
        hints=Hints(alert_name="HighErrorRate", severity=Severity.WARNING),
    )
    cause = Cause(category=CauseCategory.UNKNOWN, summary="Nothing found.", confidence=0.2)
    return IncidentReport(
        investigation_id=ctx.investigation_id, alert=ctx, title="HighErrorRate", cause=cause
    )


def slack_buttons(r: IncidentReport, signer: ActionSigner | None = SIGNER) -> list[dict[str, Any]]:
    blocks = render_slack(r, signer)[-1].blocks or []
    return next(b["elements"] for b in blocks if b["type"] == "actions")


def test_buttons_follow_what_the_alert_offers() -> None:
    labels = {"alertname": "HighErrorRate", "namespace": "shop", "service": "checkout", "severity": "warning"}
    annotations = {"runbook_url": "https://runbooks.example/high-error-rate", "dashboard_url": "javascript:x"}
    texts = [b["text"]["text"] for b in slack_buttons(report(labels, annotations))]
    assert texts == ["Open runbook", "Silence 1 h", "Re-run investigation", "👍", "👎"]
    # No alertname: Alertmanager could not silence it. No key: nothing that acts is offered.
    assert "Silence 1 h" not in [b["text"]["text"] for b in slack_buttons(report())]
    assert [b["text"]["text"] for b in slack_buttons(report(labels), None)] == ["👍", "👎"]


def test_the_silence_value_carries_signed_matchers_without_severity() -> None:
    labels = {"alertname": "HighErrorRate", "namespace": "shop", "pod": "p-1", "severity": "warning"}
    [silence] = [b for b in slack_buttons(report(labels)) if b["action_id"] == "sre_silence"]
    action = SIGNER.from_value(silence["value"])
    assert action == Action(
        SILENCE,
        "slack-0123456789abcdef",
        (("alertname", "HighErrorRate"), ("namespace", "shop"), ("pod", "p-1")),
    )
    assert silence["style"] == "danger" and "confirm" in silence
    assert ActionSigner("another-key").from_value(silence["value"]) is None
    assert SIGNER.from_value(silence["value"].replace("p-1", "p-2")) is None
    assert SIGNER.from_value(silence["value"].replace('"silence"', '"rerun"')) is None
    assert SIGNER.from_value("not json") is None


def test_discord_buttons_are_components_whose_ids_verify_against_the_embed() -> None:
    labels = {"alertname": "HighErrorRate", "namespace": "shop"}
    parts = render_discord_parts(report(labels), SIGNER)
    first, last = parts[0].blocks or [{}], parts[-1].blocks or [{}]
    [embed] = first[0]["embeds"]
    assert embed["color"] == 0xF79009  # warning
    assert [f["name"] for f in embed["fields"]][:4] == ["Category", "Trigger", "Confidence", "Started"]
    assert "05:54 UTC" in embed["fields"][3]["value"]
    matchers_field = next(f["value"] for f in embed["fields"] if f["name"] == "Silence matches")
    matchers = parse_matchers_text(matchers_field.strip("`"))
    ids = [b.get("custom_id") for row in last[0]["components"] for b in row["components"]]
    assert all(len(i or "") <= 100 for i in ids)
    for custom_id in ids:
        name, mac = parse_custom_id(custom_id or "") or ("", "")
        if name in (SILENCE, RERUN):
            assert SIGNER.check(
                Action(name, "slack-0123456789abcdef", matchers if name == SILENCE else ()), mac
            )


@given(
    st.dictionaries(
        st.sampled_from(["alertname", "namespace", "pod", "job", "instance"]),
        st.text(min_size=1, max_size=40),
    )
)
def test_matchers_text_reads_back_what_it_wrote(labels: dict[str, str]) -> None:
    matchers = silence_matchers(labels)
    assert parse_matchers_text(matchers_text(matchers)) == matchers
