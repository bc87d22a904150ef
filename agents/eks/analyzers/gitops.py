"""What a GitOps controller applied just before: an Argo CD Application's sync operation (its
revision, when it started, how it ended) and a Flux Kustomization's or HelmRelease's last attempted
revision. Each is a change to what the cluster runs, made by the controller on someone's commit:
it is reported as a config change at the time the controller started applying it, with the revision
and, when the apply failed, the controller's own words. Whether the change is on the alert's path is
the master's to say; the relevance here is the object's own (its namespace, its destination)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence
from agents.eks.analyzers.conditions import Links
from shared.contracts import Finding, Severity, Trigger
from shared.render.escape import middle_cut

LOOKBACK = timedelta(hours=6)  # a sync older than this is not "just before"


def analyze_gitops(analysis: Analysis) -> list[Finding]:
    links = Links.of(analysis)
    findings = []
    for objs in analysis.state.objects.values():
        for obj in objs:
            applied = _argo(obj) or _flux(obj)
            if applied is None:
                continue
            at, revision, outcome = applied
            if at < analysis.scope.anchor - LOOKBACK:
                continue
            kind = str(obj.get("kind") or "")
            ns, name = o.namespace(obj), o.name(obj)
            where = f"{ns}/{name}" if ns else name
            title = f"{kind} {where} applied revision {revision or '(unknown)'}"
            if outcome:
                # A controller's apply error says why last ("… is invalid: … must be less than …").
                title += f": {middle_cut(outcome, 240)}"
            findings.append(
                make_finding(
                    "gitops-sync",
                    f"{kind}/{ns or ''}/{name}",
                    severity=Severity.INFO,
                    title=title,
                    detail=f"{kind} {where} started applying revision {revision or '(unknown)'}.",
                    resources=[o.path(kind, obj)],
                    evidence=[object_evidence(kind, obj, title, at)],
                    change=Trigger.CONFIG_CHANGE,
                    relevance=links.relevance(kind, obj) * analysis.scope.proximity(at),
                    first_seen=at,
                    last_seen=at,
                )
            )
    return findings


def _argo(obj: dict[str, Any]) -> tuple[datetime, str, str] | None:
    """Argo CD: `status.operationState` (startedAt, the synced revision, its phase and message)."""
    op = o.status(obj).get("operationState") or {}
    at = o.ts(op.get("startedAt"))
    if at is None:
        return None
    sync = (op.get("syncResult") or {}).get("revision") or (
        (op.get("operation") or {}).get("sync") or {}
    ).get("revision")
    phase = str(op.get("phase") or "")
    outcome = (
        f"{phase} ({op.get('message')})" if phase in ("Failed", "Error") and op.get("message") else phase
    )
    return at, str(sync or ""), outcome


def _flux(obj: dict[str, Any]) -> tuple[datetime, str, str] | None:
    """Flux: `status.lastAttemptedRevision`, at its Ready condition's last transition."""
    status = o.status(obj)
    revision = status.get("lastAttemptedRevision")
    if not revision:
        return None
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    at = o.ts((ready or {}).get("lastTransitionTime"))
    if at is None:
        return None
    failed = ready is not None and ready.get("status") == "False"
    outcome = f"{ready.get('reason')} ({ready.get('message')})" if failed and ready else ""
    return at, str(revision), outcome
