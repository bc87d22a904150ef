"""Findings from the workload's containers: memory and CPU against their limits, OOM kills and
restarts. Pure: `Readings` in, `Finding`s out."""

from __future__ import annotations

from collections import defaultdict

from agents.prometheus.changepoint import detect_change, first_crossing
from agents.prometheus.client import Series
from agents.prometheus.common import (
    RELEVANT,
    Frame,
    by_key,
    fmt_bytes,
    fmt_cpu,
    fmt_number,
    fmt_pct,
    hhmm,
    peak,
    resource,
    values_at,
    where,
)
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

CONTAINER = ("namespace", "pod", "container")
MEMORY_NEAR_LIMIT = 0.9
THROTTLED = 0.25
CPU_NEAR_LIMIT = 0.9


def _slug(labels: dict[str, str]) -> str:
    return "/".join(labels.get(k, "") for k in CONTAINER)


def _worst_per_container(rows: list[tuple[float, Series, dict[str, str]]]) -> list[tuple[float, Series, int]]:
    """The worst pod of each (namespace, container), with how many pods qualified."""
    groups: dict[tuple[str, str], list[tuple[float, Series]]] = defaultdict(list)
    for score, series, labels in rows:
        groups[(labels.get("namespace", ""), labels.get("container", ""))].append((score, series))
    out = []
    for _, members in sorted(groups.items()):
        members.sort(key=lambda m: (-m[0], m[1].labels.get("pod", "")))
        out.append((members[0][0], members[0][1], len(members)))
    return out


def memory(readings: Readings, frame: Frame) -> list[Finding]:
    usage = readings.get("memory")
    limits = by_key(readings.get("memory_limit"), CONTAINER)
    rows = []
    for series in usage:
        top = peak(series)
        limit = limits.get(tuple(series.labels.get(k, "") for k in CONTAINER))
        if top is None:
            continue
        ratio = top[1] / limit.values[-1] if limit and limit.values and limit.values[-1] > 0 else 0.0
        rows.append((ratio, series, series.labels))
    findings = []
    for ratio, series, pods in _worst_per_container(rows):
        labels = series.labels
        limit_series = limits.get(tuple(labels.get(k, "") for k in CONTAINER))
        top = peak(series)
        assert top is not None
        change = detect_change(series.points)
        grew = ""
        if change is not None and change.rising:
            grew = f" It grew from {fmt_bytes(change.before)} from {hhmm(change.onset)} ({change.kind})."
        if limit_series is not None and ratio >= MEMORY_NEAR_LIMIT:
            cap = limit_series.values[-1]
            onset = next((t for t, v in series.points if v >= MEMORY_NEAR_LIMIT * cap), top[0])
            expr = f"{readings.expr('memory')} / on ({', '.join(CONTAINER)}) {readings.expr('memory_limit')}"
            findings.append(
                frame.finding(
                    f"memory-near-limit:{_slug(labels)}",
                    severity=Severity.CRITICAL if ratio >= 0.95 else Severity.WARNING,
                    title=(
                        f"Memory of {where(labels)} reached {fmt_bytes(top[1])} of its {fmt_bytes(cap)} "
                        f"limit ({fmt_pct(ratio)}) at {hhmm(top[0])}"
                    ),
                    detail=(
                        f"Working set above {fmt_pct(MEMORY_NEAR_LIMIT)} of the memory limit "
                        f"from {hhmm(onset)}; "
                        f"{pods} pod(s) of this container peaked highest here.{grew} A container at its "
                        "memory limit is OOMKilled by the kernel."
                    ),
                    resources=(resource(labels),),
                    first_seen=onset,
                    last_seen=series.points[-1][0],
                    evidence=(
                        frame.evidence(
                            expr,
                            f"peak {fmt_bytes(top[1])} at {hhmm(top[0])} vs limit {fmt_bytes(cap)}",
                            top[0],
                        ),
                    ),
                    cause_hint=CauseCategory.OOM,
                    relevance=RELEVANT,
                )
            )
        elif change is not None and change.rising and change.delta >= 0.5 * max(change.before, 1.0):
            findings.append(
                frame.finding(
                    f"memory-growth:{_slug(labels)}",
                    severity=Severity.WARNING,
                    title=(
                        f"Memory of {where(labels)} grew from {fmt_bytes(change.before)} to "
                        f"{fmt_bytes(change.after)} from {hhmm(change.onset)}"
                        + (f" ({fmt_pct(ratio)} of its limit)" if ratio else " (no memory limit set)")
                    ),
                    resources=(resource(labels),),
                    first_seen=change.onset,
                    last_seen=series.points[-1][0],
                    evidence=(
                        frame.evidence(
                            readings.expr("memory"), f"{change.kind} from {hhmm(change.onset)}", change.onset
                        ),
                    ),
                    relevance=0.7,
                )
            )
    return findings


