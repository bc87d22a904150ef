"""A crashed container that runs and is ready again: its previous log's errors are over, and the
finding says when they stopped (so a resolved alert about it is not overruled by them)."""

from __future__ import annotations

from datetime import datetime

from eks_builders import at, by_prefix, pod, run, running, scope, waiting

CRASH = "2026-11-22 21:10:02 ERROR cannot reach search cluster: connection refused\n"
LAST = {"reason": "Error", "exitCode": 1, "startedAt": at(29), "finishedAt": at(26)}


def _log_finding(status: dict) -> object:
    crashed = pod(
        "indexer-84d6c9f7b-r5wlm", "search", statuses=[status], owner=("ReplicaSet", "indexer-84d6c9f7b")
    )
    findings = run(
        [crashed],
        scope(namespace="search", workload="indexer"),
        logs={"search/indexer-84d6c9f7b-r5wlm/app/previous": CRASH},
    )
    [log] = by_prefix(findings, "eks:pod-log-errors:")
    return log


def test_a_recovered_container_s_crash_log_ends_when_it_stopped() -> None:
    log = _log_finding(running(restarts=4, last=LAST))
    assert log.last_seen == datetime.fromisoformat(LAST["finishedAt"].replace("Z", "+00:00"))


def test_a_container_still_crash_looping_has_no_end() -> None:
    log = _log_finding(waiting("CrashLoopBackOff", "back-off 5m0s", restarts=4, last=LAST))
    assert log.last_seen is None


def test_a_running_container_not_ready_yet_has_no_end() -> None:
    log = _log_finding(running(ready=False, restarts=4, last=LAST))
    assert log.last_seen is None
