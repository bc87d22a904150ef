"""Posting the report from the outbox (`agents.master.outbox`): once, as soon as the platform takes
it, and never twice.

Each part is recorded as intended before it is posted and as posted once the platform took it. The
post retries with back-off until the late cutoff (the chat client's retries under a persistent
`retry_deadline`, honouring Retry-After), then makes one final post past the cutoff: when the
platform said when to come back (Retry-After), at that time, within `FINAL_WAIT_MAX_S`.

Never twice: a part recorded as intended but not as posted may have gone out just before its master
died. It is looked for in the thread first: by its key where the platform carries one (Slack's
message metadata, read back with `include_all_metadata`; Discord's `nonce` with `enforce_nonce`,
which makes the re-post itself return the message already made), else by its text among the bot's
messages.

Nor twice by two attempts alive at once (the intake handed off again a master that was slow, not
dead): only the attempt holding a part's claim in the outbox posts it, renewing the claim while its
post retries; the other waits until the part is posted (and takes its message id), or until the
claim lapses because its holder died or gave up, and then takes it over (looking in the thread
first). A holder that finds its claim taken (it was presumed dead) stops retrying.

Fencing: each attempt carries its hand-off attempt number (`AlertContext.attempt`). A claim is never
given to an earlier attempt than the one that holds it (`agents.master.outbox`), and right before each
post the attempt renews its claim and asks the ledger (`fence`) whether a later attempt holds the
investigation: a master that stalled past its lease and wakes after its retry took over (or posted)
does not post; it gives the part up to the later attempt. What no check can stop is a post already
on the wire when the stall began (Slack takes no idempotency key): the window is one HTTP request.
The same check runs in the posting thread before each retry of a post (`Fence`), so a post that was
retrying when its process stalled stops once it wakes.

A delivery can be abandoned (`abandon`): the notice's, once the report goes out (a notice after the
report says nothing); it then stops retrying at once, and makes no final post.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.master.outbox import Entry, Outbox, Part
from shared.chat.base import ChatPlatform
from shared.chat.retry import RetryStopped, retry_deadline
from shared.ledger import RUNNING_LEASE_SECONDS

logger = logging.getLogger(__name__)

# The final post past the cutoff waits at most this long for the platform's Retry-After.
FINAL_WAIT_MAX_S = 30.0
# Messages read back when looking for a part that may have been posted.
LOOK_BACK_PAGES = 3
# How often an attempt waiting on another's claim reads the outbox again.
POLL_S = 0.5


class ClaimLost(Exception):
    """Another attempt took this part's claim (this one was presumed dead): it posts the part."""


class Fenced(RetryStopped):
    """A later hand-off attempt holds the part or the investigation: this one does not post."""


class Fence(threading.Event):
    """The `stop` of a post's retries: set when another attempt took the post over, and checked
    again (`check`, at most every `every` seconds) after each wait before a retry, in the posting
    thread itself: a post whose process stalled past its lease while it retried does not retry over
    the attempt that took it over, even before the event loop has run again."""

    def __init__(self, check: Callable[[], bool], every: float) -> None:
        super().__init__()
        self._check = check
        self._every = every
        self._last = time.monotonic()

    def wait(self, timeout: float | None = None) -> bool:
        if super().wait(timeout):
            return True
        if time.monotonic() - self._last >= self._every:
            self._last = time.monotonic()
            if self._check():
                self.set()
                return True
        return False


def part_key(investigation_id: str, part: int) -> str:
    """The key a part is posted under: short and stable (Discord's nonce takes 25 characters)."""
    return hashlib.sha256(f"{investigation_id}:{part}".encode()).hexdigest()[:25]


def retry_after_of(error: BaseException) -> float | None:
    """How long the platform asked us to wait, from the error a post ended with (or its cause)."""
    seen: BaseException | None = error
    while seen is not None:
        wait = getattr(seen, "retry_after", None)
        if isinstance(wait, int | float):
            return float(wait)
        response = getattr(seen, "response", None)
        headers = getattr(response, "headers", None)
        if isinstance(headers, dict):
            from shared.chat.retry import retry_after

            found = retry_after(headers)
            if found is not None:
                return found
        seen = seen.__cause__
    return None


