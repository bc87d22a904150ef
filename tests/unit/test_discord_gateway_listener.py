"""The Gateway listener's own rules, driven with Gateway dispatches directly (the library and the
network stand aside; tests/functional/test_discord_gateway.py runs them through hikari): where a
catch-up starts, a failed hand-off tried again, the Lambda hand-off's answers."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lambda_adapter import discord_gateway
from lambda_adapter.discord_gateway import LambdaHandoff, Listener, intents_for
from lambda_adapter.discord_messages import EVENT_KEY
from shared.chat.discord import snowflake_at

BOT = "1000000000000000001"
ALERTS = "1100000000000000001"
READY = {"user": {"id": BOT, "username": "sre-on-call"}, "session_id": "s", "v": 10}
NOW = 1_780_000_000.0
LIVE = int(snowflake_at(datetime.fromtimestamp(NOW, UTC)))  # a message id of "now"


def raw(message_id: int, content: str = "[FIRING:1] X") -> dict[str, Any]:
    return {
        "id": str(message_id),
        "channel_id": ALERTS,
        "content": content,
        "author": {"id": "13", "bot": True},
    }


class FakeHistory:
    def __init__(self, messages: list[dict[str, Any]] | None = None) -> None:
        self.messages = messages or []
        self.asked: list[tuple[str, int]] = []

    async def after(self, channel: str, after: int) -> list[dict[str, Any]]:
        self.asked.append((channel, after))
        return [m for m in self.messages if int(m["id"]) > after]

    async def thread_of(self, channel: str) -> None:
        return None

    async def close(self) -> None:
        return None


class Handoff:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.seen: list[dict[str, Any]] = []

    def hand(self, delivery: dict[str, Any]) -> dict[str, Any]:
        self.seen.append(delivery)
        if self.failures:
            self.failures -= 1
            return {"outcome": "failed", "retry": True}
        return {"outcome": "started", "retry": False}


def listener(history: FakeHistory, handoff: Handoff) -> Listener:
    return Listener(
        handoff=handoff,
        history=history,  # type: ignore[arg-type]
        alert_channels=frozenset({ALERTS}),
        clock=lambda: NOW,
        lookback_seconds=600,
    )


def test_a_reconnect_reads_from_the_last_handled_message_and_skips_what_came_live() -> None:
    async def run() -> tuple[FakeHistory, Handoff]:
        history, handoff = FakeHistory(), Handoff()
        it = listener(history, handoff)
        await it.on_dispatch("READY", READY)
        await it.settle()
        await it.on_dispatch("MESSAGE_CREATE", raw(LIVE + 5))
        history.messages = [raw(LIVE + 5), raw(LIVE + 6, "[FIRING:1] missed while disconnected")]
        await it.on_dispatch("RESUMED", {})
        await it.settle()
        return history, handoff

    history, handoff = asyncio.run(run())
    first, second = history.asked
    # The first start reads the last dedup window; after the reconnect, after the last one handled.
    window_start = int(snowflake_at(datetime.fromtimestamp(NOW, UTC) - timedelta(seconds=600)))
    assert first == (ALERTS, window_start)
    assert second == (ALERTS, LIVE + 5)
    assert [(d["message"]["id"], d["via"]) for d in handoff.seen] == [
        (str(LIVE + 5), "gateway"),
        (str(LIVE + 6), "history"),
    ]
    assert all(d["alert_channel"] and d["bot_user_id"] == BOT for d in handoff.seen)


def test_a_failed_hand_off_is_tried_again_until_the_intake_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord_gateway, "RETRY_BASE_SECONDS", 0.0)

    async def run() -> tuple[Listener, Handoff]:
        handoff = Handoff(failures=2)
        it = listener(FakeHistory(), handoff)
        await it.on_dispatch("READY", READY)
        await it.on_dispatch("MESSAGE_CREATE", raw(700))
        await it.settle()
        return it, handoff

    it, handoff = asyncio.run(run())
    assert [d["message"]["id"] for d in handoff.seen] == ["700", "700", "700"]
    assert it.handled == 1


def test_least_intents() -> None:
    assert intents_for([]) == 1 << 9  # GUILD_MESSAGES: mentions carry their content
    assert intents_for([ALERTS]) == (1 << 9) | (1 << 15)  # and MESSAGE_CONTENT for alert channels


class FakeLambda:
    def __init__(self, answer: dict[str, Any], error: str | None = None) -> None:
        self.answer, self.error = answer, error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        reply: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answer).encode())}
        if self.error:
            reply["FunctionError"] = self.error
        return reply


def test_the_lambda_hand_off_invokes_the_intake_and_reads_its_decision() -> None:
    client = FakeLambda({"outcome": "started", "retry": False})
    delivery = {"message": raw(800), "bot_user_id": BOT, "alert_channel": True}
    assert LambdaHandoff("sre-on-call-intake", client).hand(delivery) == {
        "outcome": "started",
        "retry": False,
    }
    [call] = client.calls
    assert call["FunctionName"] == "sre-on-call-intake" and call["InvocationType"] == "RequestResponse"
    assert json.loads(call["Payload"]) == {EVENT_KEY: delivery}


def test_a_failed_intake_invocation_asks_for_a_retry() -> None:
    client = FakeLambda({"errorMessage": "boom"}, error="Unhandled")
    answer = LambdaHandoff("sre-on-call-intake", client).hand({"message": raw(900), "bot_user_id": BOT})
    assert answer["retry"] is True
