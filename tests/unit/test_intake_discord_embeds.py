"""Discord alerts live in embeds: `/investigate` with no text finds the newest alert in the
channel's history (DiscordPlatform against the in-process Discord REST fake) and investigates
what its embed says, not its empty content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from sandbox.intake_fakes import Harness
from tests.unit.test_chat_discord import FakeDiscord

EVENTS = Path(__file__).resolve().parents[1] / "events"
CHANNEL = "1226150000000000777"


def grafana_embed_alert(mid: str) -> dict[str, Any]:
    return {
        "id": mid,
        "channel_id": CHANNEL,
        "type": 0,
        "content": "",
        "webhook_id": "1226150000000000900",
        "author": {"id": "1226150000000000900", "username": "Grafana", "bot": True},
        "embeds": [
            {
                "title": "[FIRING:1] HighLatency payments",
                "description": "p99 latency above 2s for 10 minutes",
                "fields": [
                    {"name": "namespace", "value": "shop"},
                    {"name": "service", "value": "payments"},
                ],
            }
        ],
    }


def test_investigate_without_text_finds_the_embed_alert_and_investigates_its_text() -> None:
    fake = FakeDiscord()
    chatter = {
        "id": "1226165000000000002",
        "channel_id": CHANNEL,
        "content": "lunch?",
        "author": {"id": "1226150000000000042", "username": "oncall"},
    }
    fake.on(
        "GET",
        f"/channels/{CHANNEL}/messages",
        httpx.Response(200, json=[chatter, grafana_embed_alert("1226165000000000001")]),
    )
    h = Harness(chats={"discord": fake.platform()})
    payload = json.loads((EVENTS / "discord_investigate.json").read_text())
    payload["data"]["options"] = []
    assert h.discord(payload).status == 200
    [ctx] = h.started
    assert ctx.thread_id == "1226165000000000001"
    assert "[FIRING:1] HighLatency payments" in ctx.text and "service: payments" in ctx.text
    assert ctx.hints.service == "payments"
