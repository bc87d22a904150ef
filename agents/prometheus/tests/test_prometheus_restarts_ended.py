"""Restarts that stopped: the counter stays at its new value after the pod recovers, so the finding
says the restarts were last seen at the last increase, not at the last sample."""

from __future__ import annotations

from test_prometheus_analyzers import NOW, POD, POINTS, STEP, frame, line, only, readings

from agents.prometheus.analyzers import analyze


def _restarts(values: list[float]):
    found = analyze(readings(restarts=[line(POD, values)]), frame(namespace="shop", pod=POD["pod"]))
    return only(found, "restarts")


def test_restarts_that_stopped_are_last_seen_at_the_last_restart() -> None:
    values = [0.0] * 40 + [1.0] * 10 + [2.0] * 10 + [4.0] * (POINTS - 60)  # last restart 30 min ago
    restarts = _restarts(values)
    assert "restarted 4 times" in restarts.title
    assert restarts.last_seen == NOW - STEP * (POINTS - 61)


def test_restarts_still_going_are_last_seen_now() -> None:
    values = [float(i // 10) for i in range(POINTS - 1)] + [float(POINTS)]
    assert _restarts(values).last_seen == NOW
