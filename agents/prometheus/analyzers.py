"""The Prometheus analyzers: fetched series in, `Finding`s out. Pure and deterministic.

`analyze` runs every signal analyzer (`resource_signals`, `infra_signals`, `app_signals`,
`pool_signals`), then applies the rules that need more than one signal: a surge that drove an HPA
to its maximum is the trigger, not the cause; errors that begin at a rollout with no resource
explanation point at the release; restarts of a container at its memory limit are OOM kills.
`analyze_alert` states when the alert's own expression began to hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agents.prometheus import (
    app_signals,
    client_signals,
    cloud_signals,
    ena_signals,
    infra_signals,
    limit_signals,
    log_writers,
    pool_signals,
    resource_signals,
    saturation_signals,
)
from agents.prometheus.client import Series
from agents.prometheus.common import Frame, fmt_number, hhmm
from agents.prometheus.promql import is_constant
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

ANALYZERS = (
    resource_signals.memory,
    resource_signals.oomkilled,
    resource_signals.restarts,
    resource_signals.cpu,
    infra_signals.hpa,
    infra_signals.volumes,
    infra_signals.node_disks,
    log_writers.log_writers,
    infra_signals.nodes,
    ena_signals.ena,
    app_signals.requests,
    app_signals.errors,
    app_signals.latency,
    client_signals.client_errors,
    pool_signals.pools,
    pool_signals.queues,
    saturation_signals.saturation,
    limit_signals.limits,
    limit_signals.percents,
    cloud_signals.cloud,
    app_signals.versions,
    app_signals.neighbours_down,
)
# Causes that explain errors better than "the release did it".
_EXPLAINING = frozenset(
    {
        CauseCategory.OOM,
        CauseCategory.CPU_SATURATION,
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
        CauseCategory.DISK_FULL,
        CauseCategory.SCALING_LIMIT,
        CauseCategory.DEPENDENCY_FAILURE,
        CauseCategory.NODE_FAILURE,
    }
)
# An expression over the ALERTS series is about the alerting pipeline itself.
_META = re.compile(r"(?<![\w:])ALERTS(?:_FOR_STATE)?\s*(?:\{|\s|\)|$)")
ROLLOUT_LEAD = timedelta(minutes=20)  # errors this soon after a rollout are attributed to it
CLEARED_FOR = timedelta(minutes=5)
# What an alert's own expression measures, by the metrics it reads (first match): a throttling
# count or a full filesystem is evidence of that cause, as the same words in a log line are. CPU
# throttling (CFS) is the container's own limit, not an API's.
_EXPRESSION_CAUSES: tuple[tuple[re.Pattern[str], CauseCategory], ...] = (
    (re.compile(r"cpu_cfs_throttled", re.IGNORECASE), CauseCategory.CPU_SATURATION),
    (re.compile(r"throttl", re.IGNORECASE), CauseCategory.RATE_LIMITED),
    (
        re.compile(r"filesystem_(?:avail|free)|volume_stats_(?:available|used)|free_?storage", re.IGNORECASE),
        CauseCategory.DISK_FULL,
    ),
)


def analyze(readings: Readings, frame: Frame) -> list[Finding]:
    findings = [f for analyzer in ANALYZERS for f in analyzer(readings, frame)]
    findings = _cross_signal(findings)
    return sorted(findings, key=lambda f: (-f.severity.rank, f.id))


def _kind(finding: Finding) -> str:
    return finding.id.split(":", 2)[1]


def _cross_signal(findings: list[Finding]) -> list[Finding]:
    kinds = {_kind(f) for f in findings}
    explained = any(f.cause_hint in _EXPLAINING for f in findings)
    rollouts = [f for f in findings if _kind(f) == "version-change" and f.first_seen]
    memory_at_limit = {
        r for f in findings if _kind(f) in {"memory-near-limit", "oomkilled"} for r in f.resources
    }
    out = []
    for f in findings:
        kind = _kind(f)
        if kind == "request-rate-surge" and "hpa-at-max" in kinds:
            f = f.model_copy(
                update={
                    "cause_hint": None,
                    "detail": f.detail + " The autoscaler is at its maximum, so the surge is the trigger.",
                }
            )
        elif kind == "error-ratio" and not explained and f.first_seen:
            first_seen = f.first_seen
            lead = next(
                (
                    r
                    for r in rollouts
                    if r.first_seen and timedelta(minutes=-2) <= first_seen - r.first_seen <= ROLLOUT_LEAD
                ),
                None,
            )
            if lead is not None and lead.first_seen:
                minutes = round((first_seen - lead.first_seen).total_seconds() / 60)
                f = f.model_copy(
                    update={
                        "cause_hint": CauseCategory.BAD_DEPLOY,
                        "detail": f"Errors began {minutes} min after the rollout ({lead.title}); no resource "
                        "signal explains them.",
                    }
                )
        elif kind == "restarts" and set(f.resources) & memory_at_limit:
            f = f.model_copy(
                update={
                    "cause_hint": CauseCategory.OOM,
                    "detail": "The container restarted while its memory was at the limit: OOM kills.",
                }
            )
        out.append(f)
    return out


@dataclass(frozen=True)
class AlertEvaluation:
    """The alert's expression evaluated over the window (`series`), and its left-hand side when the
    expression compares with a number (`values`, `op`, `threshold`)."""

    alert_name: str
    expr: str
    source: str  # "generatorURL" or "rules API"
    series: list[Series]
    step: timedelta
    values: list[Series] = field(default_factory=list)
    op: str | None = None
    threshold: float | None = None


def _runs(times: list[datetime], step: timedelta) -> list[tuple[datetime, datetime]]:
    runs: list[tuple[datetime, datetime]] = []
    for t in sorted(set(times)):
        if runs and t - runs[-1][1] <= 2 * step:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _measures(expr: str) -> CauseCategory | None:
    return next((cause for pattern, cause in _EXPRESSION_CAUSES if pattern.search(expr)), None)


def analyze_alert(evaluation: AlertEvaluation, frame: Frame) -> list[Finding]:
    name, expr = evaluation.alert_name, evaluation.expr
    slug = f"alert-expr:{name}"
    evidence = frame.evidence(expr, f"alert expression from the {evaluation.source}")
    if is_constant(expr):
        return [
            frame.finding(
                slug,
                severity=Severity.INFO,
                title=f"{name} is a heartbeat: its expression `{expr.strip()}` is always true",
                detail="It fires all the time by design to prove the alerting pipeline works.",
                evidence=(evidence,),
                cause_hint=CauseCategory.NO_ISSUE,
                relevance=0.9,
            )
        ]
    if _META.search(expr):
        return [
            frame.finding(
                slug,
                severity=Severity.INFO,
                title=(
                    f"{name} is an alert about other alerts: its expression reads `ALERTS` "
                    f"(`{' '.join(expr.split())[:120]}`), not a workload's metrics"
                ),
                detail=(
                    "Rules over ALERTS exist to inhibit or route other alerts (kube-prometheus' "
                    "InfoInhibitor, Watchdog-style meta-alerts); on their own they report no problem."
                ),
                evidence=(evidence,),
                cause_hint=CauseCategory.NO_ISSUE,
                relevance=0.9,
            )
        ]
    times = [t for s in evaluation.series for t, _ in s.points]
    if not times:
        return [
            frame.finding(
                slug,
                severity=Severity.INFO,
                title=f"{name}: its expression did not hold at any point in the window",
                detail=(
                    f"Evaluated `{expr}` from {hhmm(frame.ctx.window_start)} to {hhmm(frame.ctx.window_end)}."
                ),
                evidence=(evidence,),
                relevance=0.6,
            )
        ]
    start, end = _runs(times, evaluation.step)[-1]
    value = ""
    current = [s.points[-1][1] for s in evaluation.values if s.points]
    if current and evaluation.op and evaluation.threshold is not None:
        worst = max(current) if evaluation.op in {">", ">="} else min(current)
        value = f": now {fmt_number(round(worst, 4))} {evaluation.op} {fmt_number(evaluation.threshold)}"
    cleared = frame.ctx.window_end - end > CLEARED_FOR + evaluation.step
    if cleared:
        title = f"{name}: its expression held from {hhmm(start)} to {hhmm(end)} and has cleared since"
    else:
        minutes = round((end - start).total_seconds() / 60)
        title = f"{name}: its expression has held since {hhmm(start)} ({minutes} min){value}"
    severity = frame.ctx.hints.severity or Severity.WARNING
    return [
        frame.finding(
            slug,
            severity=Severity.INFO if cleared else severity,
            title=title,
            detail=f"`{expr}` began to breach at {hhmm(start)}; {len(evaluation.series)} series matched.",
            first_seen=start,
            last_seen=end,
            evidence=(
                frame.evidence(expr, f"true from {hhmm(start)} to {hhmm(end)} ({evaluation.source})", start),
            ),
            cause_hint=CauseCategory.NO_ISSUE if cleared else _measures(expr),
            relevance=0.7 if cleared else 0.95,
        )
    ]
