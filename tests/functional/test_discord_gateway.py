"""The Discord Gateway listener over loopback: the real hikari client connected to the Gateway
stand-in (zlib-stream frames, heartbeats, RESUME, INVALID_SESSION), messages handed to the intake
core in this process (the `Harness`: dedup, classification, storm rules, a recording dispatcher)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator

import pytest

from sandbox.chat_base import FakeChannel
from sandbox.discord_api import FakeDiscordApi
from sandbox.discord_gateway import FakeDiscordGateway
from sandbox.discord_listener import ListenerThread
from sandbox.http import ServedApp
from sandbox.intake_fakes import Harness
from shared.chat.discord import DiscordPlatform
from shared.contracts import Platform

pytestmark = pytest.mark.functional

BOT = "1000000000000000001"
TOKEN = base64.b64encode(BOT.encode()).decode().rstrip("=") + ".GwSbx1.loopback-test-token-value"
ALERTS = "1100000000000000001"
RANDOM = "1100000000000000002"
ALERTMANAGER_HOOK = "1300000000000000001"
GRAFANA_HOOK = "1300000000000000002"
PERSON = "2000000000000000001"
AM_TEXT = (
    "**[FIRING:1] KubePodCrashLooping (shop checkout critical)**\n"
    "pod checkout-7d9f-x2k4p is crash looping\nseverity=critical namespace=shop service=checkout"
)
GRAFANA_EMBED = {
    "title": "[Alerting] Checkout 5xx error rate",
    "url": "https://grafana.example.com/alerting/grafana/abc/view",
    "description": "**Firing**\nValue: B=0.12\nLabels:\n - alertname = Checkout5xx\n - namespace = shop",
    "color": 14037554,
    "fields": [{"name": "service", "value": "checkout", "inline": True}],
}


class World:
    """`real_chat`: the intake reads and posts through the real Discord client against the
    stand-in (else into an in-memory chat)."""

    def __init__(self, alert_channels: frozenset[str], *, real_chat: bool = False, shards: int = 1) -> None:
        self.api = FakeDiscordApi([FakeChannel(ALERTS, "alerts"), FakeChannel(RANDOM, "random")], token=TOKEN)
        self.gateway = FakeDiscordGateway(
            self.api, heartbeat_interval_ms=200, shards=shards, max_concurrency=shards
        )
        self.served = ServedApp(self.gateway.app)
        self.url = self.served.start() + "/api/v10"
        self.harness = Harness(chats={"discord": self.bot_client()} if real_chat else None)
        self.listener = ListenerThread(
            self.harness.intake, token=TOKEN, rest_url=self.url, alert_channels=alert_channels
        )

    def bot_client(self) -> DiscordPlatform:
        return DiscordPlatform(TOKEN, self.url, timeout=5)

    @property
    def started(self) -> list[object]:
        return self.harness.started

    def handled(self, count: int, timeout: float = 15.0) -> None:
        """Wait until the listener has considered `count` messages dispatched over the Gateway
        (waiting, not asserting)."""
        wait_for(lambda: self.listener.listener.seen >= count, timeout)

    def webhook(self, channel: str, content: str = "", **kw: object) -> str:
        hook = str(kw.pop("webhook", ALERTMANAGER_HOOK))
        return self.gateway.post_message(
            channel, content=content, author=hook, author_name="Alertmanager", webhook_id=hook, **kw
        )  # type: ignore[arg-type]

    def close(self) -> None:
        self.listener.stop()
        self.served.stop()


def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def world() -> Iterator[World]:
    made = World(frozenset({ALERTS}))
    made.listener.start()
    yield made
    made.close()


def test_an_alertmanager_webhook_post_in_an_alert_channel_is_investigated_once(world: World) -> None:
    message_id = world.webhook(ALERTS, AM_TEXT)
    world.handled(1)
    [ctx] = world.started
    assert ctx.platform is Platform.DISCORD
    assert ctx.channel == ALERTS and ctx.thread_id == message_id
    assert "KubePodCrashLooping" in ctx.text
    assert ctx.hints.namespace == "shop"
    # Least intents: guild messages, and message content because alert channels are configured.
    assert world.gateway.last_intents == (1 << 9) | (1 << 15)


def test_a_grafana_embed_is_investigated_from_the_embed_text(world: World) -> None:
    world.webhook(ALERTS, "", webhook=GRAFANA_HOOK, embeds=[GRAFANA_EMBED])
    world.handled(1)
    [ctx] = world.started
    assert "[Alerting] Checkout 5xx error rate" in ctx.text
    assert "service: checkout" in ctx.text


def test_a_person_who_mentions_the_bot_starts_an_investigation_anywhere(world: World) -> None:
    message_id = world.gateway.post_message(
        RANDOM,
        content=f"<@{BOT}> checkout is returning 502s since the deploy, can you look?",
        author=PERSON,
        mentions=[BOT],
    )
    world.handled(1)
    [ctx] = world.started
    assert ctx.channel == RANDOM and ctx.thread_id == message_id
    assert "checkout is returning 502s" in ctx.text and f"<@{BOT}>" not in ctx.text


def test_people_without_a_mention_and_the_bots_own_reports_are_ignored(world: World) -> None:
    world.gateway.post_message(ALERTS, content="[FIRING:1] is this still happening? outage?", author=PERSON)
    world.webhook(RANDOM, AM_TEXT)  # an alert source, but not in an alert channel, not addressed
    world.bot_client().post(
        ALERTS, "**[FIRING:1] KubePodCrashLooping**: report of the investigation (critical)"
    )
    world.handled(3)
    assert world.started == []
    # Only the alert channel's message reached the intake (which ignored it): the webhook elsewhere
    # and the bot's own post, both dispatched over the Gateway, were passed over by the listener.
    assert world.listener.listener.handled == 1


def test_a_greeting_that_mentions_the_bot_gets_a_reply_not_an_investigation(world: World) -> None:
    world.gateway.post_message(RANDOM, content=f"<@{BOT}> hi there", author=PERSON, mentions=[BOT])
    world.handled(1)
    assert world.started == []
    [reply] = world.harness.discord_chat.posted
    assert "investigate" in reply.text.lower()


def test_a_duplicate_delivery_of_the_same_message_is_handled_once(world: World) -> None:
    message_id = world.webhook(ALERTS, AM_TEXT)
    world.handled(1)
    world.gateway.redeliver(ALERTS, message_id)
    world.handled(2)
    assert len(world.started) == 1


@pytest.mark.parametrize("session", ["resumed", "invalidated"])
def test_a_dropped_connection_loses_nothing_and_investigates_nothing_twice(
    world: World, session: str
) -> None:
    """Mid-stream: one alert before the drop, one while the listener is disconnected. Resumed, the
    Gateway replays the missed dispatch; invalidated, the listener identifies afresh and reads the
    missed alert from the channel's REST history. Either way, each alert is investigated once."""
    gateway = world.gateway
    first = world.webhook(ALERTS, AM_TEXT)
    world.handled(1)
    gateway.offline()
    if session == "invalidated":
        gateway.invalidate_sessions()
    assert gateway.drop() == 1
    missed = world.webhook(
        ALERTS, "[FIRING:1] KubeDeploymentReplicasMismatch payments/api (warning) namespace=payments"
    )
    gateway.online()
    wait_for(lambda: len(world.started) >= 2, 20)
    world.listener.settle()
    assert sorted(ctx.thread_id for ctx in world.started) == sorted([first, missed])
    if session == "resumed":
        assert gateway.resumed == 1 and gateway.identified == 1
    else:
        assert gateway.identified == 2
    assert gateway.heartbeats > 0