def oomkilled(readings: Readings, frame: Frame) -> list[Finding]:
    rows = [(s.values[-1], s, s.labels) for s in readings.get("oomkilled") if s.values and max(s.values) >= 1]
    findings = []
    for _, series, pods in _worst_per_container(rows):
        labels = series.labels
        first = next(t for t, v in series.points if v >= 1)
        findings.append(
            frame.finding(
                f"oomkilled:{_slug(labels)}",
                severity=Severity.CRITICAL,
                title=f"{where(labels)} was last terminated with reason OOMKilled ({pods} pod(s))",
                resources=(resource(labels),),
                first_seen=first,
                last_seen=series.points[-1][0],
                evidence=(
                    frame.evidence(readings.expr("oomkilled"), "last_terminated_reason=OOMKilled", first),
                ),
                cause_hint=CauseCategory.OOM,
                relevance=RELEVANT,
            )
        )
    return findings


def restarts(readings: Readings, frame: Frame) -> list[Finding]:
    rows = []
    for series in readings.get("restarts"):
        increase, first = 0.0, None
        for (_, before), (t, after) in zip(series.points, series.points[1:], strict=False):
            if after > before:
                increase += after - before
                first = first or t
        if increase >= 1 and first is not None:
            rows.append((increase, series, series.labels))
    findings = []
    for increase, series, pods in _worst_per_container(rows):
        labels = series.labels
        rises = [t for (_, a), (t, b) in zip(series.points, series.points[1:], strict=False) if b > a]
        first = rises[0]
        findings.append(
            frame.finding(
                f"restarts:{_slug(labels)}",
                severity=Severity.CRITICAL if increase >= 3 else Severity.WARNING,
                title=f"{where(labels)} restarted {fmt_number(round(increase))} times since {hhmm(first)}"
                + (f" ({pods} pods restarting)" if pods > 1 else ""),
                resources=(resource(labels),),
                first_seen=first,
                # The last restart, not the last sample: the counter stays up after the pod recovers.
                last_seen=rises[-1],
                evidence=(
                    frame.evidence(
                        readings.expr("restarts"), f"+{fmt_number(round(increase))} restarts", first
                    ),
                ),
                relevance=RELEVANT,
            )
        )
    return findings


def cpu(readings: Readings, frame: Frame) -> list[Finding]:
    """CFS throttling, with the usage against the limit; and a container at its CPU limit where no
    throttling series exist (cAdvisor without the CFS metrics, or a scrape that drops them)."""
    with_throttling = {
        (s.labels.get("namespace", ""), s.labels.get("container", "")) for s in readings.get("throttling")
    }
    return _cpu_throttled(readings, frame) + _cpu_at_limit(readings, frame, with_throttling)


