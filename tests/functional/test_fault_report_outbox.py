"""Fault drills on the report's delivery, over loopback through the real Slack client against a
Slack Web API stand-in that keeps what it is sent (threads, message metadata) and can fail: answer
500 for a while, or 429 with a Retry-After. Each drill is bounded in time (seconds).

- Slack answers 500 for a while, then recovers: the report is posted once, as soon as it can be.
- Slack answers 429 with a Retry-After: the report goes when Slack said, once; a wait reaching past
  the cutoff is the one final post, at the time Slack said.
- Slack down past the cutoff: the master records the investigation as failed; the retry (another
  master, the same outbox) posts the report that was written, without investigating again.
- The master is killed after its post went out and before it recorded it: the next master finds
  the post in the thread and does not post it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from agents.master.orchestrator import Investigator
from agents.master.outbox import SqliteOutbox
from shared.chat.retry import Backoff
from shared.chat.slack import SlackPlatform
from shared.ledger import FAILED, REPORTED, InMemoryLedger
from tests.functional.test_master_deadlines import THREAD, config_with, in_thread
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.functional


@dataclass
class Posted:
    ts: str
    text: str
    thread_ts: str | None
    metadata: dict[str, Any] | None
    at: float


@dataclass
class SlackStandIn:
    """chat.postMessage, conversations.replies and conversations.history as Slack answers them;
    `down_until` (a monotonic time) answers 500 to posts until then, `rate_limits` answers the
    next posts 429 with those Retry-After values, `hold_reports` keeps a report's post that long
    before taking it."""

    down_until: float = 0.0
    rate_limits: list[float] = field(default_factory=list)
    limit_only: str = "Likely cause"  # only posts saying this are rate limited (the report's)
    hold_reports: float = 0.0  # seconds a report's post takes before Slack keeps it (a slow Slack)
    down_after_report: float = 0.0  # Slack goes down this long once it has taken the first report
    posted: list[Posted] = field(default_factory=list)
    uploads: list[Posted] = field(default_factory=list)  # files shared (text: their title)
    base_url: str = ""
    attempts: list[tuple[float, int, str]] = field(default_factory=list)  # (when, status, text)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def texts(self) -> list[str]:
        return [p.text for p in self.posted]

    def reports(self) -> list[Posted]:
        return [p for p in self.posted if "Likely cause" in p.text]

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "chat.postMessage" and self.hold_reports and self.limit_only in str(params.get("text")):
            time.sleep(self.hold_reports)
        now = time.monotonic()
        with self.lock:
            if method == "chat.postMessage":
                text = str(params.get("text", ""))
                if now < self.down_until:
                    self.attempts.append((now, 500, text))
                    return 500, {"ok": False, "error": "fatal_error"}, {}
                if self.rate_limits and self.limit_only in text:
                    wait = self.rate_limits.pop(0)
                    self.attempts.append((now, 429, text))
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": f"{wait:g}"}
                self.attempts.append((now, 200, text))
                ts = f"{1795383700 + len(self.posted)}.000200"
                metadata = params.get("metadata")
                if isinstance(metadata, str):
                    metadata = json.loads(metadata)
                self.posted.append(Posted(ts, text, params.get("thread_ts"), metadata, now))
                if self.down_after_report and "Likely cause" in text:
                    self.down_until, self.down_after_report = now + self.down_after_report, 0.0
                return 200, {"ok": True, "channel": params.get("channel"), "ts": ts}, {}
            if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
                if now < self.down_until:
                    self.attempts.append((now, 500, method))
                    return 500, {"ok": False, "error": "fatal_error"}, {}
                self.attempts.append((now, 200, method))
                if method == "files.getUploadURLExternal":
                    file_id = f"F{len(self.attempts):06d}"
                    return (
                        200,
                        {"ok": True, "upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id},
                        {},
                    )
                [file] = json.loads(str(params.get("files")))
                self.uploads.append(
                    Posted(file["id"], str(file.get("title")), params.get("thread_ts"), None, now)
                )
                return 200, {"ok": True, "files": [{"id": file["id"]}]}, {}
            if method.startswith("F"):  # the bytes sent to an upload URL
                return 200, {"ok": True}, {}
            if method in ("conversations.replies", "conversations.history"):
                thread = params.get("ts")
                with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
                messages = []
                for p in self.posted:
                    if method == "conversations.replies" and p.thread_ts != thread and p.ts != thread:
                        continue
                    message: dict[str, Any] = {"ts": p.ts, "text": p.text, "bot_id": "B0SRE"}
                    if p.thread_ts:
                        message["thread_ts"] = p.thread_ts
                    if with_metadata and p.metadata:
                        message["metadata"] = p.metadata
                    messages.append(message)
                return 200, {"ok": True, "messages": messages, "has_more": False}, {}
        return 200, {"ok": False, "error": "unknown_method"}, {}


@contextlib.contextmanager
def serve_stand_in(stand_in: SlackStandIn) -> Iterator[str]:
    """The Slack Web API of `stand_in` on a loopback port: its API URL (another server on the same
    stand-in is another process's way to the same Slack, cut when that process dies)."""

    class Handler(BaseHTTPRequestHandler):
        def _params(self) -> dict[str, Any]:
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode(errors="replace") if length else ""
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return {**query, **json.loads(raw or "{}")}
            return {**query, **{k: v[0] for k, v in parse_qs(raw).items()}}

        def _reply(self) -> None:
            method = urlparse(self.path).path.rsplit("/", 1)[-1]
            status, body, headers = stand_in.answer(method, self._params())
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _reply

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stand_in.base_url = stand_in.base_url or f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def slack_api() -> Iterator[tuple[SlackStandIn, str]]:
    stand_in = SlackStandIn()
    with serve_stand_in(stand_in) as url:
        yield stand_in, url


def slack_client(url: str) -> SlackPlatform:
    return SlackPlatform("xoxb-test", url, backoff=Backoff(base=0.1, cap=0.4), timeout=5)


def test_slack_down_for_a_while_then_back_the_report_is_posted_once_as_soon_as_it_can_be(
    slack_api: tuple[SlackStandIn, str],
) -> None:
    fake, url = slack_api
    config = config_with(deadline=1.0, cutoff=12.0, scanners={"quick": None})
    ledger = InMemoryLedger()
    ctx = in_thread(alert())
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        investigator = Investigator(
            config=config, client=client, chat_for=lambda _n: slack_client(url), ledger=ledger
        )
        fake.down_until = time.monotonic() + 4.0  # down for 4 s: past the deadline and many retries
        asyncio.run(asyncio.wait_for(investigator.investigate(ctx), 30))
    [report] = fake.reports()
    assert report.thread_ts == THREAD
    assert report.at - fake.down_until < 1.0  # posted soon after Slack came back (back-off cap 0.4 s)
    assert sum(1 for _at, status, text in fake.attempts if status == 500 and "Likely cause" in text) > 3
    entry = ledger.get(ctx.investigation_id)
    assert entry is not None and entry.state == REPORTED


def test_a_rate_limited_report_goes_when_slack_says_once(slack_api: tuple[SlackStandIn, str]) -> None:
    fake, url = slack_api
    config = config_with(deadline=1.0, cutoff=10.0, scanners={"quick": None})
    ctx = in_thread(alert())
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: slack_client(url))
        fake.rate_limits = [2.0]  # the report is told to come back in 2 s
        asyncio.run(asyncio.wait_for(investigator.investigate(ctx), 30))
    tries = [(at, status) for at, status, text in fake.attempts if "Likely cause" in text]
    assert [status for _at, status in tries] == [429, 200]
    assert 2.0 <= tries[1][0] - tries[0][0] < 2.5  # when Slack said, not later
    assert len(fake.reports()) == 1


