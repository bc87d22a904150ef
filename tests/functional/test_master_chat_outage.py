"""Fault drills on the chat platform, through the real Slack client against a fake Slack Web API:
an outage longer than the client's retry count does not lose the report (it is retried until the
late cutoff), and a rate-limited notice neither holds back the report nor lands after it."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.master.orchestrator import Investigator
from shared.chat.retry import Backoff
from shared.chat.slack import SlackPlatform
from shared.ledger import REPORTED, InMemoryLedger
from tests.functional.test_chat_slack import FakeSlackApi, Reply, api  # noqa: F401  (fixture)
from tests.functional.test_master_deadlines import config_with, in_thread
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.functional
OK = Reply(body={"ok": True, "channel": "C0ALERTS", "ts": "1795383700.000200"})


def posted_texts(fake: FakeSlackApi) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls("chat.postMessage")]


def test_a_slack_outage_longer_than_the_retry_count_does_not_lose_the_report(api: FakeSlackApi) -> None:  # noqa: F811
    # Twelve 503s in a row: the notice gives up by the deadline, the report outlasts the outage.
    api.on("chat.postMessage", *[Reply(503, "unavailable")] * 12, OK)
    chat = SlackPlatform("xoxb-test", api.url.rstrip("/"), backoff=Backoff(base=0.05, cap=0.2), timeout=5)
    config = config_with(deadline=1.0, cutoff=15.0, scanners={"quick": None})
    ledger = InMemoryLedger()
    ctx = in_thread(alert())
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: chat, ledger=ledger)
        asyncio.run(investigator.investigate(ctx))
    assert any("Likely cause" in text for text in posted_texts(api)[12:])
    entry = ledger.get(ctx.investigation_id)
    assert entry is not None and entry.state == REPORTED


def test_a_rate_limited_notice_neither_delays_the_report_nor_follows_it(api: FakeSlackApi) -> None:  # noqa: F811
    # The notice is told to come back in 3 s; the scanner answers at once, the thread is known:
    # the report goes out now, and the notice, no longer useful, is dropped.
    api.on(
        "chat.postMessage",
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}),
        OK,
    )
    chat = SlackPlatform("xoxb-test", api.url.rstrip("/"), timeout=5)
    config = config_with(deadline=5.0, cutoff=5.0, scanners={"quick": None})
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: chat)
        started = time.monotonic()
        asyncio.run(investigator.investigate(in_thread(alert())))
    calls = api.calls("chat.postMessage")
    report = next(c for c in calls if "Likely cause" in str(c.params.get("text", "")))
    assert report.at - started < 2.5  # not held back by the notice's 3 s wait
    assert not any("Investigating" in str(c.params.get("text", "")) for c in calls if c.at > report.at)
