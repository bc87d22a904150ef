"""Discord interactions through the intake core."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambda_adapter.fakes import Harness
from lambda_adapter.testing import discord_headers

EVENTS = Path(__file__).resolve().parents[1] / "events"
CHANNEL = "1226150000000000777"


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
    component = event("discord_sre_snapshot.json")
    component["type"] = 3
    answer = h.discord(component)
    assert answer.status == 400 and "interaction type" in json.loads(answer.body)["error"]
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
