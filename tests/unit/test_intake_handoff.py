"""At least once: an investigation whose master stops before its report is handed off again, the
thread says so, and after the last attempt it says why; a re-trigger of a lost investigation starts
a new one instead of being told "duplicate". Without a shared ledger nothing changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lambda_adapter.settings import IntakeSettings
from sandbox.intake_fakes import Harness
from shared.ledger import REPORTED, InMemoryLedger

EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())
LEASE = 30.0


def harness(attempts: int = 3) -> Harness:
    base = Harness()
    settings = IntakeSettings(
        secrets=base.settings.secrets,
        alertmanager_channel=base.settings.alertmanager_channel,
        handoff_attempts=attempts,
        handoff_lease_seconds=LEASE,
    )
    return Harness(settings, ledger=InMemoryLedger())


def mention(event_id: str) -> dict[str, Any]:
    return {**MENTION, "event_id": event_id}


def thread_texts(h: Harness) -> list[str]:
    return [p.text for p in h.slack_chat.posted]


def test_a_master_that_dies_is_replaced_and_the_thread_says_so() -> None:
    h = harness()
    assert json.loads(h.slack(mention("Ev1")).body)["outcome"] == "started"
    [first] = h.started
    # The master accepted the task, then died: no heartbeat, no report.
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert [ctx.investigation_id for ctx in h.started] == [first.investigation_id] * 2
    assert any("retrying (attempt 2 of 3)" in text for text in thread_texts(h))
    # The second master reports: nothing more happens.
    h.ledger.finish(first.investigation_id, REPORTED)
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert len(h.started) == 2 and h.jobs.watches == []


def test_a_master_still_working_is_left_alone() -> None:
    h = harness()
    h.slack(mention("Ev1"))
    [ctx] = h.started
    h.clock.advance(LEASE - 5)
    h.ledger.running(ctx.investigation_id, lease_until=h.clock() + 20)  # its heartbeat
    h.clock.advance(10)
    h.jobs.run_watches()
    assert len(h.started) == 1
    assert not any("retrying" in text for text in thread_texts(h))


def test_after_the_last_attempt_the_thread_says_why_and_a_new_trigger_starts_afresh() -> None:
    h = harness(attempts=2)
    h.slack(mention("Ev1"))
    for _ in range(3):
        h.clock.advance(LEASE + 2)
        h.jobs.run_watches()
    assert len(h.started) == 2
    [gave_up] = [t for t in thread_texts(h) if t.startswith("Could not investigate this alert")]
    assert "the master did not start it" in gave_up and "2 attempts" in gave_up
    # The same alert mentioned again (a new event) is investigated, not "covered".
    assert json.loads(h.slack(mention("Ev2")).body)["outcome"] == "started"
    assert len({ctx.investigation_id for ctx in h.started}) == 2


def test_a_re_trigger_of_a_lost_investigation_is_a_new_investigation_not_a_duplicate() -> None:
    h = harness()
    h.slack(mention("Ev1"))
    [lost] = h.started
    h.ledger.running(lost.investigation_id, lease_until=h.clock() + 20)
    h.clock.advance(25)  # the heartbeat stopped 5 s ago: the master died
    answer = json.loads(h.slack(mention("Ev2")).body)
    assert answer["outcome"] == "started"
    assert h.started[-1].investigation_id != lost.investigation_id
    assert not any("covered by this investigation" in text for text in thread_texts(h))
    # The lost one's watch sees it was replaced: no second hand-off of it.
    h.clock.advance(LEASE)
    h.jobs.run_watches()
    assert [c.investigation_id for c in h.started].count(lost.investigation_id) == 1


def test_a_re_trigger_while_the_investigation_runs_is_still_a_duplicate() -> None:
    h = harness()
    h.slack(mention("Ev1"))
    h.ledger.running(h.started[0].investigation_id, lease_until=h.clock() + 20)
    h.clock.advance(5)
    assert json.loads(h.slack(mention("Ev2")).body)["outcome"] == "duplicate"
    assert len(h.started) == 1


def test_a_reported_investigation_is_a_duplicate_for_the_whole_window() -> None:
    h = harness()
    h.slack(mention("Ev1"))
    h.ledger.finish(h.started[0].investigation_id, REPORTED)
    h.clock.advance(300)
    assert json.loads(h.slack(mention("Ev2")).body)["outcome"] == "duplicate"


def test_a_master_unreachable_at_the_hand_off_is_retried_when_its_lease_ends() -> None:
    h = harness()
    h.dispatcher.fail_times = 1
    assert h.slack(mention("Ev1")).status == 200
    assert h.started == []
    assert any("retrying shortly" in text for text in thread_texts(h))
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert len(h.started) == 1


def test_without_a_shared_ledger_nothing_is_watched() -> None:
    h = Harness()
    h.slack(mention("Ev1"))
    h.clock.advance(LEASE * 3)
    h.jobs.run_watches()
    assert len(h.started) == 1 and h.jobs.watches == []


def test_updates_left_unposted_after_the_report_are_handed_off_again_quietly() -> None:
    """The master reported, then died before posting what follows the report: once that lease
    lapses, the investigation is handed off again (attempt 2) without a line in the thread; once the
    next master posted it all, nothing more happens."""
    h = harness()
    h.slack(mention("Ev1"))
    [first] = h.started
    assert first.attempt == 1
    h.ledger.finish(first.investigation_id, REPORTED, attempt=1, followups_until=h.clock() + 20)
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    [_first, again] = h.started
    assert again.investigation_id == first.investigation_id and again.attempt == 2
    assert not any("retrying" in text or "Could not" in text for text in thread_texts(h))
    h.ledger.followed(first.investigation_id)  # the next master posted what was left
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert len(h.started) == 2 and h.jobs.watches == []


def test_updates_still_being_posted_after_the_report_are_left_alone() -> None:
    h = harness()
    h.slack(mention("Ev1"))
    [ctx] = h.started
    h.ledger.finish(ctx.investigation_id, REPORTED, attempt=1, followups_until=h.clock() + LEASE + 20)
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert len(h.started) == 1 and h.jobs.watches != []  # looked at again when that lease ends


def test_a_retry_carries_its_attempt_to_the_master() -> None:
    h = harness()
    h.slack(mention("Ev1"))
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert [ctx.attempt for ctx in h.started] == [1, 2]


def test_the_first_hand_off_writes_nothing_and_a_master_that_never_started_is_replaced() -> None:
    """One DynamoDB call fewer a delivery: the first attempt is not written to the ledger (its
    master's heartbeat creates the entry); no entry once the lease has run out is a master that
    never started, handed off again."""
    h = harness()
    h.slack(mention("Ev1"))
    [first] = h.started
    assert h.ledger.get(first.investigation_id) is None
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert [ctx.attempt for ctx in h.started] == [1, 2]
    assert any("the master did not start it" in text for text in thread_texts(h))
    entry = h.ledger.get(first.investigation_id)
    assert entry is not None and entry.attempt == 2


def test_no_entry_and_no_claim_left_is_nothing_to_hand_off_again() -> None:
    """A watch that finds neither a ledger entry nor the alert's claim (released, expired, the
    table emptied) hands nothing off: no entry alone is not a master that never started."""
    h = harness()
    h.slack(mention("Ev1"))
    for key in list(h.dedup._items):
        h.dedup.release(key)
    h.clock.advance(LEASE + 2)
    h.jobs.run_watches()
    assert len(h.started) == 1 and not any("retrying" in text for text in thread_texts(h))
