"""Fault drill over loopback, end to end: a master slowed past its lease while alive. The intake
(uvicorn, dedup, ledger and the report outbox in DynamoDB on the moto server) hands a Slack mention
to a master served over A2A whose heartbeat does not reach the table; the lease runs out, the
intake's watch hands the investigation off again and a second master takes it. Both finish, both
reach the report's post while Slack is slow to take it (each post is held for seconds), and exactly
one report reaches the thread: only the attempt holding the post's claim in the outbox posts it, the
other waits until it is posted."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents.master.orchestrator import Investigator
from agents.master.outbox import DynamoOutbox
from lambda_adapter.dedup import DynamoDedupStore
from lambda_adapter.master import MasterDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.signing import TEST_SLACK_SECRET, slack_headers
from shared.a2a import A2AClient, AgentCardSpec, HttpTransport, build_agent_app
from shared.contracts import AlertContext
from shared.ledger import REPORTED, DynamoLedger
from tests.functional.test_fault_master_killed import LEASE, config_leased
from tests.functional.test_fault_report_outbox import (  # noqa: F401  (fixture)
    SlackStandIn,
    slack_api,
    slack_client,
)
from tests.support.dynamo import dedup_table, dynamodb_client, moto_server
from tests.support.scripted_agents import Script, serve_scripted

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
THREAD = "1712345640.000200"  # the mention's ts (tests/events/slack_app_mention.json)


class SilentHeartbeat(DynamoLedger):
    """The ledger of a master that is slow, not dead: its heartbeats never reach the table in time,
    its outcome does."""

    def running(self, investigation_id: str, *, lease_until: float, attempt: int | None = None) -> None:
        return None


def two_masters(first: Investigator, then: Investigator, finished: list[str]) -> Any:
    """One A2A endpoint: the first hand-off runs on `first`, every later one on `then` (two master
    runtimes behind one address); `finished` gets the report's investigation as each one ends."""
    calls: list[int] = []
    lock = threading.Lock()

    async def handle(data: dict[str, Any]) -> dict[str, Any]:
        ctx = AlertContext.model_validate(data["alert"])
        with lock:
            calls.append(1)
            investigator = first if len(calls) == 1 else then
        report = await investigator.investigate(ctx)
        finished.append(report.investigation_id)
        return {"report": report.model_dump(mode="json")}

    card = AgentCardSpec(
        name="master", description="master", url="http://127.0.0.1/", skills=[("investigate", "i", "i")]
    )
    return build_agent_app(card, handle)


def test_a_master_slowed_past_its_lease_and_its_retry_both_finish_and_one_report_is_posted(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
) -> None:
    fake, url = slack_api
    fake.hold_reports = 3.0  # Slack takes 3 s to accept a report: the two attempts' posts overlap
    # The first master reports at its 7 s deadline (its scanner hangs), after the watch's hand-off
    # at the lease's end (5 s + 1) and while the retry's report (at about 6.3 s) is still in flight.
    slow_config, quick_config = config_leased(7.0), config_leased(2.0)
    finished: list[str] = []
    with (
        moto_server() as dynamo_url,
        serve_scripted({"quick": Script(hang=True)}) as hung,
        serve_scripted({"quick": Script(latency=0.1)}) as quick,
    ):
        table, client = dedup_table(dynamo_url), dynamodb_client(dynamo_url)
        ledger = DynamoLedger(client, table)

        def master(config: Any, scanners: A2AClient, master_ledger: DynamoLedger) -> Investigator:
            return Investigator(
                config=config,
                client=scanners,
                chat_for=lambda _n: slack_client(url),
                ledger=master_ledger,
                outbox=DynamoOutbox(dynamodb_client(dynamo_url), table),
            )

        slow = master(slow_config, hung, SilentHeartbeat(dynamodb_client(dynamo_url), table))
        retry = master(quick_config, quick, DynamoLedger(dynamodb_client(dynamo_url), table))
        masters = ThreadedServer(two_masters(slow, retry, finished)).start()
        settings = IntakeSettings(
            secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET),
            handoff_attempts=3,
            handoff_lease_seconds=LEASE,
        )
        app = create_app(
            settings=settings,
            dispatcher=MasterDispatcher(A2AClient({"master": HttpTransport(masters.url)}), "master"),
            chat_for=lambda _n: slack_client(url),
            dedup=DynamoDedupStore(client, table),
            ledger=ledger,
        )
        try:
            with ThreadedServer(app) as intake:
                body = (EVENTS / "slack_app_mention.json").read_bytes()
                answer = httpx.post(
                    f"{intake.url}/slack/events",
                    content=body,
                    headers=slack_headers(TEST_SLACK_SECRET, body, int(time.time())),
                )
                assert json.loads(answer.content)["outcome"] == "started"
                deadline = time.monotonic() + 4 * LEASE + 15
                while time.monotonic() < deadline and len(finished) < 2:
                    time.sleep(0.2)
                time.sleep(0.5)  # a second report, were one on its way, would be in by now
        finally:
            masters.stop()
        [investigation] = set(finished)
        entry = ledger.get(investigation)

    assert len(finished) == 2  # both attempts ran to the end
    texts = fake.texts()
    assert any("retrying (attempt 2 of 3)" in t for t in texts)
    [report] = fake.reports()
    assert report.thread_ts == THREAD
    # Both attempts reached the post: the second one waited on the first one's claim.
    assert sum(1 for _at, status, text in fake.attempts if "Likely cause" in text) == 1
    assert entry is not None and entry.state == REPORTED and entry.attempt == 2


def test_two_deliveries_of_one_report_at_once_post_it_once(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
) -> None:
    """The same, inside one process: two attempts deliver the one report written to the outbox at
    the same moment (Slack holds each post a second); one posts, the other takes its message."""
    from agents.master.delivery import Delivery
    from agents.master.outbox import Entry, MemoryOutbox, Part

    fake, url = slack_api
    fake.hold_reports = 1.0
    outbox = MemoryOutbox()
    entry = outbox.put(
        Entry(
            investigation_id="slack-race",
            channel="C0ALERTS",
            thread_id=THREAD,
            parts=(Part("*Likely cause*: the deploy"), Part("the rest of the report")),
            report_json="{}",
            created_at=time.time(),
        )
    )

    async def both() -> list[tuple[str | None, bool]]:
        until = time.monotonic() + 10
        first, second = (Delivery(slack_client(url), outbox, lease_s=5.0, poll_s=0.1) for _ in range(2))
        return list(await asyncio.gather(first.deliver(entry, until), second.deliver(entry, until)))

    outcomes = asyncio.run(asyncio.wait_for(both(), 30))
    assert outcomes == [(THREAD, True), (THREAD, True)]
    assert [p.text for p in fake.posted] == ["*Likely cause*: the deploy", "the rest of the report"]
