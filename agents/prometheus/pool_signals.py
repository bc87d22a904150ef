"""Findings from connection and thread pools (exhausted; maximum lowered in one step, a config change)
and from queues that grew. Pure: `Readings` in, `Finding`s out."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from agents.prometheus.changepoint import detect_change, first_crossing
from agents.prometheus.client import Series
from agents.prometheus.common import RELEVANT, Frame, fmt_number, hhmm
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity, Trigger

QUEUE_FACTOR = 2.0
MIN_EXHAUSTED_POINTS = 3  # a pool at its maximum for one sample is busy, not exhausted


def _pool_name(labels: dict[str, str], family: str) -> str:
    return labels.get("pool") or labels.get("name") or family


def pools(readings: Readings, frame: Frame) -> list[Finding]:
    families = sorted({k.split(":")[1] for k in readings.keys("pool:")})
    findings = []
    for family in families:
        roles = {role: readings.get(f"pool:{family}:{role}") for role in ("active", "max", "pending")}
        by_pool: dict[str, dict[str, Series]] = defaultdict(dict)
        for role, series_list in roles.items():
            for s in series_list:
                by_pool[_pool_name(s.labels, family)][role] = s
        for pool, got in sorted(by_pool.items()):
            findings.extend(_pool_findings(readings, frame, family, pool, got))
    return findings


def _pool_findings(
    readings: Readings, frame: Frame, family: str, pool: str, got: dict[str, Series]
) -> list[Finding]:
    active, top, pending = got.get("active"), got.get("max"), got.get("pending")
    exhausted_since: datetime | None = None
    if active and top:
        limits = dict(top.points)
        waits = dict(pending.points) if pending else {}
        marks = [
            (t, 1.0 if v >= limits.get(t, float("inf")) and (not pending or waits.get(t, 0) > 0) else 0.0)
            for t, v in active.points
        ]
        since = first_crossing(marks, 1.0)
        if since is not None and sum(1 for t, _ in marks if t >= since) >= MIN_EXHAUSTED_POINTS:
            exhausted_since = since
    name = f"{frame.name} {pool}"
    unit = "threads" if "thread" in family else "connections"
    findings: list[Finding] = []
    key = lambda role: readings.expr(f"pool:{family}:{role}")  # noqa: E731
    if exhausted_since is not None and active and top:
        waiting = f", {fmt_number(round(pending.values[-1]))} waiting" if pending else ""
        evidence = [
            frame.evidence(key("active"), f"in use {fmt_number(active.values[-1])}", exhausted_since),
            frame.evidence(key("max"), f"max {fmt_number(top.values[-1])}", exhausted_since),
        ]
        if pending:
            evidence.append(
                frame.evidence(
                    key("pending"), f"waiting {fmt_number(round(pending.values[-1]))}", exhausted_since
                )
            )
        findings.append(
            frame.finding(
                f"pool-exhausted:{frame.workload_slug}/{pool}",
                severity=Severity.CRITICAL,
                title=(
                    f"{name} pool exhausted: {fmt_number(active.values[-1])} of {fmt_number(top.values[-1])} "
                    f"{unit} in use{waiting} since {hhmm(exhausted_since)}"
                ),
                detail=f"{family}: every one of the pool's {unit} in use since {hhmm(exhausted_since)}.",
                resources=frame.workload_resources,
                first_seen=exhausted_since,
                last_seen=active.points[-1][0],
                evidence=tuple(evidence),
                cause_hint=CauseCategory.RESOURCE_POOL_EXHAUSTION,
                relevance=RELEVANT,
            )
        )
    if top is not None:
        lowered = detect_change(top.points)
        if lowered is not None and lowered.kind == "step" and lowered.after <= 0.7 * lowered.before:
            findings.append(
                frame.finding(
                    f"pool-max-lowered:{frame.workload_slug}/{pool}",
                    severity=Severity.CRITICAL if exhausted_since else Severity.WARNING,
                    title=(
                        f"{name} maximum pool size lowered from {fmt_number(round(lowered.before))} to "
                        f"{fmt_number(round(lowered.after))} at {hhmm(lowered.onset)}"
                    ),
                    detail="A configuration change: the pool's maximum dropped in one step.",
                    resources=frame.workload_resources,
                    first_seen=lowered.onset,
                    last_seen=top.points[-1][0],
                    evidence=(
                        frame.evidence(
                            key("max"),
                            f"{fmt_number(round(lowered.before))} -> {fmt_number(round(lowered.after))}",
                            lowered.onset,
                        ),
                    ),
                    cause_hint=CauseCategory.RESOURCE_POOL_EXHAUSTION if exhausted_since else None,
                    change=Trigger.CONFIG_CHANGE,
                    relevance=RELEVANT,
                )
            )
    return findings


def queues(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    for key in readings.keys("queue:"):
        metric = key.split(":", 1)[1]
        for series in readings.get(key)[:3]:
            change = detect_change(series.points)
            factor = change.factor() if change else None
            if change is None or not change.rising or (factor is not None and factor < QUEUE_FACTOR):
                continue
            label = series.labels.get("queue") or series.labels.get("name") or metric
            findings.append(
                frame.finding(
                    f"queue-growing:{frame.workload_slug}/{label}",
                    severity=Severity.WARNING,
                    title=(
                        f"{frame.name} queue {label} grew from {fmt_number(round(change.before))} to "
                        f"{fmt_number(round(change.after))} from {hhmm(change.onset)}"
                    ),
                    resources=frame.workload_resources,
                    first_seen=change.onset,
                    last_seen=series.points[-1][0],
                    evidence=(frame.evidence(readings.expr(key), f"{metric} {change.kind}", change.onset),),
                    relevance=0.8,
                )
            )
    return findings