def _cpu_at_limit(readings: Readings, frame: Frame, skip: set[tuple[str, str]]) -> list[Finding]:
    limits = by_key(readings.get("cpu_limit"), CONTAINER)
    since = frame.ctx.anchor - (frame.window / 6)
    rows = []
    for series in readings.get("cpu"):
        labels = series.labels
        if (labels.get("namespace", ""), labels.get("container", "")) in skip:
            continue
        limit = limits.get(tuple(labels.get(k, "") for k in CONTAINER))
        recent = values_at(series, since) or series.values[-3:]
        if not recent or limit is None or not limit.values or limit.values[-1] <= 0:
            continue
        share = (sum(recent) / len(recent)) / limit.values[-1]
        if share >= CPU_NEAR_LIMIT:
            rows.append((share, series, labels))
    findings = []
    for share, series, pods in _worst_per_container(rows):
        labels = series.labels
        cores = limits[tuple(labels.get(k, "") for k in CONTAINER)].values[-1]
        change = detect_change(series.points)
        rising = change is not None and change.rising
        onset = (
            change.onset
            if change is not None and rising
            else first_crossing(series.points, CPU_NEAR_LIMIT * cores) or series.points[0][0]
        )
        was = (
            f" (was {fmt_number(round(change.before, 2))} before {hhmm(change.onset)})"
            if change and rising
            else ""
        )
        expr = f"{readings.expr('cpu')} / on ({', '.join(CONTAINER)}) {readings.expr('cpu_limit')}"
        findings.append(
            frame.finding(
                f"cpu-at-limit:{_slug(labels)}",
                severity=Severity.CRITICAL if share >= 0.98 else Severity.WARNING,
                title=(
                    f"CPU of {where(labels)} at {fmt_pct(share)} of its limit: "
                    f"{fmt_cpu(share * cores)} of {fmt_cpu(cores)}{was}"
                ),
                detail=(
                    f"{pods} pod(s) of this container above {fmt_pct(CPU_NEAR_LIMIT)} of the CPU limit; "
                    "no CFS throttling series were found, but a container at its limit is throttled by the "
                    "kernel's CFS quota."
                ),
                resources=(resource(labels),),
                first_seen=onset,
                last_seen=series.points[-1][0],
                evidence=(frame.evidence(expr, f"{fmt_pct(share)} of {fmt_number(cores)} core(s)", onset),),
                cause_hint=CauseCategory.CPU_SATURATION,
                relevance=RELEVANT,
            )
        )
    return findings


def _cpu_throttled(readings: Readings, frame: Frame) -> list[Finding]:
    usage = by_key(readings.get("cpu"), CONTAINER)
    limits = by_key(readings.get("cpu_limit"), CONTAINER)
    since = frame.ctx.anchor - (frame.window / 6)
    rows = []
    for series in readings.get("throttling"):
        recent = values_at(series, since) or series.values[-3:]
        if recent:
            rows.append((sum(recent) / len(recent), series, series.labels))
    findings = []
    for ratio, series, pods in _worst_per_container(rows):
        labels = series.labels
        key = tuple(labels.get(k, "") for k in CONTAINER)
        used, limit = usage.get(key), limits.get(key)
        used_recent = values_at(used, since) if used else []
        load = ""
        saturated = False
        if used_recent and limit and limit.values and limit.values[-1] > 0:
            share = (sum(used_recent) / len(used_recent)) / limit.values[-1]
            saturated = share >= CPU_NEAR_LIMIT
            cores = limit.values[-1]
            load = f"; using {fmt_cpu(share * cores)} of its {fmt_cpu(cores)} CPU limit"
        if ratio < THROTTLED and not saturated:
            continue
        change = detect_change(series.points)
        onset = (
            change.onset if change is not None and change.rising else first_crossing(series.points, THROTTLED)
        )
        was = (
            f" (was {fmt_pct(change.before)} before {hhmm(change.onset)})" if change and change.rising else ""
        )
        findings.append(
            frame.finding(
                f"cpu-throttled:{_slug(labels)}",
                severity=Severity.CRITICAL if ratio >= 0.5 else Severity.WARNING,
                title=f"CPU of {where(labels)} throttled in {fmt_pct(ratio)} of CFS periods{was}{load}",
                detail=f"{pods} pod(s) of this container throttled; the CFS quota (the CPU limit) caps it.",
                resources=(resource(labels),),
                first_seen=onset,
                last_seen=series.points[-1][0],
                evidence=(
                    frame.evidence(readings.expr("throttling"), f"throttled ratio {fmt_pct(ratio)}", onset),
                ),
                cause_hint=CauseCategory.CPU_SATURATION,
                relevance=RELEVANT,
            )
        )
    return findings
