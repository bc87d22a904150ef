"""Findings from the application's own metrics: request rate, error ratio, latency, connection pools,
queues, versions (image and build info) and the `up` gauges of its neighbours. Pure."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from agents.prometheus.changepoint import Change, detect_change, first_crossing
from agents.prometheus.client import Series
from agents.prometheus.common import RELEVANT, Frame, fmt_pct, fmt_rate, fmt_seconds, hhmm, values_at
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity, Trigger

SPIKE_FACTOR = 1.8
ERROR_RATIO = 0.05
LATENCY_FACTOR = 2.0
QUANTILES = ("p99", "p95", "p50")  # highest first: the tail moves first and most


def requests(readings: Readings, frame: Frame) -> list[Finding]:
    series = readings.get("requests")
    if not series or not series[0].points:
        return []
    change = detect_change(series[0].points)
    if change is None or not change.rising:
        return []
    factor = change.factor()
    if factor is not None and factor < SPIKE_FACTOR:
        return []
    if factor is None:
        return [_began(readings, frame, change, series[0])]
    times = f"{factor:.1f}x"
    return [
        frame.finding(
            f"request-rate-surge:{frame.workload_slug}",
            severity=Severity.WARNING,
            title=(
                f"{frame.name} request rate rose {times}: {fmt_rate(change.before)} to "
                f"{fmt_rate(change.after)} from {hhmm(change.onset)}"
            ),
            detail=f"A {change.kind} in the request rate, to a load not seen earlier in the window.",
            resources=frame.workload_resources,
            first_seen=change.onset,
            last_seen=series[0].points[-1][0],
            evidence=(
                frame.evidence(
                    readings.expr("requests"),
                    f"{fmt_rate(change.before)} before {hhmm(change.onset)}, {fmt_rate(change.after)} after",
                    change.onset,
                ),
            ),
            cause_hint=CauseCategory.TRAFFIC_SPIKE,
            change=Trigger.TRAFFIC,
            relevance=RELEVANT,
        )
    ]


def _began(readings: Readings, frame: Frame, change: Change, series: Series) -> Finding:
    """Requests that rose from none: a client or job that only began in the window (or requests
    that only fail), said as new, not as a surge of the load there was."""
    failing = [v for t, v in (readings.get("errors") or [Series({}, ())])[0].points if t >= change.onset]
    share = sum(failing) / len(failing) if failing else None
    fails = f", {fmt_pct(share)} of them failing (5xx)" if share is not None and share >= ERROR_RATIO else ""
    return frame.finding(
        f"requests-began:{frame.workload_slug}",
        severity=Severity.WARNING,
        title=(
            f"{frame.name} requests began at {hhmm(change.onset)}, none earlier in the window: "
            f"{fmt_rate(change.after)} now{fails}"
        ),
        detail=(
            "The request series rose from zero: a new client or job, or a route that only now answers; "
            "not a surge of the load there was."
        ),
        resources=frame.workload_resources,
        first_seen=change.onset,
        last_seen=series.points[-1][0],
        evidence=(
            frame.evidence(
                readings.expr("requests"),
                f"0 req/s before {hhmm(change.onset)}, {fmt_rate(change.after)} after",
                change.onset,
            ),
        ),
        relevance=RELEVANT,
    )


def errors(readings: Readings, frame: Frame) -> list[Finding]:
    series = readings.get("errors")
    if not series or len(series[0].points) < 3:
        return []
    points = series[0].points
    since = frame.ctx.anchor - frame.window / 12
    recent = values_at(series[0], since) or [v for _, v in points[-3:]]
    now = sum(recent) / len(recent)
    change = detect_change(points, min_relative=0.5)
    if now < ERROR_RATIO and not (change and change.rising and change.after >= 0.02):
        return []
    onset = change.onset if change and change.rising else first_crossing(points, ERROR_RATIO) or points[0][0]
    before = change.before if change and change.rising else None
    rose = (
        f"rose from {fmt_pct(before)} to {fmt_pct(now)} at {hhmm(onset)}"
        if before is not None
        else f"is {fmt_pct(now)} since {hhmm(onset)}"
    )
    return [
        frame.finding(
            f"error-ratio:{frame.workload_slug}",
            severity=Severity.CRITICAL if now >= 2 * ERROR_RATIO else Severity.WARNING,
            title=f"{frame.name} 5xx error ratio {rose}",
            resources=frame.workload_resources,
            first_seen=onset,
            last_seen=points[-1][0],
            evidence=(frame.evidence(readings.expr("errors"), f"error ratio {fmt_pct(now)} now", onset),),
            relevance=RELEVANT,
        )
    ]


def latency(readings: Readings, frame: Frame) -> list[Finding]:
    """One finding when a latency quantile rose at least `LATENCY_FACTOR`-fold, led by the highest
    quantile that did, naming the others that moved: p50 rising too means every request slowed,
    not only the tail."""
    rose: dict[str, tuple[Change, Series]] = {}
    for quantile in QUANTILES:
        found = readings.get(f"latency_{quantile}")
        if not found or not found[0].points:
            continue
        change = detect_change(found[0].points)
        factor = change.factor() if change else None
        if change is None or not change.rising or (factor is not None and factor < LATENCY_FACTOR):
            continue
        rose[quantile] = (change, found[0])
    if not rose:
        return []
    lead = next(q for q in QUANTILES if q in rose)
    change, series = rose[lead]
    others = [
        f"{q} {fmt_seconds(c.before)} to {fmt_seconds(c.after)}" for q, (c, _) in rose.items() if q != lead
    ]
    whole = "p50" in rose and lead != "p50"
    return [
        frame.finding(
            f"latency-{lead}:{frame.workload_slug}",
            severity=Severity.WARNING,
            title=(
                f"{frame.name} {lead} latency rose from {fmt_seconds(change.before)} to "
                f"{fmt_seconds(change.after)} at {hhmm(change.onset)}"
                + (f" ({', '.join(others)})" if others else "")
            ),
            detail=(
                "The median rose too: every request is slower, not only the tail."
                if whole
                else f"Only the tail ({', '.join(rose)}) slowed; the median held."
                if readings.get("latency_p50") and "p50" not in rose
                else ""
            ),
            resources=frame.workload_resources,
            first_seen=change.onset,
            last_seen=series.points[-1][0],
            evidence=tuple(
                frame.evidence(readings.expr(f"latency_{q}"), f"{q} {fmt_seconds(c.after)}", c.onset)
                for q, (c, _) in rose.items()
            ),
            relevance=RELEVANT,
        )
    ]


def _new_value(
    series_list: list[Series], label: str, frame: Frame
) -> tuple[str, str | None, datetime] | None:
    """(new, previous, since) when a label value appeared during the window while another existed."""
    if len(series_list) < 2:
        return None
    ordered = sorted((s for s in series_list if s.points), key=lambda s: s.points[0][0])
    first_start = ordered[0].points[0][0]
    newest = ordered[-1]
    start = newest.points[0][0]
    if start - first_start < timedelta(minutes=2):
        return None
    previous = ordered[-2].labels.get(label)
    return newest.labels.get(label, "?"), previous, start


def versions(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    images: dict[str, list[Series]] = defaultdict(list)
    for s in readings.get("images"):
        images[s.labels.get("container", "")].append(s)
    sources = [(f"image of {frame.name} ({c})", "image", "images", lst) for c, lst in sorted(images.items())]
    build = readings.get("build_info")
    if build:
        label = next((k for k in build[0].labels if k != "__name__"), "version")
        sources.append((f"{frame.name} version", label, "build_info", build))
    for what, label, key, series_list in sources:
        found = _new_value(series_list, label, frame)
        if found is None:
            continue
        new, previous, since = found
        if label == "image":  # the registry host says nothing a person needs here
            new, previous = new.rsplit("/", 1)[-1], previous.rsplit("/", 1)[-1] if previous else None
        was = f" (was {previous})" if previous else ""
        findings.append(
            frame.finding(
                f"version-change:{frame.workload_slug}/{key}",
                severity=Severity.INFO,
                title=f"New {what}: {new} from {hhmm(since)}{was}",
                detail="A rollout: series with the new value appear from this time.",
                resources=frame.workload_resources,
                first_seen=since,
                last_seen=since,
                evidence=(
                    frame.evidence(readings.expr(key), f"{label}={new} first seen {hhmm(since)}", since),
                ),
                change=Trigger.DEPLOY,
                relevance=0.85,
            )
        )
        break  # one rollout finding: the image and the build info describe the same change
    return findings


def neighbours_down(readings: Readings, frame: Frame) -> list[Finding]:
    """`up` / `*_up` gauges in the namespace that went from up to down in the window."""
    own = set(frame.subject.services)
    findings = []
    for series in readings.get("up"):
        if len(series.points) < 4 or series.values[-1] >= 1 or max(series.values) < 1:
            continue
        labels = series.labels
        metric = labels.get("__name__", "up")
        target = labels.get("service") or labels.get("job") or metric
        down_since = first_crossing(series.points, 0.0, above=False) or series.points[-1][0]
        itself = target in own
        findings.append(
            frame.finding(
                f"target-down:{frame.subject.namespace or '-'}/{target}/{metric}",
                severity=Severity.CRITICAL,
                title=f"{metric} of {frame.subject.namespace}/{target} dropped to 0 at {hhmm(down_since)}"
                + ("" if itself else f" (a dependency in {frame.name}'s namespace)"),
                resources=(f"{frame.subject.namespace}/{target}",),
                first_seen=down_since,
                last_seen=series.points[-1][0],
                evidence=(
                    frame.evidence(readings.expr("up"), f"{metric}{{job/service={target}}} == 0", down_since),
                ),
                cause_hint=None if itself else CauseCategory.DEPENDENCY_FAILURE,
                change=None if itself else Trigger.DEPENDENCY,
                relevance=RELEVANT if itself else 0.75,
            )
        )
    return findings
