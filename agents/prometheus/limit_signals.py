"""Limits beside their usage: a server's own limit (Postgres' and MySQL's `max_connections`, Redis'
`maxclients` and `maxmemory`), a namespace's ResourceQuota, a Karpenter NodePool's limits, read
with the usage they bound. A usage near its limit is said with both numbers and the limit's name
(`fulfillment-pg connections at 397 of max_connections 400`), and the clients that only began in
the window are named by their labels (`application_name=report-worker`): a new client, not a
traffic surge. Data stores often live outside the alert's namespace, so the look-up is by metric
name only, bounded by the series limit. Pure: `Readings` in, `Finding`s out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from agents.prometheus.changepoint import first_crossing
from agents.prometheus.client import Series
from agents.prometheus.common import Frame, fmt_bytes, fmt_number, fmt_pct, hhmm
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

PREFIX = "limit:"
NEAR = 0.85  # from this share of its limit, a usage is worth saying
AT = 0.95  # from here the limit is reached: new clients are refused
MAX_FINDINGS = 4
NEW_SHARE = 0.1  # a client that began in the window counts when it holds this share of the usage
_KEYS = ("server", "instance", "dbinstance_identifier", "cluster", "namespace", "resourcequota", "resource")
_CLIENTS = ("application_name", "usename", "user", "client_addr", "client", "job", "pod", "datname")


@dataclass(frozen=True)
class Pair:
    """A usage series and the limit that bounds it, as one exporter names them."""

    engine: str  # for titles: "Postgres", "Redis", "ResourceQuota"
    usage: str
    limit: str
    limit_name: str  # the setting people know it by: max_connections, maxmemory
    what: str  # what the usage counts: connections, clients, memory
    cause: CauseCategory
    usage_match: str = ""  # extra matchers (kube_resourcequota's type="used")
    limit_match: str = ""
    in_bytes: bool = False


PAIRS = (
    Pair(
        "Postgres",
        "pg_stat_activity_count",
        "pg_settings_max_connections",
        "max_connections",
        "connections",
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    ),
    Pair(
        "Postgres",
        "pg_stat_database_numbackends",
        "pg_settings_max_connections",
        "max_connections",
        "connections",
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    ),
    Pair(
        "MySQL",
        "mysql_global_status_threads_connected",
        "mysql_global_variables_max_connections",
        "max_connections",
        "connections",
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    ),
    Pair(
        "Redis",
        "redis_connected_clients",
        "redis_config_maxclients",
        "maxclients",
        "clients",
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    ),
    Pair(
        "Redis",
        "redis_memory_used_bytes",
        "redis_memory_max_bytes",
        "maxmemory",
        "memory",
        CauseCategory.DEPENDENCY_FAILURE,
        in_bytes=True,
    ),
    Pair(
        "Redis",
        "redis_memory_used_bytes",
        "redis_config_maxmemory",
        "maxmemory",
        "memory",
        CauseCategory.DEPENDENCY_FAILURE,
        in_bytes=True,
    ),
    Pair(
        "ResourceQuota",
        "kube_resourcequota",
        "kube_resourcequota",
        "hard",
        "used",
        CauseCategory.UNSCHEDULABLE,
        usage_match='type="used"',
        limit_match='type="hard"',
    ),
    Pair(
        "Karpenter NodePool",
        "karpenter_nodepools_usage",
        "karpenter_nodepools_limit",
        "limit",
        "usage",
        CauseCategory.UNSCHEDULABLE,
    ),
)
# Usage a CloudWatch exporter publishes as a share of the limit itself (ElastiCache's memory as a
# percentage of maxmemory): (metric, engine, what, the limit's name, cause).
PERCENTS = (
    (
        "aws_elasticache_database_memory_usage_percentage_average",
        "ElastiCache",
        "memory",
        "maxmemory",
        CauseCategory.DEPENDENCY_FAILURE,
    ),
    (
        "aws_elasticache_database_memory_usage_percentage_maximum",
        "ElastiCache",
        "memory",
        "maxmemory",
        CauseCategory.DEPENDENCY_FAILURE,
    ),
)
PERCENT_PREFIX = "limit-pct:"
METRICS = "|".join(
    sorted({re.escape(n) for p in PAIRS for n in (p.usage, p.limit)} | {re.escape(p[0]) for p in PERCENTS})
)
# An ElastiCache node id is its replication group's name and the shard and node numbers.
_CACHE_NODE = re.compile(r"^(?P<group>.+?)-\d{4}-\d{3}$")


def limit_lookup() -> tuple[str, str, list[str]]:
    """Every limit and usage series above, wherever it lives (bounded by the look-up's limit)."""
    return ("limits", METRICS, ['__name__=~".+"'])


def _by(labels: set[str], wanted: tuple[str, ...]) -> list[str]:
    return [k for k in wanted if k in labels]


def plan_limits(plan: dict[str, str], found: dict[str, list[dict[str, str]]]) -> None:
    """Per pair whose two metrics were found: its usage and its limit by the labels that say which
    server (or quota) they are, and the usage by client when clients are labelled."""
    for i, pair in enumerate(PAIRS):
        if pair.usage not in found or pair.limit not in found:
            continue
        labels = {k for ls in found[pair.usage] for k in ls}
        limit_labels = {k for ls in found[pair.limit] for k in ls}
        keys = _by(labels & limit_labels, _KEYS) or _by(labels, _KEYS)
        by = ", ".join(keys)
        usage = f"{pair.usage}{{{pair.usage_match}}}" if pair.usage_match else pair.usage
        limit = f"{pair.limit}{{{pair.limit_match}}}" if pair.limit_match else pair.limit
        plan[f"{PREFIX}{i}:usage"] = f"sum by ({by}) ({usage})" if by else f"sum({usage})"
        plan[f"{PREFIX}{i}:limit"] = f"max by ({by}) ({limit})" if by else f"max({limit})"
        clients = _by(labels, _CLIENTS)
        if clients and pair.what in {"connections", "clients"}:
            plan[f"{PREFIX}{i}:by"] = f"sum by ({', '.join([*keys, *clients])}) ({usage})"


def plan_percents(plan: dict[str, str], found: dict[str, list[dict[str, str]]]) -> None:
    for i, (metric, *_rest) in enumerate(PERCENTS):
        if metric in found:
            plan[f"{PERCENT_PREFIX}{i}"] = f"max without (job, instance) ({metric})"


def _key(series: Series) -> tuple[tuple[str, str], ...]:
    return tuple((k, series.labels[k]) for k in _KEYS if k in series.labels)


def _limit_for(usage: Series, limits: list[Series]) -> float | None:
    key = dict(_key(usage))
    same = [s for s in limits if s.values and all(key.get(k) == v for k, v in _key(s))]
    chosen = same or (limits if len(limits) == 1 else [])
    values = [s.values[-1] for s in chosen if s.values and s.values[-1] > 0]
    return min(values) if values else None


def _name(series: Series) -> str:
    labels = series.labels
    if labels.get("resourcequota"):
        return f"{labels.get('namespace', '')}/{labels['resourcequota']} {labels.get('resource', '')}".strip()
    if labels.get("nodepool"):
        return f"{labels['nodepool']} {labels.get('resource_type', '')}".strip()
    for k in ("server", "dbinstance_identifier", "cluster", "instance"):
        if labels.get(k):
            return labels[k]
    return "-"


def _new_clients(by: list[Series], usage: Series, frame: Frame) -> list[tuple[str, float, datetime]]:
    """Clients (label sets) with no usage at the window's start that hold a share of it now."""
    key = dict(_key(usage))
    total = usage.values[-1] if usage.values else 0.0
    out = []
    for s in by:
        if not s.points or any(key.get(k) != v for k, v in _key(s)):
            continue
        began_late = s.points[0][0] > frame.ctx.window_start + frame.window / 10
        began = began_late or s.points[0][1] <= 0
        now = s.points[-1][1]
        if not began or total <= 0 or now < NEW_SHARE * total:
            continue
        onset = s.points[0][0] if began_late else next((t for t, v in s.points if v > 0), s.points[0][0])
        labels = ", ".join(f"{k}={s.labels[k]}" for k in _CLIENTS if s.labels.get(k))
        if labels:
            out.append((labels, now, onset))
    return sorted(out, key=lambda c: -c[1])[:3]


def percents(readings: Readings, frame: Frame) -> list[Finding]:
    """Stores whose usage, published as a share of their limit, came near it."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for i, (_metric, engine, what, limit_name, cause) in enumerate(PERCENTS):
        key = f"{PERCENT_PREFIX}{i}"
        for series in readings.get(key):
            if not series.points:
                continue
            top_at, top = max(series.points, key=lambda p: (p[1], p[0]))
            node = next((v for k, v in sorted(series.labels.items()) if "cluster" in k.lower()), "-")
            group = m.group("group") if (m := _CACHE_NODE.match(node)) else node
            if top < NEAR * 100 or group in seen:
                continue
            seen.add(group)
            since = first_crossing(series.points, NEAR * 100) or top_at
            at_limit = top >= AT * 100
            related = _related(frame, group)
            pct, first = fmt_number(round(top, 1)), fmt_number(round(series.points[0][1], 1))
            findings.append(
                frame.finding(
                    f"limit:{limit_name}:{group}",
                    severity=Severity.CRITICAL if at_limit else Severity.WARNING,
                    title=(
                        f"{engine} {group} {what} at {pct}% of its {limit_name} since {hhmm(since)} "
                        f"(node {node}, up from {first}% at {hhmm(series.points[0][0])})"
                    )[:300],
                    detail=(
                        f"{engine} {group}: {what} reached {pct}% of {limit_name}; at the limit the store "
                        "evicts keys or, with noeviction, refuses writes."
                    ),
                    resources=tuple(dict.fromkeys((group, node))),
                    first_seen=since,
                    last_seen=series.points[-1][0],
                    evidence=(
                        frame.evidence(
                            readings.expr(key), f"{fmt_number(round(top, 1))}% at {hhmm(top_at)}", since
                        ),
                    ),
                    cause_hint=cause if at_limit else None,
                    relevance=(Relevance.LINKED if at_limit else Relevance.NEAR)
                    if related
                    else Relevance.SUPPORTING,
                )
            )
    return findings


def limits(readings: Readings, frame: Frame) -> list[Finding]:
    rows = []
    for i, pair in enumerate(PAIRS):
        used, bounds = readings.get(f"{PREFIX}{i}:usage"), readings.get(f"{PREFIX}{i}:limit")
        for series in used:
            limit = _limit_for(series, bounds)
            if limit is None or not series.points:
                continue
            top_at, top = max(series.points, key=lambda p: (p[1], p[0]))
            if top / limit >= NEAR:
                rows.append((top / limit, i, pair, series, limit, top_at, top))
    rows.sort(key=lambda r: (-r[0], _name(r[3])))
    seen: set[tuple[str, str]] = set()
    findings: list[Finding] = []
    for ratio, i, pair, series, limit, top_at, top in rows:
        name = _name(series)
        if (name, pair.limit_name) in seen or len(findings) >= MAX_FINDINGS:
            continue
        seen.add((name, pair.limit_name))
        findings.append(_finding(readings, frame, i, pair, series, limit, ratio, top_at, top))
    return findings


def _related(frame: Frame, name: str) -> bool:
    """Whether a server or quota shares a distinctive word with the alert's workload or namespace."""
    # singular and plural alike: `sessions-prod` is the store of `session-gateway`
    words = lambda text: {w.removesuffix("s") for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) >= 4}  # noqa: E731
    own = words(" ".join(n for n in (frame.subject.name, frame.subject.namespace) if n))
    return bool(own & words(name))


