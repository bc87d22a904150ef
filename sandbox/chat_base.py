"""What the Slack and Discord stand-ins share: the scenario's channels and messages as plain data,
the thread-safe record of everything posted (with a wait for a matching post), and injected
failures (429 rate limits, 5xx) for tests of the clients' retries.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class FakeMessage:
    """A message in a scenario's channel; `at` is an aware time, `replies` its thread."""

    at: datetime
    user: str
    text: str
    bot: bool = False
    replies: list[FakeMessage] = field(default_factory=list)


@dataclass
class FakeChannel:
    id: str
    name: str
    messages: list[FakeMessage] = field(default_factory=list)


def as_channels(channels: Iterable[Any]) -> list[FakeChannel]:
    """`FakeChannel`s from anything shaped like them (id, name, messages with at/user/text and
    optional bot/replies), e.g. the scenario loader's resolved channels."""

    def message(m: Any) -> FakeMessage:
        at = m.at if m.at.tzinfo is not None else m.at.replace(tzinfo=UTC)
        return FakeMessage(
            at=at,
            user=str(m.user),
            text=str(m.text),
            bot=bool(getattr(m, "bot", False)),
            replies=[message(r) for r in getattr(m, "replies", None) or ()],
        )

    return [FakeChannel(str(c.id), str(c.name), [message(m) for m in c.messages]) for c in channels]


@dataclass(frozen=True)
class Post:
    """One message the system under test posted (or edited).

    `ts` is the message's id (a Slack ts or a Discord snowflake); `thread_ts` the thread it went
    to (Slack: the parent's ts; Discord: the thread channel, which has its parent message's id);
    `time` when the stand-in received it (time.time()).
    """

    method: str  # "chat.postMessage", "chat.update", "POST /channels/{id}/messages", "webhook" ...
    channel: str
    text: str
    ts: str
    time: float
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] | None = None
    embeds: list[dict[str, Any]] | None = None


class PostLog:
    """Posts in arrival order; safe to read from a test thread while the server appends."""

    def __init__(self) -> None:
        self._posts: list[Post] = []
        self._changed = threading.Condition()

    def add(self, post: Post) -> None:
        with self._changed:
            self._posts.append(post)
            self._changed.notify_all()

    def all(self) -> list[Post]:
        with self._changed:
            return list(self._posts)

    def clear(self) -> None:
        with self._changed:
            self._posts.clear()

    def wait_for(self, predicate: Callable[[Post], bool] | None = None, timeout: float = 10.0) -> Post | None:
        """The first post (already there or arriving within `timeout` s) that `predicate` accepts;
        None when none did in time."""
        deadline = time.monotonic() + timeout
        with self._changed:
            checked = 0
            while True:
                for post in self._posts[checked:]:
                    if predicate is None or predicate(post):
                        return post
                checked = len(self._posts)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)


@dataclass(frozen=True)
class Failure:
    status: int
    retry_after: float | None
    error: str | None
    code: int = 0  # Discord's JSON error code (50001 Missing Access, 10003 Unknown Channel ...)
    handled: bool = False  # the call takes effect and only its answer is the failure (lost on the way)


class Failures:
    """Failures to answer instead of the real thing: `plan("chat.postMessage", 429, 1.0)` makes
    the next matching request fail once; `times=None`, every matching request until `clear()`
    (a bot that may not post in a channel). Patterns are fnmatch-style ("*" matches any)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: list[tuple[str, Failure, bool]] = []  # (pattern, failure, lasts)

    def plan(
        self,
        pattern: str,
        status: int,
        retry_after: float | None,
        error: str | None,
        times: int | None = 1,
        *,
        code: int = 0,
        handled: bool = False,
    ) -> None:
        failure = Failure(status, retry_after, error, code, handled)
        with self._lock:
            if times is None:
                self._planned.append((pattern, failure, True))
            else:
                self._planned.extend((pattern, failure, False) for _ in range(times))

    def take(self, name: str) -> Failure | None:
        with self._lock:
            for i, (pattern, failure, lasts) in enumerate(self._planned):
                if fnmatch.fnmatchcase(name, pattern):
                    if not lasts:
                        del self._planned[i]
                    return failure
        return None

    def clear(self) -> None:
        with self._lock:
            self._planned.clear()
