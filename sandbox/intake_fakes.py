"""In-process stand-ins for tests and the benchmark: an in-memory chat platform (`MemoryChat`, from
sandbox/memory_chat.py), a dispatcher and an interaction responder that record, a scheduler that runs
jobs on the spot, a settable clock, and `Harness`, the whole intake wired from them.
Nothing here is used by the intake at run time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lambda_adapter.core import Intake
from lambda_adapter.dedup import DedupStore, InMemoryDedupStore
from lambda_adapter.jobs import AnyJob, WatchJob
from lambda_adapter.settings import IntakeSettings, Secrets
from lambda_adapter.webhook import WebhookRequest, WebhookResponse
from lambda_adapter.worker import Worker
from sandbox.memory_chat import MemoryChat as MemoryChat
from sandbox.memory_chat import Posted as Posted
from sandbox.signing import (
    TEST_ALERTMANAGER_TOKEN,
    TEST_SLACK_SECRET,
    discord_headers,
    discord_keypair,
    slack_headers,
)
from shared.chat.base import ChatPlatform
from shared.contracts import AlertContext
from shared.ledger import Ledger, NoLedger


@dataclass
class RecordingDispatcher:
    """Records every context; fails the first `fail_times` dispatches (a master that is down)."""

    fail_times: int = 0
    contexts: list[AlertContext] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def dispatch(self, ctx: AlertContext) -> None:
        with self._lock:
            if self.fail_times > 0:
                self.fail_times -= 1
                raise ConnectionError("the master is unreachable")
            self.contexts.append(ctx)

    def report(self, ctx: AlertContext, *, timeout_s: float) -> str:
        """As if the master ran the investigation to its end: records it, returns a report text."""
        self.dispatch(ctx)
        return f"*Snapshot* {ctx.investigation_id}: cluster, logs, alerts and chat looked at."


@dataclass
class RecordingPoster:
    """A `ResponseUrlPoster` that records what was posted to which Slack response_url."""

    posted: list[tuple[str, str]] = field(default_factory=list)

    def post(self, url: str, text: str) -> None:
        self.posted.append((url, text))


@dataclass
class InlineJobs:
    """A `Scheduler` that runs each job at once with `run` (a `Worker.run`), or only keeps it when
    `run` is None; `fail_times` submissions fail first (a Lambda that cannot self-invoke). Watches
    wait in `watches` until `run_watches()` (after the test moved the clock)."""

    run: Callable[[AnyJob], Any] | None = None
    fail_times: int = 0
    submitted: list[AnyJob] = field(default_factory=list)
    watches: list[WatchJob] = field(default_factory=list)

    def submit(self, job: AnyJob) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("cannot hand the job off")
        self.submitted.append(job)
        if isinstance(job, WatchJob):
            self.watches.append(job)
        elif self.run is not None:
            self.run(job)

    def run_watches(self) -> None:
        """Run the watches waiting now (those they schedule wait for the next call)."""
        waiting, self.watches = self.watches, []
        for job in waiting:
            if self.run is not None:
                self.run(job)


@dataclass
class FakeClock:
    now: float = 1_712_345_645.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Harness:
    """The whole intake in one process: core, dedup, worker, in-memory Slack and Discord, a
    recording dispatcher; jobs run inline (as if the background task ran at once)."""

    def __init__(
        self,
        settings: IntakeSettings | None = None,
        *,
        dedup: DedupStore | None = None,
        clock: FakeClock | None = None,
        dispatcher: RecordingDispatcher | None = None,
        llm: Callable[[str], str | None] | None = None,
        run_jobs: bool = True,
        chats: Mapping[str, ChatPlatform] | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.signing_key, public_key = discord_keypair()
        self.settings = settings or IntakeSettings(
            secrets=Secrets(
                slack_signing_secret=TEST_SLACK_SECRET,
                discord_public_key=public_key,
                alertmanager_token=TEST_ALERTMANAGER_TOKEN,
            ),
            alertmanager_channel="C0LAN2Q65",
        )
        self.clock = clock or FakeClock()
        self.dedup = dedup if dedup is not None else InMemoryDedupStore()
        self.dispatcher = dispatcher or RecordingDispatcher()
        # The master's progress records (none: hand-offs are not watched, as without a table).
        self.ledger: Ledger = ledger if ledger is not None else NoLedger()
        self.chats = {"slack": MemoryChat("slack"), "discord": MemoryChat("discord")}
        # `chats`: real clients (against a fake API) used instead of the in-memory ones.
        self.clients: dict[str, ChatPlatform] = {**self.chats, **(chats or {})}
        self.responder = RecordingResponder()
        self.poster = RecordingPoster()
        self.worker = Worker(
            settings=self.settings,
            dedup=self.dedup,
            dispatcher=self.dispatcher,
            chat_for=self.clients.__getitem__,
            responder=self.responder,
            llm=llm,
            clock=self.clock,
            thread_wait_seconds=0.0,
            sleep=lambda _s: None,
            response_poster=self.poster,
            ledger=self.ledger,
        )
        self.jobs = InlineJobs(run=self.worker.run if run_jobs else None)
        self.worker.bind_scheduler(self.jobs)
        self.intake = Intake(
            settings=self.settings,
            dedup=self.dedup,
            scheduler=self.jobs,
            clock=self.clock,
            llm_enabled=llm is not None,
            ledger=self.ledger,
        )

    @property
    def slack_chat(self) -> MemoryChat:
        return self.chats["slack"]

    @property
    def discord_chat(self) -> MemoryChat:
        return self.chats["discord"]

    @property
    def started(self) -> list[AlertContext]:
        return self.dispatcher.contexts

    def request(
        self,
        path: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        method: str = "POST",
    ) -> WebhookResponse:
        return self.intake.handle_webhook(
            WebhookRequest.build(method, path, body=body, headers=headers or {}, query=query)
        )

    def slack(
        self,
        payload: Mapping[str, Any] | bytes,
        *,
        path: str = "/slack/events",
        timestamp: float | None = None,
        **extra: str,
    ) -> WebhookResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        stamp = int(self.clock() if timestamp is None else timestamp)
        if path.endswith("/commands"):
            extra.setdefault("content_type", "application/x-www-form-urlencoded")
        return self.request(path, body, slack_headers(TEST_SLACK_SECRET, body, stamp, **extra))

    def discord(self, payload: Mapping[str, Any] | bytes) -> WebhookResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request(
            "/discord/interactions", body, discord_headers(self.signing_key, body, int(self.clock()))
        )

    def alertmanager(
        self,
        payload: Mapping[str, Any] | bytes,
        query: Mapping[str, str] | None = None,
        token: str = TEST_ALERTMANAGER_TOKEN,
    ) -> WebhookResponse:
        return self._alert_webhook("/alertmanager", payload, query, token)

    def grafana(
        self,
        payload: Mapping[str, Any] | bytes,
        query: Mapping[str, str] | None = None,
        token: str = TEST_ALERTMANAGER_TOKEN,
    ) -> WebhookResponse:
        """Grafana's webhook contact point (`/grafana`), with the token as Grafana sends it."""
        return self._alert_webhook("/grafana", payload, query, token)

    def _alert_webhook(
        self, path: str, payload: Mapping[str, Any] | bytes, query: Mapping[str, str] | None, token: str
    ) -> WebhookResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        return self.request(path, body, headers, query)


@dataclass
class RecordingResponder:
    """An `InteractionResponder` that records what would complete each Discord interaction."""

    completed: list[tuple[str, str, str]] = field(default_factory=list)
    # (application id, token, messages) of each report delivered through an interaction.
    delivered: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def complete(self, application_id: str, token: str, text: str) -> None:
        self.completed.append((application_id, token, text))

    def deliver(self, application_id: str, token: str, messages: Sequence[str]) -> None:
        self.delivered.append((application_id, token, list(messages)))