def test_a_retry_after_past_the_cutoff_is_the_one_final_post_at_the_time_slack_said(
    slack_api: tuple[SlackStandIn, str],
) -> None:
    fake, url = slack_api
    config = config_with(deadline=0.5, cutoff=1.5, scanners={"quick": None})
    ctx = in_thread(alert())
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: slack_client(url))
        fake.rate_limits = [3.0]  # the report is told 3 s: past the cutoff
        asyncio.run(asyncio.wait_for(investigator.investigate(ctx), 30))
    tries = [(at, status) for at, status, text in fake.attempts if "Likely cause" in text]
    assert [status for _at, status in tries] == [429, 200]
    assert 3.0 <= tries[1][0] - tries[0][0] < 3.5
    assert len(fake.reports()) == 1


def test_slack_down_past_the_cutoff_the_retry_posts_the_written_report_without_investigating_again(
    slack_api: tuple[SlackStandIn, str], tmp_path: Path
) -> None:
    fake, url = slack_api
    config = config_with(deadline=0.5, cutoff=1.5, scanners={"quick": None})
    ledger = InMemoryLedger()
    ctx = in_thread(alert())
    fake.down_until = time.monotonic() + 3600
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        first = Investigator(
            config=config,
            client=client,
            chat_for=lambda _n: slack_client(url),
            ledger=ledger,
            outbox=SqliteOutbox(tmp_path / "outbox.sqlite3"),
        )
        asyncio.run(asyncio.wait_for(first.investigate(ctx), 30))
    entry = ledger.get(ctx.investigation_id)
    assert entry is not None and entry.state == FAILED
    assert fake.reports() == []

    fake.down_until = 0.0  # Slack is back; the intake hands the investigation off again
    with serve_scripted({"quick": Script(fail="asked again")}) as client:
        second = Investigator(
            config=config,
            client=client,
            chat_for=lambda _n: slack_client(url),
            ledger=ledger,
            outbox=SqliteOutbox(tmp_path / "outbox.sqlite3"),
        )
        report = asyncio.run(asyncio.wait_for(second.investigate(ctx), 30))
    [posted] = fake.reports()
    assert posted.thread_ts == THREAD
    assert "asked again" not in posted.text  # the report written by the first master, not a new one
    assert report.investigation_id == ctx.investigation_id
    entry = ledger.get(ctx.investigation_id)
    assert entry is not None and entry.state == REPORTED