def test_without_alert_channels_the_listener_asks_no_privileged_intent() -> None:
    world = World(frozenset())
    try:
        world.listener.start()
        assert world.gateway.last_intents == 1 << 9
        world.webhook(ALERTS, AM_TEXT)  # content is blanked for us: and nobody mentioned the bot
        world.gateway.post_message(
            ALERTS, content=f"<@{BOT}> {AM_TEXT}", author=PERSON, mentions=[BOT]
        )  # a mention carries its content without the intent
        world.handled(2)
        [ctx] = world.started
        assert "KubePodCrashLooping" in ctx.text
    finally:
        world.close()


@pytest.fixture
def real_world() -> Iterator[World]:
    made = World(frozenset({ALERTS}), real_chat=True)
    made.listener.start()
    yield made
    made.close()


def test_a_mention_in_the_thread_of_an_alert_under_investigation_says_so_there(real_world: World) -> None:
    world = real_world
    alert = world.webhook(ALERTS, AM_TEXT)
    world.handled(1)
    [ctx] = world.started
    assert ctx.thread_id == alert
    # Someone opens the alert's thread and asks the bot there.
    world.bot_client().post(ALERTS, "thread about the alert", thread_id=alert)  # our own: ignored
    world.gateway.post_message(
        alert, content=f"<@{BOT}> payments deployed at 10:02, related?", author=PERSON, mentions=[BOT]
    )
    world.handled(3)
    assert len(world.started) == 1
    note = world.api.wait_for_post(lambda p: "already investigating" in p.text, timeout=10)
    assert note is not None and note.channel == alert  # in the alert's thread


def test_a_mention_in_the_thread_of_a_message_investigates_that_message_with_the_note(
    real_world: World,
) -> None:
    world = real_world
    text = "checkout p99 latency is 4s since 10:05 and customers see timeouts"
    starter = world.gateway.post_message(ALERTS, content=text, author=PERSON)
    world.bot_client().post(ALERTS, "looking", thread_id=starter)  # a thread from that message
    world.gateway.post_message(
        starter,
        content=f"<@{BOT}> can you look? started after the redis upgrade",
        author=PERSON,
        mentions=[BOT],
    )
    world.handled(3)
    [ctx] = world.started
    assert ctx.channel == ALERTS and ctx.thread_id == starter
    assert ctx.text == text
    assert ctx.operator_notes == ("can you look? started after the redis upgrade",)


def test_the_shard_count_discord_recommends_is_used_and_each_guild_is_served_once() -> None:
    world = World(frozenset({ALERTS}), shards=2)
    try:
        world.listener.start()
        wait_for(lambda: world.gateway.connected == 2, 15)
        assert sorted(world.gateway.identified_shards) == [[0, 2], [1, 2]]
        world.webhook(ALERTS, AM_TEXT)
        world.handled(1)
        world.listener.settle()
        # One Gateway dispatch across the two shards (each guild is one shard's), one investigation.
        # The start-up catch-up may also read the message from history: the intake's dedup takes it.
        assert world.listener.listener.seen == 1 and len(world.started) == 1
    finally:
        world.close()
