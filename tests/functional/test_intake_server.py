"""The local intake server over real loopback HTTP: signed deliveries are acknowledged at once, the
investigation starts in the background (on the server's loop, through `LocalDispatcher`), retries
and concurrent duplicates start nothing more."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from lambda_adapter.background import BackgroundJobs, LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat
from sandbox.signing import TEST_ALERTMANAGER_TOKEN, TEST_SLACK_SECRET, slack_headers
from shared.contracts import AlertContext

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@dataclass
class Master:
    """Stands in for the master's `Investigator.investigate`: an async callable on the server loop."""

    started: list[AlertContext] = field(default_factory=list)
    loops: set[int] = field(default_factory=set)
    hold: float = 0.0

    async def investigate(self, ctx: AlertContext) -> None:
        self.loops.add(id(asyncio.get_running_loop()))
        self.started.append(ctx)
        await asyncio.sleep(self.hold)  # a long investigation must not hold up acks


Served = tuple[str, Master, MemoryChat, BackgroundJobs]


@pytest.fixture
def served() -> Iterator[tuple[str, Master, MemoryChat, BackgroundJobs]]:
    master = Master(hold=2.0)
    chat = MemoryChat("slack")
    settings = IntakeSettings(
        secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET, alertmanager_token=TEST_ALERTMANAGER_TOKEN),
        alertmanager_channel="C0LAN2Q65",
    )
    app = create_app(
        settings=settings, dispatcher=LocalDispatcher(master.investigate), chat_for=lambda _n: chat
    )
    with ThreadedServer(app) as server:
        yield server.url, master, chat, app.state.jobs


def _mention(event_id: str, ts: str) -> bytes:
    payload = json.loads((EVENTS / "slack_app_mention.json").read_text())
    payload["event_id"] = event_id
    payload["event"].update(ts=ts, event_ts=ts, text=f"<@U0LAN0Z89> [FIRING:1] HighErrorRate {event_id}")
    return json.dumps(payload).encode()


def test_mention_is_acked_then_investigated_in_the_background(served: Served) -> None:
    url, master, _chat, _jobs = served
    body = _mention("Ev0SRV0001", "1712345640.000200")
    with httpx.Client(trust_env=False, timeout=5) as client:
        started = time.monotonic()
        answer = client.post(
            f"{url}/slack/events",
            content=body,
            headers=slack_headers(TEST_SLACK_SECRET, body, int(time.time())),
        )
        elapsed = time.monotonic() - started
        assert answer.status_code == 200 and answer.json()["outcome"] == "started"
        assert elapsed < 1.0  # the 2 s investigation is not waited for
        assert wait_until(lambda: len(master.started) == 1)
        assert master.started[0].thread_id == "1712345640.000200"
        health = client.get(f"{url}/healthz")
        assert health.status_code == 200


def test_concurrent_duplicates_and_retries_start_exactly_one(served: Served) -> None:
    url, master, _chat, jobs = served
    bodies = [_mention(f"Ev0SRV{n:04d}", f"17123456{n:02d}.000100") for n in range(10, 15)]

    def deliver(index: int) -> int:
        body = bodies[index % len(bodies)]
        extra = (
            {"x_slack_retry_num": "1", "x_slack_retry_reason": "http_timeout"} if index >= len(bodies) else {}
        )
        headers = slack_headers(TEST_SLACK_SECRET, body, int(time.time()), **extra)
        with httpx.Client(trust_env=False, timeout=5) as client:
            return client.post(f"{url}/slack/events", content=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, range(40)))
    assert statuses == [200] * 40
    # Every job was queued before its delivery was answered: once none is pending, all have run.
    assert wait_until(lambda: jobs.pending == 0 and len(master.started) >= 5)
    assert sorted(c.thread_id or "" for c in master.started) == sorted(
        f"17123456{n:02d}.000100" for n in range(10, 15)
    )
    assert len(master.loops) == 1  # every investigation ran on the server's own loop


def test_unsigned_requests_are_refused_over_http(served: Served) -> None:
    url, master, chat, _jobs = served
    with httpx.Client(trust_env=False, timeout=5) as client:
        assert client.post(f"{url}/slack/events", content=_mention("Ev0X", "1.1")).status_code == 401
        assert (
            client.post(
                f"{url}/alertmanager", content=b"{}", headers={"authorization": "Bearer nope"}
            ).status_code
            == 401
        )
        assert (
            client.post(
                f"{url}/alertmanager",
                content=b"{",
                headers={"authorization": f"Bearer {TEST_ALERTMANAGER_TOKEN}"},
            ).status_code
            == 400
        )
    assert master.started == [] and chat.posted == []