class FreezesAfterPosting(SqliteOutbox):
    """The outbox of a master that dies the moment its post went out: it never records it."""

    frozen = threading.Event()
    released = threading.Event()

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        if "/" in investigation_id:  # the notice (`followup_id`): recorded; the report's post is not
            return super().posted(investigation_id, part, message_id)
        self.frozen.set()
        self.released.wait(30)  # never returns to record it: the test lets the thread go once dead


def test_a_master_killed_after_posting_before_recording_it_is_followed_by_no_second_report(
    slack_api: tuple[SlackStandIn, str], tmp_path: Path
) -> None:
    fake, url = slack_api
    config = config_with(deadline=0.5, cutoff=5.0, scanners={"quick": None})
    ledger = InMemoryLedger()
    ctx = alert()  # no thread yet: the report starts one, found again in the channel's history

    async def killed_after_posting() -> None:
        with serve_scripted({"quick": Script(latency=0.1)}) as client:
            first = Investigator(
                config=config,
                client=client,
                chat_for=lambda _n: slack_client(url),
                ledger=ledger,
                outbox=FreezesAfterPosting(tmp_path / "outbox.sqlite3"),
            )
            task = asyncio.create_task(first.investigate(ctx))
            while not FreezesAfterPosting.frozen.is_set():
                await asyncio.sleep(0.05)
            task.cancel()  # the process dies; the frozen write is never made
            FreezesAfterPosting.released.set()

    asyncio.run(asyncio.wait_for(killed_after_posting(), 30))
    assert len(fake.reports()) == 1

    lease = config.intake.handoff_lease_seconds
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        second = Investigator(
            config=config,
            client=client,
            chat_for=lambda _n: slack_client(url),
            ledger=ledger,
            outbox=SqliteOutbox(tmp_path / "outbox.sqlite3"),
            # The intake hands it off again once the lease has lapsed: so has the dead one's claim.
            clock=lambda: time.time() + lease + 1,
        )
        asyncio.run(asyncio.wait_for(second.investigate(ctx), 30))
    assert len(fake.reports()) == 1  # found in the channel, not posted again
    entry = ledger.get(ctx.investigation_id)
    assert entry is not None and entry.state == REPORTED


# The drills run on a clock compressed this many times: every duration the code is given
# (deadline, late cutoff, the chat client's back-off, the outage, the scanners' latencies) divided.
SCALE = 15


