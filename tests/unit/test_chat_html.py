"""The HTML drawing of Slack and Discord messages the README's screenshots are shot from: the
report's Block Kit and embeds come out with their header, fields, buttons, links and colour, and
text from an alert stays text (no Chromium needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sandbox.chat_html import Image, Message, discord_markdown, mrkdwn, thread_page
from shared.actions import ActionSigner
from shared.contracts import (
    AlertContext,
    Cause,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    Hints,
    IncidentReport,
    Platform,
    Severity,
)
from shared.render import render_discord_parts, render_slack

AT = datetime(2026, 12, 7, 5, 57, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)>"


def report(platform: Platform) -> IncidentReport:
    ctx = AlertContext(
        investigation_id="slack-html-0001",
        platform=platform,
        channel="C0ALERTS" if platform is Platform.SLACK else "1100000000000000001",
        thread_id="1712345600.000100" if platform is Platform.SLACK else "1100000000000000002",
        labels={"alertname": "KubePodCrashLooping", "namespace": "shop", "severity": "critical"},
        received_at=AT,
        window_start=AT - timedelta(hours=1),
        window_end=AT,
        hints=Hints(alert_name="KubePodCrashLooping", severity=Severity.CRITICAL),
    )
    finding = Finding(
        id="eks:oom:1",
        agent="eks",
        severity=Severity.CRITICAL,
        title=f"checkout OOMKilled {HOSTILE}",
        evidence=(
            Evidence(
                kind=EvidenceKind.K8S_EVENT,
                reference="shop/pod/checkout-7d9f",
                url="https://console.example.com/checkout",
                at=AT - timedelta(minutes=4),
            ),
        ),
        relevance=0.9,
    )
    cause = Cause(
        category=CauseCategory.OOM,
        summary="checkout ran out of memory after the v2.3.0 rollout.",
        confidence=0.85,
        evidence=("eks:oom:1",),
    )
    return IncidentReport(
        investigation_id=ctx.investigation_id,
        alert=ctx,
        title="checkout OOMKilled",
        cause=cause,
        findings=(finding,),
    )


def tags(page: str) -> set[str]:
    return set(re.findall(r"<([a-z]+)[\s>]", page))


def test_a_slack_report_is_drawn_with_its_header_fields_and_buttons_and_no_markup_from_the_alert() -> None:
    parts = render_slack(report(Platform.SLACK), ActionSigner("k"))
    page = thread_page("slack", "alerts", [Message(text=p.text, blocks=p.blocks or ()) for p in parts])
    header = next(b for p in parts for b in p.blocks or [] if b["type"] == "header")
    assert f'<div class="header">{header["text"]["text"]}</div>' in page
    assert page.count('class="field"') >= 4  # category, trigger, confidence, started
    labels = [
        e["text"]["text"]
        for p in parts
        for b in p.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels and all(label in page for label in labels)
    assert "Silence" in " ".join(labels)
    assert "<script" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    assert tags(page) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "div",
        "span",
        "b",
        "i",
        "s",
        "a",
        "code",
        "pre",
        "br",
        "hr",
        "img",
        "u",
    }


def test_a_discord_report_is_drawn_with_its_embed_colour_fields_and_button_rows() -> None:
    parts = render_discord_parts(report(Platform.DISCORD), ActionSigner("k"))
    messages = []
    for part in parts:
        block = (part.blocks or [{}])[0]
        messages.append(
            Message(
                text=part.text, embeds=block.get("embeds") or (), components=block.get("components") or ()
            )
        )
    page = thread_page("discord", "incidents", messages)
    embed = next(e for m in messages for e in m.embeds)
    assert f"border-left-color: #{embed['color']:06x}" in page
    for field in embed.get("fields") or []:
        assert discord_markdown(field["name"]) in page
    buttons = [b for m in messages for row in m.components for b in row["components"]]
    assert buttons and all(b.get("label", "") in page for b in buttons)
    assert 'class="dbutton danger"' in page or 'class="dbutton secondary"' in page
    assert "<script" not in page and "<img src=x" not in page


def test_markdown_links_mentions_and_code() -> None:
    link = "<https://x.example/a?b=1&amp;c=2|the pod>"
    html = mrkdwn(f"*Cause* {link} by <@U1|ana> `kubectl get` :rotating_light: 1 &lt; 2")
    assert "<b>Cause</b>" in html and '<a href="https://x.example/a?b=1&amp;c=2">the pod</a>' in html
    assert '<span class="mention">@ana</span>' in html and "<code>kubectl get</code>" in html
    assert "🚨" in html and "1 &lt; 2" in html
    assert '<a href="javascript:' not in mrkdwn("<javascript:alert(1)|x>")
    drawn = discord_markdown("**Cause** [runbook](https://r.example/x) `a<b` -# small\n> quoted")
    assert "<b>Cause</b>" in drawn and '<a href="https://r.example/x">runbook</a>' in drawn
    assert "<code>a&lt;b</code>" in drawn and '<span class="quote">quoted</span>' in drawn


def test_an_uploaded_png_is_embedded_in_the_page() -> None:
    page = thread_page("slack", "alerts", [Message(images=(Image(b"\x89PNG\r\n", "What moved", 'alt "x"'),))])
    assert 'src="data:image/png;base64,iVBORw0K' in page and 'alt="alt &quot;x&quot;"' in page
