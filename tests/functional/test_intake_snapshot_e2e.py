"""/sre-snapshot end to end over loopback: the signed slash command reaches the local intake
server, the real master (with its snapshot deadline, much shorter than an investigation's) fans
out to scripted scanner agents served over A2A, and the snapshot with their findings reaches the
channel by the snapshot deadline, a slow scanner shown as timed out. When the bot is not in the
channel, the same snapshot comes back through the command's response_url."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agents.master.agent import by_mode
from agents.master.orchestrator import Investigator
from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat
from sandbox.signing import TEST_SLACK_SECRET, slack_headers
from shared.config import AppConfig
from shared.contracts import AlertContext
from tests.support.scripted_agents import Script, scripted_config, serve_scripted

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
SNAPSHOT_DEADLINE = 3.0
SCRIPTS = {"cluster": Script(latency=0.2), "logs": Script(latency=0.4), "slow": Script(latency=8.0)}


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def config() -> AppConfig:
    return scripted_config(SCRIPTS, base_port=19100, snapshot_deadline=SNAPSHOT_DEADLINE)


class ResponseUrl:
    """Slack's response_url endpoint, recording what arrives and when."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.prefix = ""  # where it listens, once started

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            self.received.append((time.monotonic(), await request.json()))
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/commands/{rest:path}", hook, methods=["POST"])])


@pytest.fixture
def stack() -> Iterator[tuple[str, MemoryChat, ResponseUrl]]:
    """The intake server's URL, the channel, and the response_url endpoint."""
    cfg = config()
    chat = MemoryChat("slack")
    hook = ResponseUrl()
    background: set[asyncio.Task[None]] = set()
    with serve_scripted(SCRIPTS) as client, ThreadedServer(hook.app()) as hook_server:
        hook.prefix = f"{hook_server.url}/commands/"
        investigator_for = by_mode(Investigator(config=cfg, client=client, chat_for=lambda _n: chat))

        async def investigate(ctx: AlertContext) -> Any:
            return await investigator_for(ctx).investigate(ctx, background=background)

        settings = IntakeSettings(
            secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET),
            snapshot_deadline_seconds=cfg.defaults.snapshot_deadline_seconds,
            response_url_prefix=hook.prefix,
        )
        app = create_app(settings=settings, dispatcher=LocalDispatcher(investigate), chat_for=lambda _n: chat)
        with ThreadedServer(app) as server:
            try:
                yield server.url, chat, hook
            finally:
                loop = app.state.jobs.loop
                for task in list(background):  # late results would wait for the 8 s scanner
                    loop.call_soon_threadsafe(task.cancel)


def command(response_url: str) -> bytes:
    fields = dict(parse_qsl((EVENTS / "slack_slash_snapshot.form").read_text(), keep_blank_values=True))
    fields["response_url"] = response_url
    return urlencode(fields).encode()


def send(url: str, body: bytes) -> httpx.Response:
    headers = slack_headers(TEST_SLACK_SECRET, body, int(time.time()))
    headers["content-type"] = "application/x-www-form-urlencoded"
    return httpx.post(f"{url}/slack/commands", content=body, headers=headers, timeout=5, trust_env=False)


def test_the_snapshot_reaches_the_channel_with_the_agents_findings_by_its_deadline(
    stack: tuple[str, MemoryChat, ResponseUrl],
) -> None:
    url, chat, hook = stack
    started = time.monotonic()
    answer = send(url, command("https://hooks.slack.com/commands/T0/1/x"))
    acked = time.monotonic() - started
    assert answer.status_code == 200 and acked < 1.0
    assert answer.json()["response_type"] == "ephemeral"  # the channel sees the bot's thread

    def report() -> str | None:
        return next((p.text for p in chat.posted if "cluster saw something" in p.text), None)

    assert wait_until(lambda: report() is not None, timeout=SNAPSHOT_DEADLINE + 5)
    elapsed = time.monotonic() - started
    text = report() or ""
    assert elapsed < SNAPSHOT_DEADLINE + 1.5, f"the snapshot took {elapsed:.1f} s"
    assert "logs saw something" in text and "slow" in text  # the slow scanner shown as timed out
    root = chat.posted[0]
    assert "Snapshot" in root.text
    assert all(p.thread_id == root.id for p in chat.posted[1:])  # notice and report in its thread
    assert hook.received == []


def test_a_snapshot_the_bot_cannot_post_comes_back_through_the_response_url(
    stack: tuple[str, MemoryChat, ResponseUrl],
) -> None:
    url, chat, hook = stack
    chat.refuse = "not_in_channel"
    started = time.monotonic()
    response_url = f"{hook.prefix}T061EG9R6/1234567890/S0mEr4nd0m"
    assert send(url, command(response_url)).status_code == 200
    assert wait_until(lambda: bool(hook.received), timeout=SNAPSHOT_DEADLINE + 5)
    at, body = hook.received[0]
    assert at - started < SNAPSHOT_DEADLINE + 1.5
    assert body["response_type"] == "in_channel"
    assert "cluster saw something" in body["text"] and "/invite" in body["text"]
    assert chat.posted == []
