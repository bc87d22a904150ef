"""The hand-off ledger after the report and across attempts, in memory and in DynamoDB (the moto
server): what follows the report holds a lease of its own, taken over by the next attempt once it
lapses; a master of an earlier attempt cannot fail, nor renew, an investigation a later one holds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.ledger import FAILED, REPORTED, RUNNING, DynamoLedger, InMemoryLedger, Ledger
from tests.support.dynamo import dedup_table, dynamodb_client, moto_server

NOW = 1_800_000_000.0


@pytest.fixture(params=["memory", "dynamodb"])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    if request.param == "memory":
        yield InMemoryLedger()
    else:
        with moto_server() as url:
            yield DynamoLedger(dynamodb_client(url), dedup_table(url), clock=lambda: NOW)


def test_updates_left_after_the_report_are_taken_over_once_their_lease_lapses(ledger: Ledger) -> None:
    assert ledger.handed_off("inv-1", attempt=1, lease_until=NOW + 30, now=NOW)
    ledger.finish("inv-1", REPORTED, attempt=1, followups_until=NOW + 30)
    entry = ledger.get("inv-1")
    assert entry is not None and entry.state == REPORTED and not entry.lost(NOW + 99)
    assert not entry.followups_lost(NOW + 10)
    ledger.following("inv-1", lease_until=NOW + 60)  # the master's heartbeat while it posts them
    assert not ledger.redeliver("inv-1", attempt=2, lease_until=NOW + 90, now=NOW + 59)
    assert ledger.redeliver("inv-1", attempt=2, lease_until=NOW + 91, now=NOW + 61)
    assert not ledger.redeliver("inv-1", attempt=2, lease_until=NOW + 92, now=NOW + 99)  # once
    entry = ledger.get("inv-1")
    assert entry is not None and entry.state == REPORTED and entry.attempt == 2
    ledger.followed("inv-1")
    entry = ledger.get("inv-1")
    assert entry is not None and not entry.followups_lost(NOW + 999)


def test_a_report_with_nothing_to_follow_is_never_handed_off_again(ledger: Ledger) -> None:
    assert ledger.handed_off("inv-2", attempt=1, lease_until=NOW + 30, now=NOW)
    ledger.finish("inv-2", REPORTED, attempt=1)
    assert not ledger.redeliver("inv-2", attempt=2, lease_until=NOW + 999, now=NOW + 999)


def test_an_earlier_attempt_neither_renews_nor_fails_what_a_later_one_holds(ledger: Ledger) -> None:
    assert ledger.handed_off("inv-3", attempt=1, lease_until=NOW + 30, now=NOW)
    ledger.running("inv-3", lease_until=NOW + 30, attempt=1)
    assert ledger.handed_off("inv-3", attempt=2, lease_until=NOW + 62, now=NOW + 31)
    ledger.running("inv-3", lease_until=NOW + 200, attempt=1)  # the stalled master wakes
    ledger.finish("inv-3", FAILED, "stalled", attempt=1)
    entry = ledger.get("inv-3")
    assert entry is not None and entry.attempt == 2 and entry.lease_until == NOW + 62
    assert entry.state != FAILED
    ledger.running("inv-3", lease_until=NOW + 70, attempt=2)
    entry = ledger.get("inv-3")
    assert entry is not None and entry.state == RUNNING and entry.lease_until == NOW + 70


def test_a_first_attempt_never_written_is_taken_over_by_the_second_once(ledger: Ledger) -> None:
    """The first hand-off is not written: the second takes an investigation with no entry, once;
    a master of the first attempt that wakes later is fenced."""
    assert ledger.handed_off("inv-4", attempt=2, lease_until=NOW + 30, now=NOW)
    assert not ledger.handed_off("inv-4", attempt=2, lease_until=NOW + 31, now=NOW + 1)
    ledger.running("inv-4", lease_until=NOW + 99, attempt=1)
    entry = ledger.get("inv-4")
    assert entry is not None and entry.attempt == 2 and entry.lease_until == NOW + 30


def test_a_first_attempt_that_started_is_not_taken_over_while_alive(ledger: Ledger) -> None:
    ledger.running("inv-5", lease_until=NOW + 30, attempt=1)  # its master's first heartbeat
    assert not ledger.handed_off("inv-5", attempt=2, lease_until=NOW + 60, now=NOW + 10)
    assert ledger.handed_off("inv-5", attempt=2, lease_until=NOW + 61, now=NOW + 31)  # it died
