"""Fault drill: the master dies mid-investigation, with the dedup table and the hand-off ledger in
DynamoDB (the moto server on loopback). The intake notices (no heartbeat, no report), hands the
investigation off again, and one report is posted; a re-trigger after the report is a duplicate,
two re-triggers of a lost investigation racing start exactly one new one. And the master's side:
a real investigation records its heartbeat and then `reported`, or `failed` when Slack refuses."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.dedup import DynamoDedupStore
from lambda_adapter.settings import IntakeSettings
from sandbox.intake_fakes import Harness, MemoryChat
from shared.contracts import AlertContext
from shared.ledger import FAILED, REPORTED, DynamoLedger, Ledger
from tests.support.dynamo import dedup_store, dedup_table, moto_server

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())
LEASE = 30.0


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def store(moto_url: str) -> DynamoDedupStore:
    return dedup_store(moto_url, dedup_table(moto_url))


@dataclass
class DyingMaster:
    """Accepts every task; the first `dies` attempts send one heartbeat and die, the next posts
    its report in the thread and records it, as the real master does."""

    ledger: Ledger
    chat: MemoryChat
    clock: Any
    dies: int = 1
    contexts: list[AlertContext] = field(default_factory=list)

    def dispatch(self, ctx: AlertContext) -> None:
        self.contexts.append(ctx)
        if len(self.contexts) <= self.dies:
            self.ledger.running(ctx.investigation_id, lease_until=self.clock() + 20)
            return
        self.chat.post(ctx.channel, f"Report of {ctx.investigation_id}", thread_id=ctx.thread_id)
        self.ledger.finish(ctx.investigation_id, REPORTED)


def harness(store: DynamoDedupStore, dies: int = 1) -> tuple[Harness, DyingMaster]:
    base = Harness()
    settings = IntakeSettings(secrets=base.settings.secrets, handoff_attempts=3, handoff_lease_seconds=LEASE)
    ledger = DynamoLedger(store.client, store.table)
    h = Harness(settings, dedup=store, ledger=ledger)
    master = DyingMaster(ledger, h.slack_chat, h.clock, dies=dies)
    h.worker.dispatcher = h.worker.handoff.dispatcher = master
    return h, master


def reports(h: Harness) -> list[str]:
    return [p.text for p in h.slack_chat.posted if p.text.startswith("Report of")]


def test_master_killed_mid_investigation_one_report_after_the_retry(store: DynamoDedupStore) -> None:
    h, master = harness(store)
    assert json.loads(h.slack({**MENTION, "event_id": "Ev1"}).body)["outcome"] == "started"
    assert reports(h) == []
    for _ in range(3):  # the watch looks at each lease's end
        h.clock.advance(LEASE + 2)
        h.jobs.run_watches()
    assert len(master.contexts) == 2
    assert len({c.investigation_id for c in master.contexts}) == 1
    assert len(reports(h)) == 1
    assert any("retrying (attempt 2 of 3)" in p.text for p in h.slack_chat.posted)
    assert h.jobs.watches == []
    # Mentioned again after the report: a duplicate, not a third investigation.
    assert json.loads(h.slack({**MENTION, "event_id": "Ev2"}).body)["outcome"] == "duplicate"
    assert len(master.contexts) == 2


def test_racing_re_triggers_of_a_lost_investigation_start_one(store: DynamoDedupStore) -> None:
    h, master = harness(store, dies=99)
    h.slack({**MENTION, "event_id": "Ev0"})
    h.clock.advance(25)  # its one heartbeat ran out: lost
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda i: json.loads(h.slack({**MENTION, "event_id": f"Ev{i}"}).body), range(1, 7))
        )
    assert [a["outcome"] for a in answers].count("started") == 1
    assert len({c.investigation_id for c in master.contexts}) == 2


def _same(chat: MemoryChat, _name: str) -> MemoryChat:
    return chat


def test_the_master_records_its_heartbeat_and_its_report(store: DynamoDedupStore) -> None:
    import asyncio

    from agents.master.orchestrator import Investigator
    from tests.functional.test_master_deadlines import config_with
    from tests.support.scripted_agents import Script, alert, serve_scripted

    ledger = DynamoLedger(store.client, store.table)
    config = config_with(deadline=1.0, cutoff=1.0, scanners={"quick": None})
    ok, refusing = MemoryChat("slack"), MemoryChat("slack")
    refusing.refuse = "channel_not_found"
    with serve_scripted({"quick": Script(latency=0.1)}) as client:
        for chat in (ok, refusing):
            investigator = Investigator(
                config=config, client=client, chat_for=functools.partial(_same, chat), ledger=ledger
            )
            ctx = alert().model_copy(update={"investigation_id": f"slack-{uuid.uuid4().hex[:12]}"})
            asyncio.run(investigator.investigate(ctx))
            entry = ledger.get(ctx.investigation_id)
            assert entry is not None
            assert entry.state == (REPORTED if chat is ok else FAILED)
