"""Discord /sre-snapshot end to end over loopback: a signed interaction reaches the local intake
server, which defers it; the bot starts the snapshot's thread in the channel through the Discord
stand-in, and the real master (snapshot deadline) fans out to scripted scanner agents served over
A2A and posts the snapshot in that thread. When the bot may not post in the channel (403 Missing
Access, 404 Unknown Channel), the same snapshot comes back through the interaction's webhook:
the deferred reply becomes its first message, follow-ups carry the rest, each within Discord's
2000 characters, and the interaction's token appears in no log line and no message."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents.master.agent import by_mode
from agents.master.orchestrator import Investigator
from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.chat import FakeChannel, FakeDiscordApi
from sandbox.chat_base import Post
from sandbox.http import ServedApp
from sandbox.signing import discord_headers, discord_keypair
from shared.chat.discord import DiscordPlatform
from shared.chat.retry import Backoff
from shared.config import AppConfig
from shared.contracts import AlertContext
from shared.logsetup import SecretScrubber
from tests.support.scripted_agents import Script, scripted_config, serve_scripted

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
BOT_TOKEN = "sandbox.discord-bot-token"
SNAPSHOT_DEADLINE = 3.0
# Enough findings that the snapshot takes several Discord messages.
SCRIPTS = {
    "cluster": Script(latency=0.2, extra_findings=4),
    "logs": Script(latency=0.4, extra_findings=4),
    "slow": Script(latency=8.0),
}
INTERACTION = json.loads((EVENTS / "discord_sre_snapshot.json").read_text())
CHANNEL, APP, TOKEN = INTERACTION["channel_id"], INTERACTION["application_id"], INTERACTION["token"]


def config() -> AppConfig:
    return scripted_config(SCRIPTS, base_port=19110, snapshot_deadline=SNAPSHOT_DEADLINE)


@dataclass
class Stack:
    intake: str  # the intake server's URL
    discord: FakeDiscordApi
    api: str  # the stand-in's /api/v10
    send: Callable[[], float]  # Discord delivering the interaction; when it was sent

    def webhook_posts(self) -> list[Post]:
        return [p for p in self.discord.posts if "/webhooks/" in p.method]

    def original(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.api}/webhooks/{APP}/{TOKEN}/messages/@original", trust_env=False)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def channel_messages(self) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.api}/channels/{CHANNEL}/messages",
            headers={"Authorization": f"Bot {BOT_TOKEN}"},
            trust_env=False,
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json())


def platform(api: str) -> DiscordPlatform:
    return DiscordPlatform(BOT_TOKEN, api, backoff=Backoff(max_retries=1, base=0.05), timeout=5)


@pytest.fixture
def stack() -> Iterator[Stack]:
    cfg = config()
    discord = FakeDiscordApi([FakeChannel(CHANNEL, "alerts")], token=BOT_TOKEN)
    signing_key, public_key = discord_keypair()
    background: set[asyncio.Task[None]] = set()
    with serve_scripted(SCRIPTS) as client, ServedApp(discord.app) as served:
        api = f"{served.url}/api/v10"
        master_chat, intake_chat = platform(api), platform(api)
        investigator_for = by_mode(Investigator(config=cfg, client=client, chat_for=lambda _n: master_chat))

        async def investigate(ctx: AlertContext) -> Any:
            return await investigator_for(ctx).investigate(ctx, background=background)

        settings = IntakeSettings(
            secrets=Secrets(discord_public_key=public_key),
            snapshot_deadline_seconds=cfg.defaults.snapshot_deadline_seconds,
            discord_api_base=api,
        )
        # The responder is the intake's own: DiscordInteractionResponder on the stand-in's API.
        app = create_app(
            settings=settings, dispatcher=LocalDispatcher(investigate), chat_for=lambda _n: intake_chat
        )
        with ThreadedServer(app) as server:

            def send() -> float:
                """As Discord does: the signed interaction to the intake, then the deferred reply
                ("thinking...") its answer asks for, in the channel the command was run in."""
                discord.expect_interaction(TOKEN, CHANNEL)
                body = json.dumps(INTERACTION).encode()
                headers = discord_headers(signing_key, body, int(time.time()))
                started = time.monotonic()
                answer = httpx.post(
                    f"{server.url}/discord/interactions",
                    content=body,
                    headers=headers,
                    timeout=5,
                    trust_env=False,
                )
                assert answer.status_code == 200 and answer.json() == {"type": 5}
                callback = httpx.post(
                    f"{api}/interactions/{INTERACTION['id']}/{TOKEN}/callback",
                    json=answer.json(),
                    trust_env=False,
                )
                assert callback.status_code == 204
                return started

            try:
                yield Stack(server.url, discord, api, send)
            finally:
                loop = app.state.jobs.loop
                for task in list(background):  # late results would wait for the 8 s scanner
                    loop.call_soon_threadsafe(task.cancel)
                master_chat.close()
                intake_chat.close()


def test_the_snapshot_reaches_the_channel_in_the_bots_thread(stack: Stack) -> None:
    started = stack.send()
    report = stack.discord.wait_for_post(
        lambda p: "cluster saw something" in p.text, timeout=SNAPSHOT_DEADLINE + 5
    )
    assert report is not None, [p.text[:80] for p in stack.discord.posts]
    assert time.monotonic() - started < SNAPSHOT_DEADLINE + 1.5
    root = next(p for p in stack.discord.posts if p.method.startswith("POST /channels/"))
    assert root.channel == CHANNEL and root.thread_ts is None and "Snapshot" in root.text
    assert report.thread_ts == root.ts  # the notice and the report in the root's thread
    assert "Started the snapshot" in stack.original()["content"]
    # The interaction's webhook only edited the deferred reply: no follow-up.
    assert [p.method for p in stack.webhook_posts()] == [f"PATCH /webhooks/{APP}/-/messages/@original"]


@pytest.mark.parametrize(
    ("status", "error", "code"), [(403, "Missing Access", 50001), (404, "Unknown Channel", 10003)]
)
def test_a_snapshot_the_bot_may_not_post_comes_back_through_the_interaction(
    stack: Stack, status: int, error: str, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(SecretScrubber(()))  # as `install_scrubber` does in the intake's processes
    stack.discord.fail_next("POST /channels/*/messages", status, error=error, code=code, times=None)
    started = stack.send()
    last = stack.discord.wait_for_post(lambda p: "View Channel" in p.text, timeout=SNAPSHOT_DEADLINE + 5)
    assert last is not None, [p.text[:80] for p in stack.discord.posts]
    assert time.monotonic() - started < SNAPSHOT_DEADLINE + 1.5

    posts = stack.discord.posts
    assert posts == stack.webhook_posts()  # the bot posted nothing in the channel itself
    first, *rest = posts
    assert first.method == f"PATCH /webhooks/{APP}/-/messages/@original"  # "thinking..." replaced
    assert rest and all(p.method == f"POST /webhooks/{APP}/-" for p in rest)  # follow-ups, in order
    assert all(p.channel == CHANNEL and 1 <= len(p.text) <= 2000 for p in posts)
    snapshot = "\n".join(p.text for p in posts)
    assert "cluster saw something" in snapshot and "logs saw something" in snapshot
    assert "cluster saw more (4)" in snapshot and "slow" in snapshot  # the slow scanner timed out
    assert snapshot.index("cluster saw something") < snapshot.index("View Channel")
    assert stack.original()["content"] == first.text

    # The person who ran the command sees it in the channel: the deferred reply and its follow-ups.
    seen = [m["content"] for m in reversed(stack.channel_messages())]
    assert seen == [p.text for p in posts]
    assert all(TOKEN not in p.text and TOKEN not in p.method for p in posts)
    ours = [
        r.getMessage() for r in caplog.records if r.name.startswith(("lambda_adapter", "shared", "agents"))
    ]
    assert ours and not any(TOKEN in line for line in ours)  # never logged by us, even unscrubbed
    assert TOKEN not in caplog.text  # nor by a library (httpx logs each request's URL)
    assert "route=<interaction> | the bot cannot post in the channel" in caplog.text
