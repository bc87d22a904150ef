"""The alert message as the intake reads it back from Slack, through the real slack_sdk WebClient
against a Slack Web API on loopback: a reaction (or a mention in a thread) investigates what a
person sees in the message, attachments and blocks included, and a reaction on a reply inside a
thread finds the reply through conversations.replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.intake_fakes import Harness
from shared.chat.slack import SlackPlatform
from tests.functional.test_chat_slack import TOKEN, FakeSlackApi, Reply, api

__all__ = ["api"]  # the loopback Slack API fixture

EVENTS = Path(__file__).resolve().parents[1] / "events"
CHANNEL = "C0LAN2Q65"
ALERT_TS = "1712345600.000100"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def bot_alert_as_history_returns_it() -> dict[str, Any]:
    """The canonical Alertmanager bot message (text "", the alert in attachments), as
    conversations.history returns it."""
    message = dict(event("slack_bot_alert_message.json")["event"])
    for key in ("channel", "event_ts", "channel_type"):
        message.pop(key, None)
    return message


def harness(api: FakeSlackApi) -> Harness:
    return Harness(chats={"slack": SlackPlatform(TOKEN, api.url, timeout=5)})


def test_reaction_on_an_attachment_alert_investigates_the_attachment_text(api: FakeSlackApi) -> None:
    api.on("conversations.history", Reply(body={"ok": True, "messages": [bot_alert_as_history_returns_it()]}))
    api.on("chat.postMessage", Reply(body={"ok": True, "ts": "1712345700.000100"}))
    h = harness(api)
    h.slack(event("slack_reaction_added.json"))
    [ctx] = h.started
    assert ctx.thread_id == ALERT_TS
    assert "[FIRING:1] KubePodCrashLooping shop (checkout critical)" in ctx.text
    assert "checkout-7d9f-x2k4p is crash looping" in ctx.text
    assert ctx.hints.namespace == "shop" and ctx.hints.alert_name == "KubePodCrashLooping"


def test_mention_in_the_thread_of_a_blocks_alert_investigates_the_block_text(api: FakeSlackApi) -> None:
    parent = {
        "type": "message",
        "ts": ALERT_TS,
        "bot_id": "B0GRAFANA",
        "subtype": "bot_message",
        "text": "",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "[Alerting] Checkout 5xx error rate"}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*service:* checkout"},
                    {"type": "mrkdwn", "text": "*namespace:* shop"},
                ],
            },
        ],
        "thread_ts": ALERT_TS,
        "reply_count": 1,
    }
    api.on("conversations.history", Reply(body={"ok": True, "messages": [parent]}))
    h = harness(api)
    h.slack(event("slack_app_mention_thread.json"))
    [ctx] = h.started
    assert "[Alerting] Checkout 5xx error rate" in ctx.text and "checkout" in ctx.text
    assert ctx.operator_notes and "payments deployed" in ctx.operator_notes[0]


def test_reaction_on_a_reply_inside_a_thread_reads_it_from_the_thread(api: FakeSlackApi) -> None:
    reply_ts = "1712345650.000300"
    reply = {
        "type": "message",
        "ts": reply_ts,
        "thread_ts": ALERT_TS,
        "bot_id": "B0ALERTMGR",
        "subtype": "bot_message",
        "text": "",
        "attachments": [{"title": "[FIRING:1] PaymentsLatencyHigh payments (critical)", "fallback": "x"}],
    }
    parent = {
        "type": "message",
        "ts": ALERT_TS,
        "user": "U061F7AUR",
        "text": "deploying payments",
        "thread_ts": ALERT_TS,
        "reply_count": 1,
    }
    api.on("conversations.history", Reply(body={"ok": True, "messages": []}))  # replies are not there
    api.on("conversations.replies", Reply(body={"ok": True, "messages": [parent, reply]}))
    h = harness(api)
    reaction = event("slack_reaction_added.json")
    reaction["event"]["item"]["ts"] = reply_ts
    h.slack(reaction)
    [ctx] = h.started
    assert "PaymentsLatencyHigh" in ctx.text
    assert ctx.thread_id == ALERT_TS  # the report goes in the reply's thread
    [asked] = api.calls("conversations.replies")
    assert asked.params["ts"] == reply_ts
