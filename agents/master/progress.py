"""The master's side of the hand-off ledger (`shared.ledger`): a heartbeat while it investigates,
then `reported` once the report is in the thread, or `failed` when it is not. The intake hands off
again an investigation whose heartbeat stops without a report. Ledger errors are logged, never raised:
they must not cost the report.
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
    _beat: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        if isinstance(self.ledger, NoLedger):
            return
        self._beat = asyncio.create_task(self._heartbeat(), name=f"heartbeat-{self.investigation_id}")

    async def _heartbeat(self) -> None:
        while True:
            await self._write(
                "heartbeat",
                lambda: self.ledger.running(self.investigation_id, lease_until=self.clock() + self.lease_s),
            )
            await asyncio.sleep(self.lease_s / 4)

    async def finish(self, posted: bool, reason: str = "") -> None:
        """Stop the heartbeat and record the outcome."""
        await self.stop()
        if isinstance(self.ledger, NoLedger):
            return
        state = REPORTED if posted else FAILED
        await self._write(state, lambda: self.ledger.finish(self.investigation_id, state, reason))

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
