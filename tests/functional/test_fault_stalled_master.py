"""Fault drill over loopback: a master that stalls past its lease holding the report's post, while
the intake's retry posts it, must not post it again when it wakes (Slack takes no idempotency key).

DynamoDB (ledger and outbox) is the moto server; Slack is the Web API stand-in of
`test_fault_report_outbox`. The first master (attempt 1) writes the report, takes its post's claim
and stalls before posting. Its lease lapses; the intake hands the investigation to attempt 2, which
posts the report written by the first and records it. The first master then wakes: it is fenced
(its claim cannot be renewed over a later attempt's, and the ledger names a later attempt), so the
thread holds exactly one report and Slack never saw a second post of it. Bounded: seconds."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from agents.master.orchestrator import Investigator
from agents.master.outbox import DynamoOutbox
from shared.ledger import REPORTED, DynamoLedger
from tests.functional.test_fault_master_killed import LEASE, config_leased
from tests.functional.test_fault_report_outbox import (  # noqa: F401  (fixture)
    SlackStandIn,
    slack_api,
    slack_client,
)
from tests.functional.test_master_deadlines import THREAD, in_thread
from tests.support.dynamo import dedup_table, dynamodb_client, moto_server
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.functional


class StallsBeforePosting(DynamoOutbox):
    """The outbox of a master that stalls (a long pause, a frozen VM) once it holds the report's
    claim, right before its post: the intent write does not return until `wake` is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stalled = threading.Event()
        self.wake = threading.Event()

    def intent(self, investigation_id: str, part: int, at: float) -> None:
        if "/" not in investigation_id and not self.stalled.is_set():  # the report, not the notice
            self.stalled.set()
            self.wake.wait(60)
        super().intent(investigation_id, part, at)


def test_a_master_stalled_past_its_lease_wakes_after_its_retry_posted_and_posts_nothing(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
) -> None:
    fake, url = slack_api
    config = config_leased(1.0)
    ctx = in_thread(alert())
    inv = ctx.investigation_id
    with moto_server() as dynamo_url, serve_scripted({"quick": Script(latency=0.1)}) as scanners:
        table = dedup_table(dynamo_url)
        ledger = DynamoLedger(dynamodb_client(dynamo_url), table)
        assert ledger.handed_off(inv, attempt=1, lease_until=time.time() + LEASE, now=time.time())
        stalling = StallsBeforePosting(dynamodb_client(dynamo_url), table)
        first = Investigator(
            config=config,
            client=scanners,
            chat_for=lambda _n: slack_client(url),
            ledger=DynamoLedger(dynamodb_client(dynamo_url), table),
            outbox=stalling,
        )
        outcome: list[Any] = []
        woke = threading.Thread(
            target=lambda: outcome.append(asyncio.run(asyncio.wait_for(first.investigate(ctx), 60))),
            daemon=True,
        )
        woke.start()
        assert stalling.stalled.wait(20)  # the first master holds the report's claim, and stalls

        # Its lease runs out (the clock moved past it); the intake's watch hands off attempt 2.
        later = time.time() + LEASE + 1
        assert ledger.handed_off(inv, attempt=2, lease_until=later + LEASE, now=later)
        retry = Investigator(
            config=config,
            client=scanners,
            chat_for=lambda _n: slack_client(url),
            ledger=DynamoLedger(dynamodb_client(dynamo_url), table),
            outbox=DynamoOutbox(dynamodb_client(dynamo_url), table),
            clock=lambda: time.time() + LEASE + 1,  # the first one's claim has lapsed too
        )
        asyncio.run(asyncio.wait_for(retry.investigate(ctx.model_copy(update={"attempt": 2})), 30))
        [posted] = fake.reports()
        assert posted.thread_ts == THREAD

        stalling.wake.set()  # the first master wakes, its report's post still before it
        woke.join(60)
        assert not woke.is_alive()
        entry = ledger.get(inv)

    assert len(fake.reports()) == 1  # exactly one report in the thread
    assert sum(1 for _at, _status, text in fake.attempts if "Likely cause" in text) == 1  # never tried
    assert entry is not None and entry.state == REPORTED and entry.attempt == 2
