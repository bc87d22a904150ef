"""Karpenter NodePools that cannot give pending pods a node: the pool's `spec.limits` reached (its
`status.resources` at the limit, or Karpenter's own FailedScheduling events saying "all available
instance types exceed limits for nodepool"), a pool or its NodeClass not Ready, and launches that
failed (InsufficientCapacityError, NodeClassNotReady events on NodeClaims Karpenter has already
deleted)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, event_evidence, make_finding, object_evidence, short
from agents.eks.objects import Obj
from agents.eks.quantity import parse_quantity
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

POOL_LABEL = "karpenter.sh/nodepool"
# "all available instance types exceed limits for nodepool: \"default\"" (and without the colon, or
# "(NodePool=default)"), "node limits have been exhausted for nodepool ..."
_LIMITS = re.compile(
    r"(?:exceed limits|limits have been exhausted) for nodepool"
    r"(?::?\s*\"(?P<quoted>[^\"]+)\"|\s*\(NodePool=(?P<paren>[^)\s]+)\))?",
    re.IGNORECASE,
)
# Reasons Karpenter records on a NodeClaim whose launch failed; the claim is deleted and retried, so
# often only the event is left.
LAUNCH_FAILURES = {"InsufficientCapacityError", "NodeClassNotReady", "LaunchFailed", "FailedLaunch"}
_CAPACITY = ("insufficient", "capacity", "unavailable", "no instance type")
_CLAIM_SUFFIX = re.compile(r"^(?P<pool>.+)-[a-z0-9]{5}$")
NEAR_LIMIT = 0.95  # of a limit: too little left for most instance types


def _pending(analysis: Analysis) -> list[Obj]:
    return [
        p
        for p in analysis.state.pods
        if o.status(p).get("phase") == "Pending" and not o.spec(p).get("nodeName")
    ]


def _limit_messages(analysis: Analysis, pods: Iterable[Obj]) -> dict[str | None, list[tuple[Obj, Obj]]]:
    """(pod, event) pairs of Karpenter's limit messages, by the NodePool they name (None: unnamed)."""
    found: dict[str | None, list[tuple[Obj, Obj]]] = {}
    for pod in pods:
        for event in analysis.events.about("Pod", o.namespace(pod), o.name(pod), reason="FailedScheduling"):
            for match in _LIMITS.finditer(str(event.get("message", ""))):
                pool = match.group("quoted") or match.group("paren")
                found.setdefault(pool, []).append((pod, event))
    return found


def _usage(pool: Obj) -> list[tuple[str, float, str, str]]:
    """(resource, used/limit, used, limit) for each limit the pool sets and reports usage of."""
    used = o.status(pool).get("resources") or {}
    rows = []
    for resource, limit in (o.spec(pool).get("limits") or {}).items():
        cap, now = parse_quantity(limit), parse_quantity(used.get(resource))
        if cap is None or now is None or cap <= 0:
            continue
        rows.append((str(resource), now / cap, str(used.get(resource)), str(limit)))
    return sorted(rows, key=lambda r: -r[1])


def analyze_nodepools(analysis: Analysis) -> list[Finding]:
    pending = _pending(analysis)
    pools = {o.name(p): p for p in analysis.state.kind("NodePool")}
    messages = _limit_messages(analysis, pending)
    findings = []
    named = {name for name in messages if name}
    for name in sorted(named | set(pools)):
        pool = pools.get(name)
        usage = _usage(pool) if pool is not None else []
        full = [row for row in usage if row[1] >= NEAR_LIMIT]
        said = messages.get(name, [])
        if not said and full and len(pools) == 1:
            said = messages.get(None, [])  # an unnamed limit message, and only this pool to mean
        if not said and not (full and pending):
            continue
        waiting = [pod for pod, _ in said] or pending
        findings.append(_limit_finding(analysis, name, pool, full or usage[:1], said, waiting))
    for _, pool in sorted(pools.items()):
        finding = _not_ready(analysis, pool, pending)
        if finding is not None:
            findings.append(finding)
    findings += _launch_failures(analysis, pending)
    return findings


def _relevance(analysis: Analysis, pods: list[Obj]) -> float:
    floor = 0.5 if not analysis.scope.has_target else 0.3
    return max([floor, *(analysis.pod_relevance(p) for p in pods)])


def _pods_text(pods: list[Obj]) -> str:
    names = sorted({f"{o.namespace(p)}/{o.name(p)}" for p in pods})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{len(names)} pod(s) Pending ({shown})" if names else "no pod Pending yet"


