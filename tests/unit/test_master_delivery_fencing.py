"""Who may post a part (`agents.master.delivery`): an attempt superseded by a later hand-off does
not post, whether the later attempt has taken the part's claim already or only holds the
investigation in the ledger; an abandoned delivery (the notice, once the report goes out) stops
without a final post."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from agents.master.delivery import Delivery
from agents.master.outbox import Entry, MemoryOutbox, Part
from sandbox.memory_chat import MemoryChat
from shared.chat.retry import may_wait, pause
from shared.errors import SourceError
from shared.ledger import InMemoryLedger


class DownChat(MemoryChat):
    """A platform that fails every post, retried as the real clients do: with a pause, while the
    caller's `retry_deadline` allows it."""

    tries = 0

    def post(self, channel: str, text: str, **_kwargs: object) -> str:
        while True:
            self.tries += 1
            if not may_wait(0.05):
                raise SourceError("the platform is down")
            pause(0.05)


def written(outbox: MemoryOutbox, inv: str = "slack-fenced-1") -> Entry:
    return outbox.put(
        Entry(
            investigation_id=inv,
            channel="C0ALERTS",
            thread_id="1700000000.000100",
            parts=(Part("*Likely cause*: the deploy"),),
            report_json="{}",
            created_at=time.time(),
        )
    )


def test_an_attempt_superseded_in_the_ledger_does_not_post_and_hands_the_part_on() -> None:
    chat, outbox, ledger = MemoryChat("slack"), MemoryOutbox(), InMemoryLedger()
    entry = written(outbox)
    now = time.time()
    assert ledger.handed_off(entry.investigation_id, attempt=1, lease_until=now - 1, now=now - 40)
    assert ledger.handed_off(entry.investigation_id, attempt=2, lease_until=now + 30, now=now)

    def later() -> bool:
        held = ledger.get(entry.investigation_id)
        return held is not None and held.attempt > 1

    stale = Delivery(chat, outbox, attempt=1, fence=later, lease_s=5.0)
    thread, posted = asyncio.run(stale.deliver(entry, time.monotonic() + 5))
    assert (thread, posted) == ("1700000000.000100", False)
    assert chat.posted == []
    # The later attempt takes the part at once (the stale one gave its claim back) and posts it.
    fresh = Delivery(chat, outbox, attempt=2, fence=lambda: False, lease_s=5.0)
    assert asyncio.run(fresh.deliver(entry, time.monotonic() + 5))[1]
    assert [p.text for p in chat.posted] == ["*Likely cause*: the deploy"]


def test_an_attempt_whose_part_a_later_one_claimed_waits_for_it_and_posts_nothing() -> None:
    chat, outbox = MemoryChat("slack"), MemoryOutbox()
    entry = written(outbox)
    now = time.time()
    assert outbox.claim(entry.investigation_id, 0, "attempt-2", until=now + 1, now=now, attempt=2)
    outbox.posted(entry.investigation_id, 0, "1700000000.000200")
    stale = Delivery(chat, outbox, attempt=1, lease_s=5.0)
    assert asyncio.run(stale.deliver(entry, time.monotonic() + 5))[1]
    assert chat.posted == []


def test_an_abandoned_delivery_stops_retrying_at_once_without_a_final_post() -> None:
    chat, outbox = DownChat("slack"), MemoryOutbox()
    entry = written(outbox, "slack-fenced-1/notice")
    notice = Delivery(chat, outbox, final_post=False, lease_s=5.0)

    async def run() -> tuple[str | None, bool]:
        task = asyncio.create_task(notice.deliver(entry, time.monotonic() + 3600))
        while chat.tries < 3:  # retrying, with an hour to go
            await asyncio.sleep(0.01)
        notice.abandon()  # the report goes out
        return await asyncio.wait_for(task, 5)

    assert asyncio.run(run())[1] is False
    tries = chat.tries
    assert chat.posted == [] and tries >= 3
    # Given back: the next attempt may post it (were it still worth posting).
    assert outbox.claim(entry.investigation_id, 0, "next", until=time.time() + 5, now=time.time())


class StallsMidRetry(MemoryChat):
    """A platform whose first post fails, after which the posting process stalls (frozen, its event
    loop too) until `wake`; then it waits before its retry, as the clients do, and would post."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.stalled = threading.Event()
        self.wake = threading.Event()

    def post(self, channel: str, text: str, **kwargs: Any) -> str:
        if not self.stalled.is_set():
            self.stalled.set()
            self.wake.wait(10)
            pause(0.05)  # the wait before the retry
        return super().post(channel, text, **kwargs)


def test_a_post_retrying_when_its_process_stalled_stops_once_a_later_attempt_took_it_over() -> None:
    outbox = MemoryOutbox()
    entry = written(outbox)
    stalled_chat, chat = StallsMidRetry("slack"), MemoryChat("slack")

    async def frozen_loop(seconds: float) -> None:
        """Its claim's renewal (every 0.1 s) never comes round: only the posting thread can tell
        it was taken over. Its polls (0.01 s) run."""
        if seconds < 0.05:
            await asyncio.sleep(seconds)
        else:
            await asyncio.Event().wait()

    stale = Delivery(stalled_chat, outbox, attempt=1, lease_s=0.3, sleep=frozen_loop, poll_s=0.01)
    outcome: list[tuple[str | None, bool]] = []
    worker = threading.Thread(
        target=lambda: outcome.append(asyncio.run(stale.deliver(entry, time.monotonic() + 30))), daemon=True
    )
    worker.start()
    assert stalled_chat.stalled.wait(5)
    # The intake's retry (attempt 2) waits for the stalled one's claim to lapse, takes the post
    # over and makes it.
    fresh = Delivery(chat, outbox, attempt=2, lease_s=0.3, poll_s=0.05)
    assert asyncio.run(fresh.deliver(entry, time.monotonic() + 5))[1]
    stalled_chat.wake.set()
    worker.join(10)
    assert not worker.is_alive()
    assert [p.text for p in chat.posted] == ["*Likely cause*: the deploy"]
    assert stalled_chat.posted == []  # it woke, and did not retry over the later attempt
    assert outcome == [("1700000000.000100", True)]  # it takes the later attempt's message
