"""Findings from a process's own gauges of a bounded resource against their maximum: the JVM heap
(`jvm_memory_used_bytes` / `jvm_memory_max_bytes`, Micrometer and the Prometheus JMX client) and
file descriptors (`process_open_fds` / `process_max_fds`, every official Prometheus client library).
A heap near its maximum after a steady climb is memory exhausted; descriptors at their limit are a
pool exhausted. Pure: `Readings` in, `Finding`s out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agents.prometheus.changepoint import first_crossing
from agents.prometheus.client import Series
from agents.prometheus.common import RELEVANT, Frame, fmt_bytes, fmt_number, fmt_pct, hhmm
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

MAX_FINDINGS = 3  # the worst processes of each kind


@dataclass(frozen=True)
class Gauge:
    key: str  # the plan's keys: `<key>_used` and `<key>_max`
    what: str  # for titles
    cause: CauseCategory
    near: float  # the share of the maximum from which the gauge is "near it"
    exhausted: float  # from here it is at the limit
    in_bytes: bool


GAUGES = (
    Gauge("heap", "JVM heap", CauseCategory.OOM, near=0.9, exhausted=0.97, in_bytes=True),
    Gauge("fds", "open file descriptors", CauseCategory.RESOURCE_POOL_EXHAUSTION, 0.9, 0.99, in_bytes=False),
)


def _limit_for(series: Series, limits: list[Series]) -> float | None:
    """The maximum that applies to `series`: the one of the same pod, else the one without a pod."""
    pod = series.labels.get("pod")
    same = [s for s in limits if s.values and pod and s.labels.get("pod") == pod]
    shared = [s for s in limits if s.values and not s.labels.get("pod")]
    chosen = same or shared or [s for s in limits if s.values]
    values = [s.values[-1] for s in chosen if s.values[-1] > 0]
    return max(values) if values else None


def _fmt(gauge: Gauge, value: float) -> str:
    return fmt_bytes(value) if gauge.in_bytes else fmt_number(round(value))


def saturation(readings: Readings, frame: Frame) -> list[Finding]:
    findings: list[Finding] = []
    for gauge in GAUGES:
        used, limits = readings.get(f"{gauge.key}_used"), readings.get(f"{gauge.key}_max")
        rows = []
        for series in used:
            limit = _limit_for(series, limits)
            if limit is None or not series.points:
                continue
            top_at, top = max(series.points, key=lambda p: (p[1], p[0]))
            if top / limit >= gauge.near:
                rows.append((top / limit, series, limit, top_at, top))
        rows.sort(key=lambda r: (-r[0], r[1].labels.get("pod", "")))
        for ratio, series, limit, top_at, top in rows[:MAX_FINDINGS]:
            findings.append(_finding(readings, frame, gauge, series, limit, ratio, top_at, top))
    return findings


def _finding(
    readings: Readings,
    frame: Frame,
    gauge: Gauge,
    series: Series,
    limit: float,
    ratio: float,
    top_at: datetime,
    top: float,
) -> Finding:
    pod = series.labels.get("pod") or series.labels.get("instance") or frame.name
    first, last = series.points[0][1], series.points[-1][1]
    since = first_crossing(series.points, gauge.near * limit) or next(
        t for t, v in series.points if v >= gauge.near * limit
    )
    climbed = first < 0.85 * top
    released = last < 0.6 * top  # it fell back: the process restarted or was killed
    exhausted = ratio >= gauge.exhausted
    now = f"{fmt_pct(last / limit)} now" if released else ""
    growth = f", up from {fmt_pct(first / limit)} at {hhmm(series.points[0][0])}" if climbed else ""
    then = f"; it dropped to {now} (the process restarted)" if released else ""
    title = (
        f"{frame.name} {gauge.what} {'at' if not released else 'reached'} {fmt_pct(ratio)} of its maximum "
        f"({_fmt(gauge, top)} of {_fmt(gauge, limit)}) in {pod} at {hhmm(top_at)}{growth}{then}"
    )
    evidence = [
        frame.evidence(readings.expr(f"{gauge.key}_used"), f"{_fmt(gauge, top)} at {hhmm(top_at)}", since),
        frame.evidence(readings.expr(f"{gauge.key}_max"), f"maximum {_fmt(gauge, limit)}", since),
    ]
    return frame.finding(
        f"{gauge.key}-near-max:{frame.workload_slug}/{pod}",
        severity=Severity.CRITICAL if exhausted else Severity.WARNING,
        title=title,
        detail=(
            f"{gauge.what} of {pod} above {fmt_pct(gauge.near)} of its maximum since {hhmm(since)}"
            + (" after a steady climb through the window (a leak grows like this)." if climbed else ".")
        ),
        resources=frame.workload_resources,
        first_seen=since,
        last_seen=series.points[-1][0],
        evidence=tuple(evidence),
        cause_hint=gauge.cause if exhausted or climbed else None,
        relevance=RELEVANT,
    )