def _limit_finding(
    analysis: Analysis,
    name: str,
    pool: Obj | None,
    usage: list[tuple[str, float, str, str]],
    said: list[tuple[Obj, Obj]],
    waiting: list[Obj],
) -> Finding:
    relevance = _relevance(analysis, waiting)
    reached = ", ".join(f"{res} {used} of limit {limit}" for res, _, used, limit in usage[:2])
    message = str(said[0][1].get("message", "")) if said else ""
    # Karpenter lists every pool it tried ("incompatible with nodepool ...; all available instance
    # types exceed limits for nodepool ..."): quote the limit's clause.
    message = next((part for part in message.split(";") if _LIMITS.search(part)), message).strip()
    title = f"Karpenter NodePool {name} has reached its limits" + (f" ({reached})" if reached else "")
    title += f": {_pods_text(waiting)} get no new node"
    if message:
        title += f"; Karpenter: '{short(message, 120)}'"
    evidence = [
        object_evidence(
            "NodePool",
            found,
            f"spec.limits {o.spec(found).get('limits')}; status.resources {o.status(found).get('resources')}",
        )
        for found in ([pool] if pool is not None else [])
    ]
    evidence += [event_evidence(e) for _, e in said[:2]]
    return make_finding(
        "nodepool-limit-reached",
        name,
        severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
        title=title,
        resources=[f"NodePool/{name}", *(o.path("Pod", p) for p in waiting[:3])],
        evidence=evidence,
        cause=CauseCategory.UNSCHEDULABLE,
        relevance=relevance,
        first_seen=min((t for _, e in said if (t := o.event_first_time(e))), default=None),
        last_seen=max((t for _, e in said if (t := o.event_time(e))), default=None),
    )


def _not_ready(analysis: Analysis, pool: Obj, pending: list[Obj]) -> Finding | None:
    """A NodePool whose Ready (or NodeClassReady, ValidationSucceeded) condition is False launches
    nothing: a cause when pods wait for a node."""
    conds = o.conditions(pool)
    bad = next(
        (
            conds[t]
            for t in ("NodeClassReady", "ValidationSucceeded", "Ready")
            if conds.get(t, {}).get("status") == "False"
        ),
        None,
    )
    if bad is None or not pending:
        return None
    name = o.name(pool)
    relevance = _relevance(analysis, pending)
    text = f"{bad.get('type')}=False {bad.get('reason', '')}: {bad.get('message', '')}"
    return make_finding(
        "nodepool-not-ready",
        name,
        severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
        title=f"Karpenter NodePool {name} not ready ({bad.get('type')}=False "
        f"{bad.get('reason') or ''}: {short(str(bad.get('message') or ''), 120)}): it launches no node; "
        f"{_pods_text(pending)}",
        resources=[f"NodePool/{name}", *(o.path("Pod", p) for p in pending[:3])],
        evidence=[object_evidence("NodePool", pool, text, o.ts(bad.get("lastTransitionTime")))],
        cause=CauseCategory.NODE_FAILURE,
        relevance=relevance,
        first_seen=o.ts(bad.get("lastTransitionTime")),
    )


def _launch_failures(analysis: Analysis, pending: list[Obj]) -> list[Finding]:
    """NodeClaims whose launch failed, from their events (the claim itself may be gone); a claim
    still present with a Launched=False condition is the NodeClaim analyzer's."""
    claims = {o.name(c): c for c in analysis.state.kind("NodeClaim")}
    groups: dict[str, list[Obj]] = {}
    for event in analysis.state.events:
        kind, _, name = o.involved(event)
        if kind != "NodeClaim" or event.get("type") != "Warning":
            continue
        message = str(event.get("message", ""))
        if event.get("reason") not in LAUNCH_FAILURES and "creating instance" not in message:
            continue
        at = o.event_time(event)
        if at is not None and at < analysis.scope.window_start:
            continue
        claim = claims.get(name)
        if claim is not None and o.conditions(claim).get("Launched", {}).get("status") == "False":
            continue
        pool = o.labels(claim).get(POOL_LABEL) if claim else None
        if pool is None:
            match = _CLAIM_SUFFIX.match(name)
            pool = match.group("pool") if match else "?"
        groups.setdefault(pool, []).append(event)
    findings = []
    relevance = _relevance(analysis, pending)
    for pool, events in sorted(groups.items()):
        events.sort(key=lambda e: o.event_time(e) or analysis.scope.window_start, reverse=True)
        newest = events[0]
        text = f"{newest.get('reason', '')} {newest.get('message', '')}".lower()
        capacity = any(word in text for word in _CAPACITY)
        claims_named = sorted({o.involved(e)[2] for e in events})
        count = sum(o.event_count(e) for e in events)
        findings.append(
            make_finding(
                "nodeclaim-launch-failed",
                pool,
                severity=Severity.CRITICAL if pending and relevance >= Relevance.DIRECT else Severity.WARNING,
                title=f"Karpenter could not launch a node for NodePool {pool} ({count} failure(s), "
                f"NodeClaim {', '.join(claims_named[:2])}): {newest.get('reason')}: "
                f"{short(str(newest.get('message', '')), 140)}; {_pods_text(pending)}",
                resources=[
                    f"NodePool/{pool}",
                    *(f"NodeClaim/{c}" for c in claims_named[:2]),
                    *(o.path("Pod", p) for p in pending[:2]),
                ],
                evidence=[event_evidence(e) for e in events[:3]],
                cause=CauseCategory.UNSCHEDULABLE if capacity else CauseCategory.NODE_FAILURE,
                relevance=relevance if pending else relevance * 0.7,
                first_seen=min((t for e in events if (t := o.event_first_time(e))), default=None),
                last_seen=o.event_time(newest),
            )
        )
    return findings