@dataclass
class Delivery:
    chat: ChatPlatform
    outbox: Outbox
    clock: Callable[[], float] = time.time  # Unix time: the claims' leases are read by other processes
    sleep: Callable[[float], Any] = asyncio.sleep
    # This attempt's token in the claims: two attempts alive at once post each part once between them.
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    # How long a claim holds unless renewed (renewed three times as often): the hand-off's lease, so
    # that a claim of a master that died has lapsed when the intake hands its investigation off again.
    lease_s: float = RUNNING_LEASE_SECONDS
    poll_s: float = POLL_S
    # This master's hand-off attempt, and whether a later one holds the investigation (the ledger):
    # asked right before each post (None: nothing to ask).
    attempt: int = 1
    fence: Callable[[], bool] | None = None
    # One post past the cutoff after the retries (the report, the updates); not for the notice.
    final_post: bool = True
    stop: threading.Event = field(default_factory=threading.Event)
    _posting: set[threading.Event] = field(default_factory=set, init=False, repr=False)
    _superseded: bool = field(default=False, init=False, repr=False)
    # When this attempt last took or renewed each part's claim (monotonic): a post right after it
    # needs no renewal first.
    _claimed: dict[tuple[str, int], float] = field(default_factory=dict, init=False, repr=False)

    def abandon(self) -> None:
        """Stop now: no more retries, no final post, no waiting on another attempt."""
        self.stop.set()
        for lost in list(self._posting):
            lost.set()

    @property
    def ended(self) -> bool:
        """Abandoned, or a later attempt holds the investigation."""
        return self.stop.is_set() or self._superseded

    async def deliver(self, entry: Entry, until: float) -> tuple[str | None, bool]:
        """Post every part of `entry` not posted yet, in order; the thread and whether all are in it.
        `until` is the late cutoff (a `time.monotonic()` value)."""
        thread = entry.thread()
        for index, part in enumerate(entry.parts):
            message_id = entry.posted.get(index)
            if message_id is None:
                message_id = await self._deliver_part(entry, index, part, thread, until)
                if message_id is None:
                    return thread, False
            thread = thread or message_id or None  # with no thread yet, the first part starts one
        return thread, True

    async def _deliver_part(
        self, entry: Entry, index: int, part: Part, thread: str | None, until: float
    ) -> str | None:
        """Part `index` in the thread, posted by this attempt when it holds the claim, else by the
        attempt that does: its message id, or None when it could not be posted."""
        inv = entry.investigation_id
        # Waiting on another attempt ends when this one would have given up on its own post.
        give_up_at = until + FINAL_WAIT_MAX_S + self.lease_s
        while True:
            if self.ended:
                return None
            claimed = await self._claim(inv, index, self.clock() + self.lease_s)
            fresh = await self._read(inv)  # what another attempt did meanwhile
            if fresh is not None:
                if index in fresh.posted:
                    if not claimed:
                        logger.info("investigation=<%s>, part=<%d> | posted by another attempt", inv, index)
                    return fresh.posted[index]
                thread = thread or fresh.thread()
                entry = fresh
            if claimed:
                try:
                    return await self._post_claimed(entry, index, part, thread, until)
                except ClaimLost:
                    logger.warning(
                        "investigation=<%s>, part=<%d> | another attempt took the post over", inv, index
                    )
            if self.ended:
                return None
            if time.monotonic() >= give_up_at:
                logger.error(
                    "investigation=<%s>, part=<%d> | another attempt holds the post and has not made it",
                    inv,
                    index,
                )
                return None
            await self.sleep(self.poll_s)

    async def _post_claimed(
        self, entry: Entry, index: int, part: Part, thread: str | None, until: float
    ) -> str | None:
        """Post a part this attempt holds the claim on (renewed meanwhile), unless it is already in
        the thread; record it as posted. `ClaimLost` when another attempt takes the claim."""
        inv = entry.investigation_id
        message_id = None
        if index in entry.intents:
            message_id = await self._find(entry, index, part, thread)
            if message_id is not None:
                logger.info(
                    "investigation=<%s>, part=<%d> | already in the thread, not posted again", inv, index
                )
        if message_id is None:
            lost = Fence(lambda: self._fenced(inv, index), every=self.lease_s / 3)
            self._posting.add(lost)
            if self.stop.is_set():
                lost.set()
            renewal = asyncio.create_task(self._renew(inv, index, lost))
            try:
                await self._record(self.outbox.intent, inv, index, self.clock())
                message_id = await self._post(entry, index, part, thread, until, lost)
            finally:
                self._posting.discard(lost)
                renewal.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewal
            if message_id is None:
                if self.ended:  # abandoned, or fenced: the later attempt may take the part at once
                    await self._claim(inv, index, 0.0)
                    return None
                if lost.is_set():
                    raise ClaimLost(inv)
                # Given up: let another attempt (the intake's retry) take the part over at once.
                await self._claim(inv, index, 0.0)
                return None
        await self._record(self.outbox.posted, inv, index, message_id)
        return message_id

    async def _renew(self, inv: str, index: int, lost: threading.Event) -> None:
        """Keep the claim while the post retries; set `lost` when another attempt has taken it."""
        while True:
            await self.sleep(self.lease_s / 3)
            try:
                now = self.clock()
                held = await asyncio.to_thread(
                    self.outbox.claim,
                    inv,
                    index,
                    self.owner,
                    until=now + self.lease_s,
                    now=now,
                    attempt=self.attempt,
                )
            except Exception as e:  # cannot tell: keep posting (a duplicate beats a loss)
                logger.warning(
                    "investigation=<%s>, part=<%d>, error=<%s> | could not renew the claim",
                    inv,
                    index,
                    type(e).__name__,
                )
                continue
            if not held:
                lost.set()
                return

    async def _claim(self, inv: str, index: int, until: float) -> bool:
        """Take (or renew, or with `until` 0 give back) the claim on a part. An outbox that cannot be
        written fails open: the part is posted (a duplicate beats a loss)."""
        try:
            won = await asyncio.to_thread(
                self.outbox.claim, inv, index, self.owner, until=until, now=self.clock(), attempt=self.attempt
            )
            if won and until:
                self._claimed[(inv, index)] = time.monotonic()
            return won
        except Exception as e:
            logger.warning(
                "investigation=<%s>, part=<%d>, error=<%s> | could not claim the post; posting",
                inv,
                index,
                type(e).__name__,
            )
            return True

    async def _read(self, inv: str) -> Entry | None:
        try:
            return await asyncio.to_thread(self.outbox.get, inv)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not read the outbox", inv, type(e).__name__
            )
            return None

    async def _post(
        self, entry: Entry, index: int, part: Part, thread: str | None, until: float, lost: threading.Event
    ) -> str | None:
        key = part_key(entry.investigation_id, index)
        try:
            # Until the late cutoff, however long the platform is down: a late report beats none.
            with retry_deadline(until, persistent=True, stop=lost):
                return await asyncio.to_thread(self._send, entry, index, part, thread, key, lost)
        except Exception as e:
            error: Exception = e
        if lost.is_set() or not self.final_post:
            return None
        wait = min(max(0.0, retry_after_of(error) or 0.0), FINAL_WAIT_MAX_S)
        logger.warning(
            "investigation=<%s>, part=<%d>, error=<%s>, wait=<%.1f> | the post is past its cutoff; "
            "one final post",
            entry.investigation_id,
            index,
            error,
            wait,
        )
        if wait:
            await self.sleep(wait)
        try:
            with retry_deadline(time.monotonic(), stop=lost):  # no retries: one post
                return await asyncio.to_thread(self._send, entry, index, part, thread, key, lost)
        except Exception as e:
            logger.error("investigation=<%s>, error=<%s> | could not post", entry.investigation_id, e)
            return None

    def _send(
        self, entry: Entry, index: int, part: Part, thread: str | None, key: str, lost: threading.Event
    ) -> str:
        if lost.is_set():  # another attempt posts it now
            raise RetryStopped("the claim was taken over")
        if self._fenced(entry.investigation_id, index):
            lost.set()
            raise Fenced("a later attempt holds the post")
        channel = entry.channel
        if part.file is not None:
            upload: Any = getattr(self.chat, "upload", None)
            if upload is None:
                return "-"  # a platform that takes no files: nothing to post
            file = part.file
            return str(
                upload(
                    channel,
                    file.filename,
                    file.data,
                    thread_id=thread,
                    title=file.title,
                    alt_text=file.alt_text,
                    comment=part.text or None,
                )
                or "-"
            )
        keyed = getattr(self.chat, "post_keyed", None)
        if keyed is not None:
            return str(keyed(channel, part.text, key=key, thread_id=thread, blocks=part.blocks))
        return self.chat.post(channel, part.text, thread_id=thread, blocks=part.blocks)

    def _fenced(self, inv: str, index: int) -> bool:
        """Right before a post: whether this attempt may no longer make it. Its claim is renewed
        (refused once the part is posted or a later attempt claimed it), and the ledger is asked
        whether a later attempt holds the investigation. What cannot be read fails open."""
        now = self.clock()
        fresh = time.monotonic() - self._claimed.get((inv, index), -math.inf) < min(1.0, self.lease_s / 3)
        try:
            if not fresh and not self.outbox.claim(
                inv, index, self.owner, until=now + self.lease_s, now=now, attempt=self.attempt
            ):
                logger.warning(
                    "investigation=<%s>, part=<%d>, attempt=<%d> | the post was taken over; not posting",
                    inv,
                    index,
                    self.attempt,
                )
                return True
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not renew the claim; posting", inv, type(e).__name__
            )
        if self.fence is None:
            return False
        try:
            later = self.fence()
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not read the ledger; posting", inv, type(e).__name__
            )
            return False
        if later:
            self._superseded = True
            logger.warning(
                "investigation=<%s>, attempt=<%d> | a later attempt holds the investigation; not posting",
                inv,
                self.attempt,
            )
        return later

    async def _find(self, entry: Entry, index: int, part: Part, thread: str | None) -> str | None:
        """The message of a part that may have been posted, if it is in the thread (or, with no
        thread yet, the channel since its intent)."""
        since = entry.intents[index] - 60.0
        try:
            return await asyncio.to_thread(self._look, entry.channel, thread, part, index, entry, since)
        except Exception as e:  # cannot tell: post it (a duplicate beats a loss)
            logger.warning(
                "investigation=<%s>, error=<%s> | could not look for the report in the thread",
                entry.investigation_id,
                e,
            )
            return None

    def _look(
        self, channel: str, thread: str | None, part: Part, index: int, entry: Entry, since: float
    ) -> str | None:
        key = part_key(entry.investigation_id, index)
        finder = getattr(self.chat, "find_keyed", None)
        if finder is not None:
            found = finder(channel, key, thread_id=thread, since=since)
            if found:
                return str(found)
        wanted = part.text.strip()
        if not wanted:
            return None
        cursor: str | None = None
        for _ in range(LOOK_BACK_PAGES):
            if thread is not None:
                page = self.chat.replies(channel, thread, cursor=cursor)
            else:
                from datetime import UTC, datetime

                page = self.chat.history(channel, oldest=datetime.fromtimestamp(since, UTC), cursor=cursor)
            for message in page.messages:
                if message.bot and message.text.strip() == wanted:
                    return message.id
            cursor = page.next_cursor
            if cursor is None:
                break
        return None

    async def _record(self, write: Callable[[str, int, Any], None], inv: str, index: int, value: Any) -> None:
        """Outbox writes fail open: an outbox that cannot be written must not cost the report."""
        try:
            await asyncio.to_thread(write, inv, index, value)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, part=<%d>, error=<%s> | could not record the report in the outbox",
                inv,
                index,
                type(e).__name__,
            )
