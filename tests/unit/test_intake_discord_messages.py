"""Discord channel messages handed in by the Gateway listener (`lambda_adapter.discord_messages`):
the Slack route's rules on Discord's message object, dedup on the message id, and the Lambda's
direct invocation that carries them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_intake_lambda import Context, runtime

from lambda_adapter.discord_messages import EVENT_KEY, accept
from lambda_adapter.handler import JOB_KEY
from sandbox.intake_fakes import Harness

__all__ = ["runtime"]

BOT = "1000000000000000001"
ALERTS = "1100000000000000001"
HOOK = "1300000000000000001"
PERSON = "2000000000000000001"
FIRING = "[FIRING:1] KubePodCrashLooping shop/checkout (critical)\nnamespace=shop service=checkout"


def message(
    content: str = FIRING,
    *,
    id: str = "1250000000000000001",
    channel: str = ALERTS,
    author: str = HOOK,
    bot: bool = True,
    webhook: bool = True,
    mentions: tuple[str, ...] = (),
    type: int = 0,
    embeds: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": id,
        "channel_id": channel,
        "guild_id": "1000000000000000000",
        "type": type,
        "content": content,
        "author": {"id": author, "username": "alertmanager", "bot": bot},
        "mentions": [{"id": m, "username": "sre-on-call", "bot": True} for m in mentions],
        "embeds": embeds or [],
        "timestamp": "2026-12-07T09:00:00.000000+00:00",
    }
    if webhook:
        body["webhook_id"] = author
    return body


def deliver(h: Harness, raw: dict[str, Any], *, alert_channel: bool = True, via: str = "gateway") -> str:
    answer = accept(
        h.intake, {"message": raw, "bot_user_id": BOT, "alert_channel": alert_channel, "via": via}
    )
    assert answer["retry"] is False, answer
    return str(answer["outcome"])


def test_a_webhook_alert_in_an_alert_channel_starts_one_investigation_in_its_thread() -> None:
    h = Harness()
    assert deliver(h, message()) == "started"
    [ctx] = h.started
    assert ctx.channel == ALERTS and ctx.thread_id == "1250000000000000001"
    assert ctx.hints.alert_name == "KubePodCrashLooping" and ctx.hints.namespace == "shop"


def test_the_same_message_from_a_replay_and_from_history_is_investigated_once() -> None:
    h = Harness()
    assert deliver(h, message()) == "started"
    assert deliver(h, message(), via="gateway") == "duplicate_delivery"
    assert deliver(h, message(), via="history") == "duplicate_delivery"
    assert len(h.started) == 1


def test_the_investigate_action_on_a_message_the_listener_took_finds_it_under_investigation() -> None:
    h = Harness()
    raw = message()
    deliver(h, raw)
    answer = h.discord(
        {
            "id": "1400000000000000001",
            "application_id": BOT,
            "type": 2,
            "token": "interaction-token",
            "channel_id": ALERTS,
            "data": {
                "name": "Investigate",
                "type": 3,
                "target_id": raw["id"],
                "resolved": {"messages": {raw["id"]: raw}},
            },
        }
    )
    assert "already being investigated" in json.loads(answer.body)["data"]["content"]
    assert len(h.started) == 1


@pytest.mark.parametrize(
    ("raw", "alert_channel"),
    [
        pytest.param(message(author=PERSON, bot=False, webhook=False), True, id="a person, no mention"),
        pytest.param(message(), False, id="a webhook outside the alert channels, no mention"),
        pytest.param(message("deployed payments v1.4.2 to prod"), True, id="a bot's notice, not an alert"),
        pytest.param(message(author=BOT, webhook=False), True, id="our own report"),
        pytest.param(message(type=18), True, id="a system message (thread created)"),
    ],
)
def test_what_is_not_an_alert_for_us_is_ignored(raw: dict[str, Any], alert_channel: bool) -> None:
    h = Harness()
    assert deliver(h, raw, alert_channel=alert_channel) == "ignored"
    assert h.started == [] and h.discord_chat.posted == []


def test_a_person_who_mentions_the_bot_anywhere_is_answered() -> None:
    h = Harness()
    raw = message(
        f"<@{BOT}> checkout pods keep restarting since 10:05",
        author=PERSON,
        bot=False,
        webhook=False,
        mentions=(BOT,),
        channel="1100000000000000009",
    )
    assert deliver(h, raw, alert_channel=False) == "started"
    [ctx] = h.started
    assert ctx.text == "checkout pods keep restarting since 10:05"
    assert (
        deliver(
            h,
            message(
                f"<@{BOT}> thanks!",
                author=PERSON,
                bot=False,
                webhook=False,
                id="1250000000000000002",
                mentions=(BOT,),
            ),
            alert_channel=False,
        )
        == "replied"
    )
    [reply] = h.discord_chat.posted
    assert reply.thread_id == "1250000000000000002"


def test_a_grafana_embed_is_read_from_its_title_and_fields() -> None:
    h = Harness()
    embed = {
        "title": "[Alerting] Checkout 5xx error rate",
        "description": "**Firing**\nValue: B=0.12",
        "fields": [{"name": "namespace", "value": "shop"}],
    }
    assert deliver(h, message("", embeds=[embed])) == "started"
    [ctx] = h.started
    assert "[Alerting] Checkout 5xx error rate" in ctx.text and "namespace: shop" in ctx.text


def test_a_malformed_delivery_is_refused_without_a_retry() -> None:
    h = Harness()
    answer = accept(h.intake, {"message": {"id": "not-a-snowflake"}, "bot_user_id": BOT})
    assert answer["outcome"] == "refused" and answer["retry"] is False
    assert "message" in answer["error"]


def test_the_listeners_direct_invocation_is_decided_and_the_job_self_invoked(runtime: Any) -> None:
    rt, fake, dispatcher, _chat = runtime
    event = {EVENT_KEY: {"message": message(), "bot_user_id": BOT, "alert_channel": True}}
    assert rt.handle(event, Context()) == {"outcome": "started", "retry": False}
    assert dispatcher.contexts == []  # the decision only; the investigation is the job's
    [(_function, payload)] = fake.queued
    assert JOB_KEY in payload
    rt.handle(payload, Context())
    [ctx] = dispatcher.contexts
    assert ctx.thread_id == "1250000000000000001"
    assert rt.handle(event, Context())["outcome"] == "duplicate_delivery"


def test_a_question_about_the_state_of_things_is_answered_with_a_snapshot_in_its_thread() -> None:
    h = Harness()
    raw = message(f"<@{BOT}> is prod ok?", author=PERSON, bot=False, webhook=False, mentions=(BOT,))
    assert deliver(h, raw, alert_channel=False) == "started"
    [ctx] = h.started
    assert ctx.mode == "snapshot" and ctx.text == "is prod ok?"
    assert ctx.thread_id == raw["id"]
    # A question about one thing's trouble is investigated, not answered with a snapshot.
    trouble = message(
        f"<@{BOT}> What is wrong with pod giant-narwhal-6958c5bdd8-69gtn in namespace app-02?",
        id="1250000000000000003",
        author=PERSON,
        bot=False,
        webhook=False,
        mentions=(BOT,),
    )
    assert deliver(h, trouble, alert_channel=False) == "started"
    assert h.started[-1].mode == "investigate"
