"""HorizontalPodAutoscalers (autoscaling/v2): at their maximum, ScalingLimited, missing metrics,
unable to scale, or targeting a workload that no longer exists."""

from __future__ import annotations

from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence, short
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance


def _metrics_text(hpa: dict[str, Any]) -> str:
    """`cpu 182% (target 70%)` for each resource metric the status reports."""
    targets = {}
    for metric in o.spec(hpa).get("metrics") or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        if resource.get("name") and target.get("averageUtilization") is not None:
            targets[resource["name"]] = target["averageUtilization"]
    parts = []
    for metric in o.status(hpa).get("currentMetrics") or []:
        resource = metric.get("resource") or {}
        current = (resource.get("current") or {}).get("averageUtilization")
        if resource.get("name") and current is not None:
            target = targets.get(resource["name"])
            parts.append(
                f"{resource['name']} {current}%" + (f" (target {target}%)" if target is not None else "")
            )
    return ", ".join(parts)


def _replicas_not_running(analysis: Analysis, hpa: dict[str, Any], current: int) -> str:
    """`; only 4 of them ready, the rest not created (FailedCreate)` when the HPA's target runs
    far fewer ready replicas than the HPA set, else ''."""
    ref = o.spec(hpa).get("scaleTargetRef") or {}
    kind, ns = str(ref.get("kind", "")), o.namespace(hpa)
    target = next(
        (w for w in analysis.state.kind(kind) if o.namespace(w) == ns and o.name(w) == ref.get("name")), None
    )
    if target is None or current <= 0:
        return ""
    ready = int(o.status(target).get("readyReplicas") or 0)
    if ready * 4 > current * 3:  # most of them run: the ceiling is what limits it
        return ""
    failure = next(
        (
            str(c.get("reason"))
            for c in o.status(target).get("conditions") or []
            if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
        ),
        None,
    )
    return f"; only {ready} of them ready" + (f", the rest not created ({failure})" if failure else "")


def _meant_for(hpa: dict[str, Any], target: str, workload: dict[str, Any]) -> bool:
    """Whether an HPA whose target is gone looks meant for `workload`: they share a distinctive
    name word (`api-gateway` / `edge-gateway`), or the workload appeared after the HPA last scaled
    (the target renamed)."""
    words = {w for w in target.lower().split("-") if len(w) >= 4}
    if words & {w for w in o.name(workload).lower().split("-") if len(w) >= 4}:
        return True
    created, scaled = o.created(workload), o.ts(o.status(hpa).get("lastScaleTime"))
    return created is not None and scaled is not None and created > scaled


def unscaled_alert_workload(
    analysis: Analysis, hpa: dict[str, Any], kind: str, ns: str | None, target: str
) -> dict[str, Any] | None:
    """The alert's own `kind` in `ns` when no HPA targets it and this HPA, whose target is gone,
    looks meant for it (None otherwise)."""
    scaled = {
        (o.namespace(h), (o.spec(h).get("scaleTargetRef") or {}).get("name"))
        for h in analysis.state.kind("HorizontalPodAutoscaler")
    }
    for workload in analysis.state.kind(kind):
        if o.namespace(workload) != ns or (ns, o.name(workload)) in scaled:
            continue
        if not _meant_for(hpa, target, workload):
            continue
        if analysis.workload_relevance(kind, ns, o.name(workload)) >= Relevance.DIRECT:
            return workload
    return None


