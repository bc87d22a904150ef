"""Fail open for alerts: when the dedup table is down, dedup falls back to this process's memory.

A delivery answered 503 because DynamoDB failed is retried by Slack three times and then lost
without a word; a duplicate investigation is the lesser harm. So while the table fails, claims are
made in memory (per process: a Lambda container, the local server), with a window no longer than
`max_window_seconds`, and the table is tried again after `retry_after_seconds`. Every switch is
logged (to memory, and back to the table), `fallbacks` counts the calls answered from memory (the
`/healthz` answer shows it), and each one is the `DedupFallbacks` metric deployed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from lambda_adapter.dedup import (
    NOT_HELD,
    STARTED,
    Claim,
    DedupStore,
    InMemoryDedupStore,
    Record,
    get_many,
    remember_thread,
    start_run,
)
from lambda_adapter.intake_metrics import DEDUP_FALLBACKS, IntakeMetrics, metrics_from_env

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class FallbackDedupStore:
    primary: DedupStore
    fallback: InMemoryDedupStore = field(default_factory=InMemoryDedupStore)
    retry_after_seconds: float = 30.0
    max_window_seconds: float = 300.0
    monotonic: Callable[[], float] = time.monotonic
    fallbacks: int = 0
    metrics: IntakeMetrics = field(default_factory=metrics_from_env)
    _down_until: float = field(default=0.0, init=False)
    _fell_back: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def degraded(self) -> bool:
        return self.monotonic() < self._down_until

    def _call(self, what: str, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        if not self.degraded:
            try:
                answer = primary()
            except Exception as e:
                with self._lock:
                    first = not self.degraded
                    self._down_until = self.monotonic() + self.retry_after_seconds
                    self._fell_back = True
                if first:
                    logger.error(
                        "call=<%s>, error=<%s>, retry_after=<%gs> | dedup table unavailable; "
                        "dedup falls back to this process's memory",
                        what,
                        type(e).__name__,
                        self.retry_after_seconds,
                    )
            else:
                with self._lock:
                    back, self._fell_back = self._fell_back, False
                if back:
                    logger.warning(
                        "call=<%s>, fallbacks=<%d> | dedup table answering again; dedup is back on it",
                        what,
                        self.fallbacks,
                    )
                return answer
        with self._lock:
            self.fallbacks += 1
        self.metrics.count(DEDUP_FALLBACKS)
        return fallback()

    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        short = min(ttl_seconds, self.max_window_seconds)
        held = self.fallback.get(key)
        if held is not None and held.expires_at >= now:
            return Claim(False, key, held)  # claimed here while the table was down
        return self._call(
            "claim",
            lambda: self.primary.claim(key, record, ttl_seconds=ttl_seconds, now=now),
            lambda: self.fallback.claim(key, record, ttl_seconds=short, now=now),
        )

    def start_run(self, key: str, investigation_id: str, *, now: float) -> str:
        """The run of a job whose ack claimed in memory is marked there. Otherwise its claim is in
        the table, and while the table is down nothing here can say whether the run started or
        another delivery took the alert: the job goes ahead (`STARTED`). Memory would answer "not
        held" (it never saw the claim), and the job would take its claims back in memory, where a
        delivery of the same alert arriving meanwhile holds one for a moment before it finds the
        alert under investigation and lets go: each would leave the alert to the other."""
        held = self.fallback.get(key)
        if held is not None and held.expires_at >= now and held.investigation_id == investigation_id:
            return self.fallback.start_run(key, investigation_id, now=now)  # claimed here
        return self._call(
            "update",
            lambda: start_run(self.primary, key, investigation_id, now=now) or NOT_HELD,
            lambda: STARTED,
        )

    def update(self, key: str, record: Record, *, now: float) -> None:
        self._call(
            "update",
            lambda: self.primary.update(key, record, now=now),
            lambda: self.fallback.update(key, record, now=now),
        )

    def set_thread(self, key: str, record: Record, *, now: float) -> None:
        self._call(
            "update",
            lambda: remember_thread(self.primary, key, record, now=now),
            lambda: remember_thread(self.fallback, key, record, now=now),
        )

    def get_many(self, keys: list[str]) -> dict[str, Record | None]:
        return self._call(
            "get", lambda: get_many(self.primary, keys), lambda: {key: self.fallback.get(key) for key in keys}
        )

    def get(self, key: str) -> Record | None:
        return self._call("get", lambda: self.primary.get(key), lambda: self.fallback.get(key))

    def release(self, key: str, *, owner: str | None = None) -> None:
        self.fallback.release(key, owner=owner)  # it may hold a claim made while the table was down
        self._call("release", lambda: self.primary.release(key, owner=owner), lambda: None)
