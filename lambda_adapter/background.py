"""The local server's asynchronous machinery: jobs as background tasks, investigations as tasks on
the server's loop. Lambda needs none of it (there, jobs leave by self-invocation)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from lambda_adapter.dispatch import HandOffError
from lambda_adapter.jobs import AnyJob, WatchJob
from lambda_adapter.worker import Worker
from shared.contracts import AlertContext

logger = logging.getLogger(__name__)


class BackgroundJobs:
    """The local `Scheduler`: each job runs in a worker thread (chat clients are synchronous),
    started from the server's loop; `submit` may be called from any thread."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[bool]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def submit(self, job: AnyJob) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            raise HandOffError("the local server is not running")
        if isinstance(job, WatchJob):  # it looks at `due`: no thread waits for it meanwhile
            delay = max(0.0, job.due - self._worker.clock())
            loop.call_soon_threadsafe(lambda: loop.call_later(delay, self._start, job))
            return
        loop.call_soon_threadsafe(self._start, job)

    def _start(self, job: AnyJob) -> None:
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(self._worker.run, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until no job is running (jobs a job submits included), at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            await asyncio.sleep(0)  # let call_soon_threadsafe callbacks create their tasks
            if not self._tasks:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._tasks)} intake jobs still running")
            await asyncio.wait(set(self._tasks), timeout=remaining)


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

    def report(self, ctx: AlertContext, *, timeout_s: float) -> str:
        """Run `investigate(ctx)` on the loop and wait for it: the text of the report it returns."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise HandOffError("the local dispatcher has no running event loop")

        async def run() -> Any:
            return await self._investigate(ctx)

        future = asyncio.run_coroutine_threadsafe(run(), loop)
        try:
            report = future.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError as e:
            future.cancel()
            raise HandOffError(f"no report within {timeout_s:g} s") from e
        except Exception as e:
            raise HandOffError(f"the investigation failed: {type(e).__name__}") from e
        text = getattr(report, "posted_text", None)
        if not text:
            raise HandOffError("the investigation returned no report text")
        return str(text)

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