def analyze_hpas(analysis: Analysis) -> list[Finding]:
    findings = []
    for hpa in analysis.state.kind("HorizontalPodAutoscaler"):
        ns, name = o.namespace(hpa), o.name(hpa)
        target = (o.spec(hpa).get("scaleTargetRef") or {}).get("name", name)
        relevance = max(analysis.relevance(ns, name), analysis.relevance(ns, target))
        st, conds = o.status(hpa), o.conditions(hpa)
        maximum = int(o.spec(hpa).get("maxReplicas") or 0)
        current = int(st.get("currentReplicas") or 0)
        desired = int(st.get("desiredReplicas") or current)
        limited = conds.get("ScalingLimited", {})
        active = conds.get("ScalingActive", {})
        able = conds.get("AbleToScale", {})
        metrics = _metrics_text(hpa)
        ref = f"{ns}/{name}"
        evidence_text = "; ".join(
            f"{t}={c.get('status')} {c.get('reason', '')}: {c.get('message', '')}" for t, c in conds.items()
        )
        # Reaching the ceiling inside the window says load grew: a traffic change.
        scaled = o.ts(st.get("lastScaleTime")) or o.ts(limited.get("lastTransitionTime"))
        at_max = maximum > 0 and current >= maximum and desired >= maximum
        if at_max or (limited.get("status") == "True" and limited.get("reason") == "TooManyReplicas"):
            reason = f"; ScalingLimited: {limited.get('reason')}" if limited.get("status") == "True" else ""
            unmet = _replicas_not_running(analysis, hpa, current)
            findings.append(
                make_finding(
                    "hpa-at-max",
                    ref,
                    severity=Severity.CRITICAL
                    if limited.get("status") == "True" and not unmet
                    else Severity.WARNING,
                    title=f"HPA {ref} at its maximum: {current}/{maximum} replicas for {target}"
                    f"{' (' + metrics + ')' if metrics else ''}{reason}" + unmet,
                    resources=[o.path("HorizontalPodAutoscaler", hpa), f"{ns}/Deployment/{target}"],
                    evidence=[
                        object_evidence(
                            "HorizontalPodAutoscaler",
                            hpa,
                            f"current={current}, desired={desired}, "
                            f"max={maximum}; {metrics}; {evidence_text}",
                            o.ts(limited.get("lastTransitionTime")),
                        )
                    ],
                    cause=CauseCategory.SCALING_LIMIT,
                    change=Trigger.TRAFFIC if scaled and scaled >= analysis.scope.window_start else None,
                    # Replicas it asked for that never ran: what stops them, not the ceiling, limits it.
                    relevance=relevance * 0.6 if unmet else relevance,
                    first_seen=o.ts(limited.get("lastTransitionTime")),
                )
            )
        target_ref = o.spec(hpa).get("scaleTargetRef") or {}
        target_kind = str(target_ref.get("kind", ""))
        # The controller says so (AbleToScale=False FailedGetScale: `deployments/scale.apps "x" not
        # found`), or it never counted a replica; AbleToScale=True means it did read the target.
        failed_get = able.get("status") == "False" and able.get("reason") == "FailedGetScale"
        missing = (
            target_kind in {"Deployment", "StatefulSet", "ReplicaSet"}
            and (failed_get or (not able.get("status") and current == 0))
            and analysis.state.known_absent(target_kind, ns, target)
        )
        if missing:
            others = sorted(
                (o.name(w) for w in analysis.state.kind(target_kind) if o.namespace(w) == ns),
                key=lambda n: (not n.startswith(target[:4]), n),
            )
            orphaned = unscaled_alert_workload(analysis, hpa, target_kind, ns, target)
            if orphaned is not None:
                # The alert's own workload beside it has no HPA: this one, pointing at a name that is
                # gone (a rename, a chart moved), is why it does not scale.
                relevance = max(relevance, Relevance.DIRECT)
            findings.append(
                make_finding(
                    "hpa-target-missing",
                    ref,
                    severity=Severity.CRITICAL if relevance >= 0.9 else Severity.WARNING,
                    title=f"HPA {ref} targets {target_kind} {ns}/{target}, which does not exist: "
                    "it scales nothing"
                    + (f" ({target_kind}s in {ns}: {', '.join(others[:3])})" if others else "")
                    + (
                        f"; {able.get('reason')}: {short(str(able.get('message', '')), 110)}"
                        if failed_get
                        else ""
                    )
                    + (
                        f"; no HPA scales the alert's {target_kind} {ns}/{o.name(orphaned)}, which stays at "
                        f"{o.spec(orphaned).get('replicas', '?')} replicas"
                        if orphaned is not None
                        else ""
                    ),
                    resources=[
                        o.path("HorizontalPodAutoscaler", hpa),
                        *([o.path(target_kind, orphaned)] if orphaned is not None else []),
                    ],
                    evidence=[
                        object_evidence(
                            "HorizontalPodAutoscaler", hpa, f"scaleTargetRef: {target_kind}/{target}"
                        )
                    ],
                    cause=CauseCategory.SCALING_LIMIT,
                    relevance=relevance if failed_get else relevance * 0.8,
                    # Since when it has scaled nothing: the controller's condition, else its events.
                    first_seen=o.ts(able.get("lastTransitionTime")) if failed_get else None,
                )
            )
        if active.get("status") != "False":
            findings += _missing_requests(analysis, hpa, target_kind, target, relevance)
        for cond, slug in ((active, "hpa-no-metrics"), (able, "hpa-cannot-scale")):
            if missing:
                break  # the missing target says it all
            if cond.get("status") == "False" and not (
                slug == "hpa-no-metrics" and cond.get("reason") == "ScalingDisabled"
            ):
                findings.append(
                    make_finding(
                        slug,
                        ref,
                        severity=Severity.WARNING,
                        title=f"HPA {ref} cannot scale {target}: {cond.get('reason')}: "
                        f"{short(cond.get('message', ''), 150)}",
                        resources=[o.path("HorizontalPodAutoscaler", hpa)],
                        evidence=[
                            object_evidence(
                                "HorizontalPodAutoscaler",
                                hpa,
                                evidence_text,
                                o.ts(cond.get("lastTransitionTime")),
                            )
                        ],
                        cause=CauseCategory.SCALING_LIMIT,
                        relevance=relevance * 0.8,
                        first_seen=o.ts(cond.get("lastTransitionTime")),
                    )
                )
    return findings


def _missing_requests(
    analysis: Analysis, hpa: dict[str, Any], kind: str, target: str, relevance: float
) -> list[Finding]:
    """Utilization metrics on resources the target's containers request nothing of: the HPA
    cannot compute a percentage of a request that does not exist."""
    ns = o.namespace(hpa)
    workload = next(
        (w for w in analysis.state.kind(kind) if o.namespace(w) == ns and o.name(w) == target), None
    )
    if workload is None:
        return []
    wanted = [
        str((m.get("resource") or {}).get("name"))
        for m in o.spec(hpa).get("metrics") or []
        if m.get("type") == "Resource"
        and ((m.get("resource") or {}).get("target") or {}).get("type", "Utilization") == "Utilization"
    ]
    lacking = [
        (resource, str(c.get("name", "")))
        for resource in wanted
        for c in o.pod_spec(workload).get("containers") or []
        if resource not in ((c.get("resources") or {}).get("requests") or {})
    ]
    if not lacking:
        return []
    resource, container = lacking[0]
    return [
        make_finding(
            "hpa-missing-requests",
            f"{ns}/{o.name(hpa)}",
            severity=Severity.WARNING,
            title=f"HPA {ns}/{o.name(hpa)} scales {kind} {target} on {resource} utilization, but container "
            f"{container} requests no {resource}: the HPA cannot compute its utilization",
            resources=[o.path("HorizontalPodAutoscaler", hpa), o.path(kind, workload)],
            evidence=[
                object_evidence(kind, workload, f"container {container}: no resources.requests.{resource}")
            ],
            cause=CauseCategory.SCALING_LIMIT,
            relevance=relevance * 0.8,
        )
    ]
