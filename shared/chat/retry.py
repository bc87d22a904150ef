"""Bounded retries for the chat platforms' Web APIs.

Both platforms answer 429 with how long to wait (`Retry-After`, Discord also `retry_after` in the
JSON body); we wait that long when it is within `max_retry_after`, and give up at once otherwise:
an investigation has a deadline and a minute-long back-off would miss it. Server errors (5xx) and
connection errors are retried with exponential back-off and jitter, capped.

Where a deadline applies (the "investigating" notice must not outlive the investigation's
deadline), the caller sets it with `retry_deadline(at)`: within that block, and in the threads
`asyncio.to_thread` starts from it, a retry is made only when its wait ends before `at`. With
`persistent=True` (the report, until the late cutoff) the deadline bounds the retries rather than
the count: a Slack outage of a minute delays the report, it does not lose it. With `stop` (an event
the caller sets: the notice once the report is going out), a retry waiting is abandoned.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})

# Within a persistent deadline, at most this many retries (the deadline normally ends them first).
PERSISTENT_MAX_RETRIES = 200


class RetryStopped(Exception):
    """A retry was abandoned while waiting: the caller's `stop` event was set."""


@dataclass(frozen=True)
class _Bound:
    at: float | None = None
    persistent: bool = False
    stop: threading.Event | None = None


_NO_BOUND = _Bound()
_bound: ContextVar[_Bound] = ContextVar("chat_retry_bound", default=_NO_BOUND)


@contextlib.contextmanager
def retry_deadline(
    at: float | None, *, persistent: bool = False, stop: threading.Event | None = None
) -> Iterator[None]:
    """Chat calls made in this block retry only while the retry's wait ends before `at` (a
    `time.monotonic()` value); None lifts the bound. `persistent`: keep retrying (with the capped
    back-off) until `at`, whatever the client's retry count. `stop`: once set, no retry is made and
    a retry waiting gives up (`RetryStopped`)."""
    token = _bound.set(_Bound(at, persistent and at is not None, stop))
    try:
        yield
    finally:
        _bound.reset(token)


_landed: ContextVar[Callable[[], bool] | None] = ContextVar("chat_retry_landed", default=None)


@contextlib.contextmanager
def unless_landed(probe: Callable[[], bool]) -> Iterator[None]:
    """Chat calls made in this block are not retried after a server or connection error once
    `probe` says the call took effect anyway (a post whose answer was lost): Slack takes no
    idempotency key, so the caller looks for its own mark."""
    token = _landed.set(probe)
    try:
        yield
    finally:
        _landed.reset(token)


def landed() -> bool:
    """Whether the call about to be retried took effect, by the current `unless_landed` probe. The
    probe's own calls are not probed; a probe that fails says no (a duplicate beats a loss)."""
    probe = _landed.get()
    if probe is None:
        return False
    token = _landed.set(None)
    try:
        return bool(probe())
    except Exception as e:
        logger.warning("error=<%s> | could not tell whether the call took effect; retrying", type(e).__name__)
        return False
    finally:
        _landed.reset(token)


def may_wait(seconds: float) -> bool:
    """Whether waiting `seconds` before a retry still ends before the current `retry_deadline`."""
    bound = _bound.get()
    if bound.stop is not None and bound.stop.is_set():
        return False
    return bound.at is None or time.monotonic() + seconds < bound.at


def retries_left(attempt: int, max_retries: int) -> bool:
    """Whether retry number `attempt + 1` may be made: within the client's count, or within a
    persistent deadline."""
    return attempt < max_retries or (_bound.get().persistent and attempt < PERSISTENT_MAX_RETRIES)


def pause(seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait before a retry; with a `stop` event in force, wake when it is set and give up."""
    stop = _bound.get().stop
    if stop is None:
        sleep(seconds)
        return
    if stop.wait(seconds):
        raise RetryStopped("the retry was no longer wanted")


@dataclass(frozen=True)
class Backoff:
    """How hard to retry: `max_retries` more attempts, waits from `base` doubling up to `cap`."""

    base: float = 0.5
    cap: float = 8.0
    max_retries: int = 3
    max_retry_after: float = 30.0

    def delay(self, attempt: int) -> float:
        """The wait before retry number `attempt + 1`: exponential, capped, with 50-100% jitter."""
        return self.longest(attempt) * random.uniform(0.5, 1.0)

    def longest(self, attempt: int) -> float:
        """The longest `delay(attempt)` can be."""
        return min(self.cap, self.base * 2**attempt)


def retry_after(headers: Mapping[str, Any], body: Any = None) -> float | None:
    """Seconds to wait from a 429: Discord's JSON `retry_after`, else `Retry-After` (seconds or an
    HTTP date), else Discord's `X-RateLimit-Reset-After`; None when nothing says."""
    if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
        return max(0.0, float(body["retry_after"]))
    lowered = {str(k).lower(): v for k, v in headers.items()}
    for name in ("retry-after", "x-ratelimit-reset-after"):
        value = lowered.get(name)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(str(value)).timestamp() - time.time())
            except (TypeError, ValueError):
                continue
    return None


class _Bounded(RetryHandler):
    """A slack_sdk handler whose retry count yields to a persistent deadline and whose waits end
    when the caller's `stop` is set."""

    def __init__(self, backoff: Backoff, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=backoff.max_retries, interval_calculator=_BackoffCalculator(backoff))
        self.backoff = backoff
        self.sleep = sleep

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not retries_left(state.current_attempt, self.max_retry_count):
            return False
        return self._can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        pause(self._delay(state, response), self.sleep)
        state.increment_current_attempt()

    def _delay(self, state: RetryState, response: HttpResponse | None) -> float:
        """How long to wait before the next attempt."""
        return self.backoff.delay(state.current_attempt)


class _BackoffCalculator(RetryIntervalCalculator):
    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return self.backoff.delay(current_attempt)


class RateLimitRetry(_Bounded):
    """slack_sdk's 429 handling, but bounded: waits what `Retry-After` says when that is at most
    `max_retry_after`, else gives up so the caller sees `ratelimited` at once."""

    def _wait(self, response: HttpResponse | None) -> float | None:
        if response is None or response.status_code != 429:
            return None
        wait = retry_after(response.headers)
        return 1.0 if wait is None else wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        wait = self._wait(response)
        return wait is not None and wait <= self.backoff.max_retry_after and may_wait(wait + 0.1)

    def _delay(self, state: RetryState, response: HttpResponse | None) -> float:
        return (self._wait(response) or 0.0) + random.uniform(0.0, 0.1)


class ServerErrorRetry(_Bounded):
    """Retries 500, 502, 503 and 504 with capped exponential back-off."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code in RETRYABLE_STATUS
            and may_wait(self.backoff.longest(state.current_attempt))
            and not landed()
        )


class ConnectionRetry(_Bounded, ConnectionErrorRetryHandler):
    """slack_sdk's retry on connection resets, within the current `retry_deadline`."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            super()._can_retry(state=state, request=request, response=response, error=error)
            and may_wait(self.backoff.longest(state.current_attempt))
            and not landed()
        )


def slack_retry_handlers(backoff: Backoff) -> list[RetryHandler]:
    """The handlers a `WebClient` gets: rate limits, server errors, connection errors."""
    return [
        RateLimitRetry(backoff),
        ServerErrorRetry(backoff),
        ConnectionRetry(backoff),
    ]
