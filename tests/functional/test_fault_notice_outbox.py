"""Fault drills on the "Investigating…" notice, over loopback through the real Slack client against
the Slack Web API stand-in of `test_fault_report_outbox`. The notice goes through the report's
outbox: written first, posted under a key (Slack's message metadata), retried until the deadline.

- Slack answers 500 for the first 1.5 s: the notice is posted once Slack is back, then the report at
  its deadline; neither is lost, the report is not late.
- The master is killed after the notice went out and before it recorded it; the retry (another
  master, the same outbox) finds the notice in the thread by its key and does not post it again.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from agents.master.orchestrator import Investigator
from agents.master.outbox import SqliteOutbox
from shared.ledger import REPORTED, InMemoryLedger
from tests.functional.test_fault_report_outbox import (  # noqa: F401  (fixture)
    SlackStandIn,
    slack_api,
    slack_client,
)
from tests.functional.test_master_deadlines import THREAD, config_with, in_thread
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.functional


def test_slack_down_at_the_start_the_notice_follows_once_it_is_back_and_the_report_is_on_time(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
) -> None:
    fake, url = slack_api
    config = config_with(deadline=3.0, cutoff=3.0, scanners={"quick": None, "hung": None})
    with serve_scripted({"quick": Script(latency=0.1), "hung": Script(hang=True)}) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _n: slack_client(url))
        started = time.monotonic()
        fake.down_until = started + 1.5
        asyncio.run(asyncio.wait_for(investigator.investigate(in_thread(alert())), 30))
    [notice] = [p for p in fake.posted if "Investigating" in p.text]
    [report] = fake.reports()
    assert notice.thread_ts == report.thread_ts == THREAD
    assert 0 <= notice.at - fake.down_until < 1.0  # as soon as Slack was back (back-off cap 0.4 s)
    assert notice.at < report.at and abs(report.at - started - 3.0) <= 0.5
    assert sum(1 for _at, status, text in fake.attempts if status == 500 and "Investigating" in text) > 2


class DiesAfterTheNotice(SqliteOutbox):
    """The outbox of a master that dies the moment its notice went out: it never records it."""

    frozen = threading.Event()
    released = threading.Event()

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        if not investigation_id.endswith("/notice"):
            return super().posted(investigation_id, part, message_id)
        self.frozen.set()
        self.released.wait(30)  # never returns to record it: the test lets the thread go once dead


def test_a_master_killed_after_its_notice_is_retried_without_a_second_notice(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake, url = slack_api
    config = config_with(deadline=1.0, cutoff=1.0, scanners={"quick": None})
    ledger = InMemoryLedger()
    ctx = in_thread(alert())

    async def killed_after_the_notice() -> None:
        with serve_scripted({"quick": Script(latency=0.5)}) as client:
            first = Investigator(
                config=config,
                client=client,
                chat_for=lambda _n: slack_client(url),
                ledger=ledger,
                outbox=DiesAfterTheNotice(tmp_path / "outbox.sqlite3"),
            )
            task = asyncio.create_task(first.investigate(ctx))
            while not DiesAfterTheNotice.frozen.is_set():
                await asyncio.sleep(0.05)
            task.cancel()  # the process dies before the report; the notice's record is never made
            DiesAfterTheNotice.released.set()

    asyncio.run(asyncio.wait_for(killed_after_the_notice(), 30))
    assert [p for p in fake.posted if "Investigating" in p.text] != [] and fake.reports() == []

    lease = config.intake.handoff_lease_seconds
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        retry = Investigator(
            config=config,
            client=client,
            chat_for=lambda _n: slack_client(url),
            ledger=ledger,
            outbox=SqliteOutbox(tmp_path / "outbox.sqlite3"),
            clock=lambda: time.time() + lease + 1,  # the dead one's claim on the notice has lapsed
        )
        asyncio.run(asyncio.wait_for(retry.investigate(ctx.model_copy(update={"attempt": 2})), 30))
    assert sum("Investigating" in t for t in fake.texts()) == 1  # found by its key, not posted again
    [report] = fake.reports()
    assert report.thread_ts == THREAD
    entry = ledger.get(ctx.investigation_id)
    assert entry is not None and entry.state == REPORTED
