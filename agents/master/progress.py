"""The master's side of the hand-off ledger (`shared.ledger`): a heartbeat while it investigates,
then `reported` once the report is in the thread, or `failed` when it is not. The intake hands off
again an investigation whose heartbeat stops without a report. After the report, while what follows
it (late updates, the graph) is being posted, a heartbeat of its own (`following`), ended by
`followed` once all of it is in the thread: a master that dies meanwhile lets it lapse, and the
intake hands the investigation off again to post the rest from the outbox. Writes carry this
master's hand-off attempt (fencing: a later attempt's state is not overwritten). Ledger errors are
logged, never raised: they must not cost the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.ledger import FAILED, REPORTED, RUNNING_LEASE_SECONDS, Ledger, NoLedger

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    ledger: Ledger
    investigation_id: str
    # How long each heartbeat holds the lease; it is renewed four times as often.
    lease_s: float = RUNNING_LEASE_SECONDS
    clock: Callable[[], float] = time.time
    attempt: int = 1  # this master's hand-off attempt (`AlertContext.attempt`)
    _beat: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        if isinstance(self.ledger, NoLedger):
            return
        self._beat = asyncio.create_task(self._heartbeat(), name=f"heartbeat-{self.investigation_id}")

    async def _heartbeat(self) -> None:
        while True:
            await self._write(
                "heartbeat",
                lambda: self.ledger.running(
                    self.investigation_id, lease_until=self.clock() + self.lease_s, attempt=self.attempt
                ),
            )
            await asyncio.sleep(self.lease_s / 4)

    async def _following(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 4)
            await self._write(
                "following",
                lambda: self.ledger.following(self.investigation_id, lease_until=self.clock() + self.lease_s),
            )

    async def finish(self, posted: bool, reason: str = "", *, following: bool = False) -> None:
        """Stop the heartbeat and record the outcome. `following`: the report is posted and what
        follows it is still to post (a heartbeat of its own runs until `followed`)."""
        await self.stop()
        if isinstance(self.ledger, NoLedger):
            return
        state = REPORTED if posted else FAILED
        until = self.clock() + self.lease_s if posted and following else 0.0
        await self._write(
            state,
            lambda: self.ledger.finish(
                self.investigation_id, state, reason, attempt=self.attempt, followups_until=until
            ),
        )
        if until:
            self._beat = asyncio.create_task(self._following(), name=f"following-{self.investigation_id}")

    async def followed(self, done: bool) -> None:
        """What follows the report is over: all of it posted (`done`), or not (the lease is left to
        lapse, so that the intake hands off again what is left)."""
        await self.stop()
        if done and not isinstance(self.ledger, NoLedger):
            await self._write("followed", lambda: self.ledger.followed(self.investigation_id))

    async def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
            self._beat = None

    async def _write(self, what: str, write: Callable[[], object]) -> None:
        try:
            await asyncio.to_thread(write)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, write=<%s>, error=<%s> | could not record progress",
                self.investigation_id,
                what,
                type(e).__name__,
            )
