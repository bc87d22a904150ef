"""When each webhook reached the sandbox intake: the start of the eval's `seconds` (SCENARIOS.md:
"from the signed webhook reaching the intake to the report being posted").

An ASGI wrapper around the intake app notes the wall time of every POST to a webhook path as its
request line arrives (before the body is read or the signature checked), whoever sent it: the
sandbox itself or the real Alertmanager.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

WEBHOOK_PATHS = ("/slack/", "/discord/", "/alertmanager", "/grafana")


@dataclass(frozen=True)
class Receipt:
    path: str
    at: float  # time.time()


class IntakeClock:
    """Serve this instead of the intake app; `receipts` in arrival order."""

    def __init__(self, app: Any, paths: tuple[str, ...] = WEBHOOK_PATHS) -> None:
        self.app = app
        self.paths = paths
        self._receipts: list[Receipt] = []
        self._arrived = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and scope["path"].startswith(self.paths):
            with self._arrived:
                self._receipts.append(Receipt(scope["path"], time.time()))
                self._arrived.notify_all()
        await self.app(scope, receive, send)

    def note(self, path: str) -> None:
        """An alert that reached the intake another way (the Gateway listener's hand-off)."""
        with self._arrived:
            self._receipts.append(Receipt(path, time.time()))
            self._arrived.notify_all()

    @property
    def count(self) -> int:
        """How many webhooks have arrived so far (pass it to `wait_after`)."""
        with self._arrived:
            return len(self._receipts)

    def wait_after(self, count: int, timeout: float) -> Receipt | None:
        """The first webhook to arrive after the first `count`, waiting up to `timeout` s for it."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._receipts) <= count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._arrived.wait(remaining)
            return self._receipts[count]
