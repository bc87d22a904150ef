"""Discord interactions through the intake core."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.dispatch import CallableDispatcher
from sandbox.intake_fakes import Harness, RecordingDispatcher
from sandbox.signing import discord_headers
from shared.contracts import AlertContext

EVENTS = Path(__file__).resolve().parents[1] / "events"
CHANNEL = "1226150000000000777"
USER = "1226150000000000042"
APP = "1226161212004192356"
MISSING_ACCESS, UNKNOWN_CHANNEL, MISSING_PERMISSIONS = 50001, 10003, 50013


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def raw(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def test_ping_is_answered_with_pong() -> None:
    answer = Harness().discord(raw("discord_ping.json"))
    assert answer.status == 200 and json.loads(answer.body) == {"type": 1}


def test_snapshot_is_deferred_then_started_and_the_interaction_completed() -> None:
    h = Harness()
    answer = h.discord(raw("discord_sre_snapshot.json"))
    assert json.loads(answer.body) == {"type": 5}
    [ctx] = h.started
    assert ctx.mode == "snapshot" and ctx.platform.value == "discord" and ctx.channel == CHANNEL
    [(app, token, text)] = h.responder.completed
    assert app == "1226161212004192356" and token.startswith("aW50ZXJhY3Rpb24") and "snapshot" in text


def test_investigate_with_text() -> None:
    h = Harness()
    answer = h.discord(raw("discord_investigate.json"))
    assert json.loads(answer.body) == {"type": 5}
    [ctx] = h.started
    assert "HighLatency" in ctx.text and ctx.hints.service == "payments"


def test_investigate_message_command_uses_the_target_message() -> None:
    h = Harness()
    h.discord(raw("discord_message_command.json"))
    [ctx] = h.started
    assert ctx.thread_id == "1226166300000000555"
    assert "OOMKilled" in ctx.text and ctx.hints.pod == "checkout-7d9f-x2k4p"
    again = event("discord_message_command.json")
    again["id"] = "1226166455555555555"
    answer = h.discord(again)
    assert json.loads(answer.body)["type"] == 4  # said at once: already being investigated
    assert json.loads(answer.body)["data"]["flags"] == 64
    assert len(h.started) == 1


def test_investigate_without_text_takes_the_newest_alert_in_the_channel() -> None:
    h = Harness()
    h.discord_chat.add(
        CHANNEL,
        "1226166300000000001",
        "[FIRING:1] HighErrorRate checkout 5xx",
        at=datetime(2024, 4, 5, 19, 0, tzinfo=UTC),
    )
    h.discord_chat.add(
        CHANNEL, "1226166300000000002", "lunch anyone?", bot=False, at=datetime(2024, 4, 5, 19, 5, tzinfo=UTC)
    )
    payload = event("discord_investigate.json")
    payload["data"]["options"] = []
    h.discord(payload)
    [ctx] = h.started
    assert ctx.thread_id == "1226166300000000001" and "HighErrorRate" in ctx.text
    payload["id"] = "1226166466666666666"
    h.discord(payload)  # the same newest alert: claimed by the first
    assert len(h.started) == 1
    assert "already" in h.responder.completed[-1][2]


def test_investigate_without_text_and_no_alert_says_so() -> None:
    h = Harness()
    payload = event("discord_investigate.json")
    payload["data"]["options"] = []
    h.discord(payload)
    assert h.started == []
    assert "no alert" in h.responder.completed[-1][2]


def test_bad_or_stale_signature_is_401() -> None:
    h = Harness()
    body = raw("discord_sre_snapshot.json")
    stale = discord_headers(h.signing_key, body, int(h.clock()) - 301)
    assert h.request("/discord/interactions", body, stale).status == 401
    assert h.request("/discord/interactions", body, {}).status == 401
    good = discord_headers(h.signing_key, body, int(h.clock()))
    assert h.request("/discord/interactions", body + b" ", good).status == 401
    assert h.started == [] and h.jobs.submitted == []


def test_unsupported_and_malformed_interactions_are_400() -> None:
    h = Harness()
    modal = event("discord_sre_snapshot.json")
    modal["type"] = 5  # a modal submit: we show none
    answer = h.discord(modal)
    assert answer.status == 400 and "interaction type" in json.loads(answer.body)["error"]
    # A click on a button that is not ours is answered to the clicker alone, and does nothing.
    component = event("discord_sre_snapshot.json")
    component["type"] = 3
    answer = h.discord(component)
    assert answer.status == 200 and json.loads(answer.body)["data"]["flags"] == 64
    no_channel = event("discord_sre_snapshot.json")
    del no_channel["channel_id"]
    assert h.discord(no_channel).status == 400
    assert h.discord(b'{"type": 2}').status == 400


def test_unknown_command_is_answered_ephemerally() -> None:
    h = Harness()
    payload = event("discord_sre_snapshot.json")
    payload["data"]["name"] = "deploy"
    body = json.loads(h.discord(payload).body)
    assert body["type"] == 4 and body["data"]["flags"] == 64
    assert h.started == []


# ------------------------------------------------------------------ /sre-snapshot: who may post


def test_the_snapshot_starts_with_the_bots_message_and_the_report_follows_in_its_thread() -> None:
    h = Harness()
    h.discord(raw("discord_sre_snapshot.json"))
    [root] = h.discord_chat.posted
    assert root.channel == CHANNEL and root.thread_id is None
    assert "Snapshot" in root.text and f"<@{USER}>" in root.text  # named, never pinged
    [ctx] = h.started
    assert ctx.thread_id == root.id  # the master's notice and report go in its thread
    assert h.responder.delivered == []
    [(_app, _token, text)] = h.responder.completed
    assert "Started the snapshot" in text


@pytest.mark.parametrize("code", [MISSING_ACCESS, UNKNOWN_CHANNEL, MISSING_PERMISSIONS])
def test_a_snapshot_the_bot_cannot_post_comes_back_through_the_interaction(code: int) -> None:
    h = Harness()
    h.discord_chat.refuse = code
    answer = h.discord(raw("discord_sre_snapshot.json"))
    assert json.loads(answer.body) == {"type": 5}
    [ctx] = h.started
    assert ctx.mode == "snapshot" and ctx.channel == CHANNEL and ctx.thread_id is None
    [(app, token, messages)] = h.responder.delivered
    assert app == APP and token == event("discord_sre_snapshot.json")["token"]
    assert ctx.investigation_id in messages[0]  # the report replaces "thinking..."
    assert "View Channel" in messages[-1] and "Send Messages" in messages[-1]
    assert h.responder.completed == [] and h.discord_chat.posted == []


def test_a_long_snapshot_comes_back_through_the_interaction_in_messages_discord_takes() -> None:
    lines = [f"- finding {i:03d}: checkout pod restarted " + "x" * 60 for i in range(120)]
    report = "**Snapshot of the estate**\n" + "\n".join(lines)

    class LongReports(RecordingDispatcher):
        def report(self, ctx: AlertContext, *, timeout_s: float) -> str:
            self.dispatch(ctx)
            return report

    h = Harness(dispatcher=LongReports())
    h.discord_chat.refuse = MISSING_ACCESS
    h.discord(raw("discord_sre_snapshot.json"))
    [(_app, _token, messages)] = h.responder.delivered
    assert len(messages) > 3 and all(1 <= len(m) <= 2000 for m in messages)
    delivered = "\n".join(messages)
    assert all(line in delivered for line in lines)  # nothing lost, no line cut
    assert delivered.index("finding 000") < delivered.index("finding 119") < delivered.index("View Channel")


def test_without_a_dispatcher_that_waits_the_interaction_says_how_to_let_the_bot_in() -> None:
    h = Harness()
    started: list[AlertContext] = []
    h.worker.dispatcher = CallableDispatcher(started.append)  # hands off, cannot wait for a report
    h.discord_chat.refuse = MISSING_ACCESS
    h.discord(raw("discord_sre_snapshot.json"))
    assert started == [] and h.responder.delivered == []
    [(_app, _token, text)] = h.responder.completed
    assert "cannot post in this channel" in text and "View Channel" in text
    h.discord_chat.refuse = None  # let in: the next snapshot is not held back by the first's claim
    again = event("discord_sre_snapshot.json") | {"id": "1226166433333333333"}
    assert json.loads(h.discord(again).body) == {"type": 5}
    assert len(started) == 1


def test_a_post_failing_for_another_reason_is_a_failed_hand_off_not_a_fallback() -> None:
    h = Harness()
    h.discord_chat.refuse = 50035  # Invalid Form Body: nothing the person can fix by letting us in
    h.discord(raw("discord_sre_snapshot.json"))
    assert h.started == [] and h.responder.delivered == []
    [(_app, _token, text)] = h.responder.completed
    assert "could not start" in text


def _investigate(text: str, interaction_id: str) -> dict[str, Any]:
    payload = event("discord_investigate.json")
    payload["id"] = interaction_id
    payload["data"]["options"] = [{"name": "alert", "type": 3, "value": text}]
    return payload


def test_investigate_with_a_status_question_takes_a_snapshot_and_help_is_one_line() -> None:
    h = Harness()
    snapshot = h.discord(_investigate("is prod ok?", "1226150000000000901"))
    helped = h.discord(_investigate("what can you do?", "1226150000000000902"))

    assert json.loads(snapshot.body) == {"type": 5}
    [ctx] = h.started
    assert ctx.mode == "snapshot" and ctx.text == "is prod ok?"
    answer = json.loads(helped.body)
    assert answer["type"] == 4 and answer["data"]["content"].startswith("I investigate alerts")
