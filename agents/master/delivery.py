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
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.master.outbox import Entry, Outbox, Part
from shared.chat.base import ChatPlatform
from shared.chat.retry import retry_deadline

logger = logging.getLogger(__name__)

# The final post past the cutoff waits at most this long for the platform's Retry-After.
FINAL_WAIT_MAX_S = 30.0
# Messages read back when looking for a part that may have been posted.
LOOK_BACK_PAGES = 3


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
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Any] = asyncio.sleep

    async def deliver(self, entry: Entry, until: float) -> tuple[str | None, bool]:
        """Post every part of `entry` not posted yet, in order; the thread and whether all are in it.
        `until` is the late cutoff (a `time.monotonic()` value)."""
        thread = entry.thread()
        for index, part in enumerate(entry.parts):
            message_id = entry.posted.get(index)
            if message_id is None and index in entry.intents:
                message_id = await self._find(entry, index, part, thread)
                if message_id is not None:
                    logger.info(
                        "investigation=<%s>, part=<%d> | already in the thread, not posted again",
                        entry.investigation_id,
                        index,
                    )
            if message_id is None:
                await self._record(self.outbox.intent, entry.investigation_id, index, self.clock())
                message_id = await self._post(entry, index, part, thread, until)
                if message_id is None:
                    return thread, False
            if entry.posted.get(index) != message_id:
                await self._record(self.outbox.posted, entry.investigation_id, index, message_id)
            thread = thread or message_id or None  # with no thread yet, the first part starts one
        return thread, True

    async def _post(
        self, entry: Entry, index: int, part: Part, thread: str | None, until: float
    ) -> str | None:
        key = part_key(entry.investigation_id, index)
        try:
            # Until the late cutoff, however long the platform is down: a late report beats none.
            with retry_deadline(until, persistent=True):
                return await asyncio.to_thread(self._send, entry.channel, part, thread, key)
        except Exception as e:
            error: Exception = e
        wait = min(max(0.0, retry_after_of(error) or 0.0), FINAL_WAIT_MAX_S)
        logger.warning(
            "investigation=<%s>, part=<%d>, error=<%s>, wait=<%.1f> | the report is past its cutoff; "
            "one final post",
            entry.investigation_id,
            index,
            error,
            wait,
        )
        if wait:
            await self.sleep(wait)
        try:
            with retry_deadline(time.monotonic()):  # no retries: one post
                return await asyncio.to_thread(self._send, entry.channel, part, thread, key)
        except Exception as e:
            logger.error(
                "investigation=<%s>, error=<%s> | could not post the report", entry.investigation_id, e
            )
            return None

    def _send(self, channel: str, part: Part, thread: str | None, key: str) -> str:
        keyed = getattr(self.chat, "post_keyed", None)
        if keyed is not None:
            return str(keyed(channel, part.text, key=key, thread_id=thread, blocks=part.blocks))
        return self.chat.post(channel, part.text, thread_id=thread, blocks=part.blocks)

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
