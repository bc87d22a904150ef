"""A chat platform whose posts take time (a slow or rate-limited Slack), recording when each lands."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.intake_fakes import MemoryChat, Posted


@dataclass(frozen=True)
class Landed:
    at: float  # time.monotonic() when the post returned
    post: Posted


class TimedChat(MemoryChat):
    """`MemoryChat` whose `post` first sleeps `delay(text)` seconds (on the caller's thread, as a
    blocking HTTP call would), then records the message and when it landed."""

    def __init__(self, name: str = "slack", delay: Callable[[str], float] = lambda _text: 0.0) -> None:
        super().__init__(name)
        self.delay = delay
        self.landed: list[Landed] = []

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        time.sleep(self.delay(text))
        message_id = super().post(channel, text, thread_id=thread_id, blocks=blocks)
        with self._lock:
            posted = next(p for p in reversed(self.posted) if p.id == message_id)
            self.landed.append(Landed(time.monotonic(), posted))
        return message_id

    def first(self, contains: str) -> Landed:
        """The first post whose text contains `contains`."""
        return next(entry for entry in self.landed if contains in entry.post.text)

    def all(self, contains: str) -> list[Landed]:
        return [entry for entry in self.landed if contains in entry.post.text]
