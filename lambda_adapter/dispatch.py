"""The hand-off to the master: `Dispatcher.dispatch(ctx)` starts an investigation or raises.

- `LocalDispatcher`: the local server's, runs an async callable (the master's
  `Investigator.investigate`, or anything with that shape) as a task on the server's loop.
- `CallableDispatcher`: any sync callable (tests record with it; the Lambda copy wraps its A2A
  call to the master in one).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from shared.contracts import AlertContext
from shared.errors import SreOnCallError

logger = logging.getLogger(__name__)


class HandOffError(SreOnCallError):
    """The investigation could not be handed to the master (answered with 503: send it again)."""


class Dispatcher(Protocol):
    def dispatch(self, ctx: AlertContext) -> None:
        """Start the investigation of `ctx` (without waiting for its report). Raises on failure."""
        ...


class CallableDispatcher:
    """Calls `send(ctx)`; what it raises is the hand-off's failure."""

    def __init__(self, send: Callable[[AlertContext], Any]) -> None:
        self._send = send

    def dispatch(self, ctx: AlertContext) -> None:
        self._send(ctx)


class LocalDispatcher:
    """Runs `investigate(ctx)` as a task on `loop`, from any thread; `dispatch` returns once the
    task is scheduled. Failures of the investigation itself are the master's to report; they are
    logged here. `bind` sets the loop when the server starts."""

    def __init__(
        self,
        investigate: Callable[[AlertContext], Awaitable[Any]],
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._investigate = investigate
        self._loop = loop
        self._running: set[concurrent.futures.Future[Any]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def running(self) -> int:
        return len(self._running)

    def dispatch(self, ctx: AlertContext) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            raise HandOffError("the local dispatcher has no running event loop")
        future = asyncio.run_coroutine_threadsafe(self._run(ctx), loop)
        self._running.add(future)
        future.add_done_callback(self._running.discard)

    async def _run(self, ctx: AlertContext) -> None:
        try:
            await self._investigate(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            logger.exception(
                "investigation=<%s>, error=<%s> | investigation failed",
                ctx.investigation_id,
                type(e).__name__,
            )

    def cancel_all(self) -> None:
        for future in list(self._running):
            future.cancel()