def _finding(
    readings: Readings,
    frame: Frame,
    i: int,
    pair: Pair,
    series: Series,
    limit: float,
    ratio: float,
    top_at: datetime,
    top: float,
) -> Finding:
    fmt = fmt_bytes if pair.in_bytes else (lambda v: fmt_number(round(v)))
    name = _name(series)
    first = series.points[0][1]
    since = first_crossing(series.points, NEAR * limit) or top_at
    at_limit = ratio >= AT
    climbed = first < 0.8 * top
    growth = f", up from {fmt(first)} at {hhmm(series.points[0][0])}" if climbed else ""
    clients = _new_clients(readings.get(f"{PREFIX}{i}:by"), series, frame)
    new = "; ".join(f"{labels} ({fmt(now)} since {hhmm(onset)})" for labels, now, onset in clients)
    title = (
        f"{pair.engine} {name} {pair.what} at {fmt(top)} of {pair.limit_name} {fmt(limit)} "
        f"({fmt_pct(ratio)}) since {hhmm(since)}{growth}"
        + (f"; new client(s) in the window: {new}" if new else "")
    )
    quota = pair.engine == "ResourceQuota"
    related = (quota and series.labels.get("namespace") == frame.subject.namespace) or _related(frame, name)
    evidence = [
        frame.evidence(
            readings.expr(f"{PREFIX}{i}:usage"), f"{pair.what} {fmt(top)} at {hhmm(top_at)}", since
        ),
        frame.evidence(readings.expr(f"{PREFIX}{i}:limit"), f"{pair.limit_name} {fmt(limit)}", since),
    ]
    if clients:
        evidence.append(frame.evidence(readings.expr(f"{PREFIX}{i}:by"), f"new: {new}", clients[0][2]))
    return frame.finding(
        f"limit:{pair.limit_name}:{name}",
        severity=Severity.CRITICAL if at_limit else Severity.WARNING,
        title=title[:300],
        detail=(
            f"{pair.engine} {name}: {pair.what} reached {fmt_pct(ratio)} of its {pair.limit_name} "
            f"({fmt(top)} of {fmt(limit)}); past the limit, new {pair.what} are refused."
            + (f" Clients that only began in the window: {new}." if new else "")
        ),
        resources=(name, *frame.workload_resources) if related else (name,),
        first_seen=since,
        last_seen=series.points[-1][0],
        evidence=tuple(evidence),
        cause_hint=pair.cause if at_limit else None,
        relevance=(Relevance.LINKED if at_limit else Relevance.NEAR) if related else Relevance.SUPPORTING,
    )