def test_slack_down_90_s_then_back_report_late_update_and_graph_are_each_posted_once(
    slack_api: tuple[SlackStandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack answers 500 from the alert on for 90 s (compressed); the report is due at 60 s, a
    scanner answers late at 75 s, the graph is drawn after the report; the cutoff is 180 s. All
    three are posted once Slack is back, once each."""
    fake, url = slack_api
    monkeypatch.setattr("agents.master.orchestrator.moved_metrics", lambda _r: True)
    monkeypatch.setattr(
        "agents.master.orchestrator.graph_png", lambda _r, _q: (b"\x89PNG" + bytes(64), "alt")
    )
    config = config_with(deadline=60 / SCALE, cutoff=180 / SCALE, scanners={"quick": None, "slow": 120.0})
    ctx = in_thread(alert())
    scripts = {"quick": Script(latency=0.1), "slow": Script(latency=75 / SCALE)}

    def chat() -> SlackPlatform:  # Backoff() defaults, compressed
        return SlackPlatform("xoxb-test", url, backoff=Backoff(base=0.5 / SCALE, cap=8 / SCALE), timeout=5)

    with serve_scripted(scripts) as client:
        investigator = Investigator(
            config=config, client=client, chat_for=lambda _n: chat(), graph_query=lambda *_a: []
        )
        fake.down_until = time.monotonic() + 90 / SCALE
        asyncio.run(asyncio.wait_for(investigator.investigate(ctx), 30))
    [report] = fake.reports()
    [update] = [p for p in fake.posted if "Late result from slow" in p.text]
    [graph] = fake.uploads
    assert report.thread_ts == update.thread_ts == graph.thread_ts == THREAD
    assert 0 <= report.at - fake.down_until < 1.0  # as soon as Slack is back (back-off cap 0.53 s)
    assert report.at <= update.at and report.at <= graph.at
    assert graph.text == "What moved"
    assert sum(1 for _at, status, text in fake.attempts if status == 500 and "Likely cause" in text) > 3


def test_a_late_update_told_to_come_back_past_the_cutoff_is_the_one_final_post_then(
    slack_api: tuple[SlackStandIn, str],
) -> None:
    fake, url = slack_api
    fake.limit_only, fake.rate_limits = "Late result", [3.0]
    config = config_with(deadline=0.5, cutoff=2.5, scanners={"quick": None, "slow": 10.0})
    with serve_scripted({"quick": Script(latency=0.1), "slow": Script(latency=1.5)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: slack_client(url))
        asyncio.run(asyncio.wait_for(investigator.investigate(in_thread(alert())), 30))
    tries = [(at, status) for at, status, text in fake.attempts if "Late result" in text]
    assert [status for _at, status in tries] == [429, 200]
    assert 3.0 <= tries[1][0] - tries[0][0] < 3.5  # when Slack said, past the cutoff
    assert len([p for p in fake.posted if "Late result from slow" in p.text]) == 1


@pytest.mark.parametrize("thread_id", [THREAD, None], ids=["alert-thread", "no-thread"])
def test_slack_rate_limits_the_notice_for_30_s_the_report_goes_at_the_deadline(
    slack_api: tuple[SlackStandIn, str], thread_id: str | None
) -> None:
    """Slack answers the notice 429 with Retry-After 30 s (real seconds, not compressed) and takes
    the report: the report is at the deadline (2 s: a scanner hangs) within 0.5 s, the notice does
    not follow it."""
    fake, url = slack_api
    fake.limit_only, fake.rate_limits = "Investigating", [30.0]
    config = config_with(deadline=2.0, cutoff=2.0, scanners={"quick": None, "hung": None})
    ctx = alert().model_copy(update={"thread_id": thread_id})
    with serve_scripted({"quick": Script(latency=0.1), "hung": Script(hang=True)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: slack_client(url))
        started = time.monotonic()
        asyncio.run(asyncio.wait_for(investigator.investigate(ctx), 30))
    [report] = fake.reports()
    assert abs(report.at - started - 2.0) <= 0.5
    assert report.thread_ts == thread_id
    assert not any("Investigating" in p.text for p in fake.posted)


def test_slack_down_just_after_the_report_the_graph_and_the_late_update_follow_once_it_is_back(
    slack_api: tuple[SlackStandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack takes the report, then answers 500 for 45 s (compressed): the graph, drawn just after
    the report, and a late result at 75 s are posted once it is back, before the 180 s cutoff."""
    fake, url = slack_api
    monkeypatch.setattr("agents.master.orchestrator.moved_metrics", lambda _r: True)
    monkeypatch.setattr(
        "agents.master.orchestrator.graph_png", lambda _r, _q: (b"\x89PNG" + bytes(64), "alt")
    )
    config = config_with(deadline=60 / SCALE, cutoff=180 / SCALE, scanners={"quick": None, "slow": 120.0})
    scripts = {"quick": Script(latency=0.1), "slow": Script(latency=75 / SCALE)}

    def chat() -> SlackPlatform:
        return SlackPlatform("xoxb-test", url, backoff=Backoff(base=0.5 / SCALE, cap=8 / SCALE), timeout=5)

    fake.down_after_report = 45 / SCALE
    with serve_scripted(scripts) as client:
        investigator = Investigator(
            config=config, client=client, chat_for=lambda _n: chat(), graph_query=lambda *_a: []
        )
        asyncio.run(asyncio.wait_for(investigator.investigate(in_thread(alert())), 30))
    [report] = fake.reports()
    [update] = [p for p in fake.posted if "Late result from slow" in p.text]
    [graph] = fake.uploads
    assert update.thread_ts == graph.thread_ts == THREAD
    assert report.at < fake.down_until <= graph.at and fake.down_until <= update.at
    assert any(status == 500 and "files" in what for _at, status, what in fake.attempts)
