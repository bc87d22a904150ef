"""Karpenter NodeClaims that do not become nodes: a launch that failed (no capacity for the
instance types allowed, a NodeClass that does not resolve) or a node that never registered or
initialized. Pods waiting for that capacity stay Pending; the claim says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, make_finding, object_evidence, short
from shared.contracts import CauseCategory, Finding, Severity

STAGES = ("Launched", "Registered", "Initialized")
STUCK = timedelta(minutes=10)  # Karpenter gives up on an unregistered node after 15 min
_CAPACITY = ("insufficient", "capacity", "no instance type", "incompatible", "unavailable")


def _stalled(claim: dict[str, Any], analysis: Analysis) -> tuple[str, dict[str, Any]] | None:
    conditions = o.conditions(claim)
    created = o.created(claim)
    for stage in STAGES:
        cond = conditions.get(stage, {})
        if cond.get("status") == "True":
            continue
        old = created is not None and analysis.scope.window_end - created >= STUCK
        if cond.get("status") == "False" or (cond and old):
            return stage, cond
        return None  # still in progress
    return None


def analyze_nodeclaims(analysis: Analysis) -> list[Finding]:
    pending = [
        p
        for p in analysis.state.pods
        if o.status(p).get("phase") == "Pending" and not o.spec(p).get("nodeName")
    ]
    waiting = max([0.0, *(analysis.pod_relevance(p) for p in pending)])
    findings = []
    for claim in analysis.state.kind("NodeClaim"):
        stalled = _stalled(claim, analysis)
        if stalled is None:
            continue
        stage, cond = stalled
        name = o.name(claim)
        message = str(cond.get("message") or cond.get("reason") or "")
        lowered = f"{cond.get('reason', '')} {message}".lower()
        capacity = stage == "Launched" and any(word in lowered for word in _CAPACITY)
        pool = o.labels(claim).get("karpenter.sh/nodepool", "?")
        types = next(
            (
                ",".join((r.get("values") or [])[:4])
                for r in o.spec(claim).get("requirements") or []
                if r.get("key") == "node.kubernetes.io/instance-type"
            ),
            "",
        )
        relevance = max(0.5 if not analysis.scope.has_target else 0.3, min(0.9, waiting))
        findings.append(
            make_finding(
                "nodeclaim-" + stage.lower(),
                name,
                severity=Severity.CRITICAL if waiting >= 0.9 else Severity.WARNING,
                title=f"Karpenter NodeClaim {name} (NodePool {pool}) not {stage}: "
                f"{cond.get('reason') or cond.get('status', 'Unknown')}: {short(message, 140)}"
                + (f"; created {ago(analysis.scope, o.created(claim))}" if o.created(claim) else "")
                + (f"; {len(pending)} pod(s) Pending for capacity" if pending else ""),
                resources=[o.path("NodeClaim", claim)],
                evidence=[
                    object_evidence(
                        "NodeClaim",
                        claim,
                        f"{stage}={cond.get('status', 'Unknown')} {cond.get('reason', '')}: {message}"
                        + (f"; instance types {types}" if types else ""),
                        o.ts(cond.get("lastTransitionTime")),
                    )
                ],
                cause=CauseCategory.UNSCHEDULABLE if capacity else CauseCategory.NODE_FAILURE,
                relevance=relevance,
                first_seen=o.created(claim),
            )
        )
    return findings
