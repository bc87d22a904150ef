"""The dedup table failing never costs an alert: after the ack the job investigates anyway; at the
ack, dedup falls back to the process's memory (200 and an investigation, not a 503 that Slack
retries three times and then drops), says so in the log and on /healthz, and goes back to the table
once it answers again."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.dedup import Claim, InMemoryDedupStore, Record
from lambda_adapter.dedup_fallback import FallbackDedupStore
from lambda_adapter.intake_metrics import IntakeMetrics
from sandbox.intake_fakes import Harness

EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())


class FlakyStore(InMemoryDedupStore):
    """Fails every call while `down`, or every claim of a key starting with `fail_prefix`."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.fail_prefix: str | None = None

    def _check(self, key: str = "") -> None:
        if self.down or (self.fail_prefix and key.startswith(self.fail_prefix)):
            raise ConnectionError("dynamodb unreachable")

    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        self._check(key)
        return super().claim(key, record, ttl_seconds=ttl_seconds, now=now)

    def start_run(self, key: str, investigation_id: str, *, now: float) -> str:
        self._check("start_run:" + key)
        return super().start_run(key, investigation_id, now=now)

    def get(self, key: str) -> Record | None:
        self._check(key)
        return super().get(key)

    def update(self, key: str, record: Record, *, now: float) -> None:
        self._check(key)
        super().update(key, record, now=now)

    def release(self, key: str, *, owner: str | None = None) -> None:
        self._check(key)
        super().release(key, owner=owner)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_store_error_just_after_the_ack_still_investigates() -> None:
    store = FlakyStore()
    store.fail_prefix = "start_run:"  # the job's first call (marking the ack's claim as run)
    h = Harness(dedup=store)
    assert json.loads(h.slack(MENTION).body)["outcome"] == "started"
    assert len(h.started) == 1


def test_table_down_at_the_ack_falls_back_to_memory_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    store = FlakyStore()
    monotonic = Clock()
    dedup = FallbackDedupStore(store, monotonic=monotonic)
    h = Harness(dedup=dedup)
    store.down = True
    with caplog.at_level(logging.ERROR):
        first = h.slack(MENTION)
        retry = h.slack(MENTION, x_slack_retry_num="1")
    assert first.status == 200 and json.loads(first.body)["outcome"] == "started"
    assert json.loads(retry.body)["outcome"] == "duplicate_delivery"  # the memory dedups the retry
    assert len(h.started) == 1
    assert "dedup falls back to this process's memory" in caplog.text
    health: Any = json.loads(h.request("/healthz", b"", method="GET").body)
    assert health["dedup"] == "memory"
    # The table answers again: after the pause, claims go back to it.
    store.down = False
    monotonic.now += 31
    assert json.loads(h.request("/healthz", b"", method="GET").body)["dedup"] == "ok"
    assert json.loads(h.slack({**MENTION, "event_id": "Ev-other"}).body)["outcome"] == "duplicate"
    assert store.get("delivery:slack:Ev-other") is not None


def test_each_answer_from_memory_is_a_metric_and_the_switches_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore()
    monotonic = Clock()
    published = io.StringIO()
    metrics = IntakeMetrics("SreOnCall/test", stream=published, clock=lambda: 1_800_000_000.0)
    dedup = FallbackDedupStore(store, monotonic=monotonic, metrics=metrics)
    h = Harness(dedup=dedup)
    store.down = True
    with caplog.at_level(logging.INFO):
        h.slack(MENTION)
        h.slack(MENTION, x_slack_retry_num="1")
        store.down = False
        monotonic.now += 31
        h.slack({**MENTION, "event_id": "Ev-later"})
    points = [json.loads(line) for line in published.getvalue().splitlines()]
    assert points and len(points) == dedup.fallbacks
    [declared] = points[0]["_aws"]["CloudWatchMetrics"]
    assert declared["Namespace"] == "SreOnCall/test"
    assert declared["Metrics"] == [{"Name": "DedupFallbacks", "Unit": "Count"}]
    assert all(point["DedupFallbacks"] == 1 for point in points)
    assert "dedup falls back to this process's memory" in caplog.text
    assert "dedup table answering again" in caplog.text


def test_without_a_namespace_no_metric_line_is_written() -> None:
    published = io.StringIO()
    dedup = FallbackDedupStore(FlakyStore(), metrics=IntakeMetrics("", stream=published))
    dedup.primary.down = True  # type: ignore[attr-defined]
    dedup.get("delivery:slack:Ev1")
    assert dedup.fallbacks == 1 and published.getvalue() == ""


class RunsJobsBeforeRepostClaims(FallbackDedupStore):
    """Runs the jobs waiting in `harness` when a delivery is about to claim a re-post key: the
    interleaving of a retry's ack with the original's job, as it happens under load."""

    harness: Harness | None = None

    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        if key.startswith("repost:") and self.harness is not None:
            waiting, self.harness.jobs.submitted = self.harness.jobs.submitted, []
            for job in waiting:
                self.harness.worker.run(job)
        return super().claim(key, record, ttl_seconds=ttl_seconds, now=now)


def test_an_alert_acked_as_the_table_fails_is_investigated_when_its_retry_arrives_meanwhile() -> None:
    """The alert's message claim is in the table, its other claims in memory (the table failed
    mid-ack); its job runs while Slack's retry holds the message claim in memory for a moment
    before it finds the alert under investigation. The alert is investigated (once), not left by
    each to the other."""
    store = FlakyStore()
    store.fail_prefix = "repost:"  # the table fails after the message claim
    dedup = RunsJobsBeforeRepostClaims(store, monotonic=Clock())
    h = Harness(dedup=dedup, run_jobs=False)
    body = (EVENTS / "slack_bot_alert_message.json").read_bytes()
    assert json.loads(h.slack(body).body)["outcome"] == "started"
    assert h.started == [] and len(h.jobs.submitted) == 1  # its job has not run yet
    store.down = True
    dedup.harness = h
    h.clock.advance(2)
    h.slack(body, x_slack_retry_num="1", x_slack_retry_reason="http_timeout")
    for job in h.jobs.submitted:
        h.worker.run(job)
    assert len(h.started) == 1
