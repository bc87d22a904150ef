"""The Gateway listener (`lambda_adapter.discord_gateway`) on a thread of its own, for the sandbox
and tests: its event loop, its hikari bot connected to the Gateway stand-in, messages handed to
an intake core in this process. `start()` returns once the first READY was handled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from lambda_adapter.discord_gateway import History, InProcessHandoff, Listener, run_listener

logger = logging.getLogger(__name__)


class ListenerThread:
    def __init__(
        self,
        intake: Any,
        *,
        token: str,
        rest_url: str,
        alert_channels: frozenset[str] = frozenset(),
        lookback_seconds: float = 600.0,
        on_receive: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.token = token
        self.rest_url = rest_url
        self.listener = Listener(
            handoff=InProcessHandoff(intake, on_receive),
            history=History(token, rest_url),
            alert_channels=alert_channels,
            lookback_seconds=lookback_seconds,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self, timeout: float = 20.0) -> ListenerThread:
        self._thread = threading.Thread(target=self._run, name="discord-gateway", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self.error is not None:
            self.stop()
            raise RuntimeError(f"the Discord Gateway listener did not connect: {self.error!r}")
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:
            self.error = e
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        async def started(_bot: Any) -> None:
            await self.listener.ready.wait()
            self._ready.set()

        await run_listener(
            self.listener, self.token, rest_url=self.rest_url, stop=self._stop, started=started
        )

    def call(self, function: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run a coroutine function on the listener's loop and wait for its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(function(), self._loop).result(timeout)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait for the catch-ups and retries in flight."""
        self.call(lambda: self.listener.settle(timeout), timeout + 1)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def __enter__(self) -> ListenerThread:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
