"""PersistentVolumes (Released or Failed; pinned by node affinity to where no node runs; a
VolumeAttachment whose attach or detach fails) and StorageClasses (a claim names one that does not
exist, or names none while none is the default)."""

from __future__ import annotations

from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import (
    Analysis,
    error_tail,
    event_evidence,
    make_finding,
    object_evidence,
    short,
)
from agents.eks.analyzers.storage import PENDING_GRACE
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _claim_users(analysis: Analysis) -> dict[tuple[str | None, str], list[Obj]]:
    users: dict[tuple[str | None, str], list[Obj]] = {}
    for pod in analysis.state.pods:
        for volume in o.spec(pod).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                users.setdefault((o.namespace(pod), claim), []).append(pod)
    return users


def _claim_relevance(analysis: Analysis, ns: str | None, claim: str, users: list[Obj]) -> float:
    return max([analysis.relevance(ns, claim), *(analysis.pod_relevance(p) for p in users)])


def _term_matches(term: dict[str, Any], labels: dict[str, str]) -> bool:
    for expr in term.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        value = labels.get(key)
        if (
            (op == "In" and value not in values)
            or (op == "NotIn" and value in values)
            or (op == "Exists" and value is None)
            or (op == "DoesNotExist" and value is not None)
        ):
            return False
    return True


def _affinity_text(terms: list[dict[str, Any]]) -> str:
    return " or ".join(
        ", ".join(
            f"{e.get('key')} {e.get('operator')} {','.join(e.get('values') or [])}"
            for e in t.get("matchExpressions") or []
        )
        for t in terms
    )


def analyze_volumes(analysis: Analysis) -> list[Finding]:
    return _persistent_volumes(analysis) + _storage_classes(analysis) + _attachments(analysis)


def _attachments(analysis: Analysis) -> list[Finding]:
    """VolumeAttachments the CSI driver reports an attach or detach error on."""
    users = _claim_users(analysis)
    volumes = {o.name(pv): pv for pv in analysis.state.kind("PersistentVolume")}
    findings = []
    for attachment in analysis.state.kind("VolumeAttachment"):
        st = o.status(attachment)
        failure = next(
            (
                (what, st[key])
                for key, what in (("attachError", "attach"), ("detachError", "detach"))
                if st.get(key)
            ),
            None,
        )
        if failure is None:
            continue
        what, error = failure
        spec = o.spec(attachment)
        pv_name = str((spec.get("source") or {}).get("persistentVolumeName") or "")
        node = str(spec.get("nodeName") or "")
        claim = (o.spec(volumes[pv_name]).get("claimRef") or {}) if pv_name in volumes else {}
        pods = users.get((claim.get("namespace"), str(claim.get("name", ""))), [])
        relevance = max(
            [0.5 if not analysis.scope.has_target else 0.3, *(analysis.pod_relevance(p) for p in pods)]
        )
        at = o.ts(error.get("time"))
        handle = ((o.spec(volumes[pv_name]).get("csi") or {}) if pv_name in volumes else {}).get(
            "volumeHandle"
        )
        parts = [f"volume {handle}"] if handle else []
        parts += [f"claim {claim.get('namespace')}/{claim.get('name')}"] if claim else []
        claim_text = f" ({', '.join(parts)})" if parts else ""
        findings.append(
            make_finding(
                f"volume-{what}-failed",
                o.name(attachment),
                severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                title=f"Volume {pv_name or '?'}{claim_text} cannot {what} "
                f"{'to' if what == 'attach' else 'from'} node {node} ({spec.get('attacher', '?')}): "
                # The driver's message repeats its rpc preamble; the cloud's answer is at its end.
                f"{error_tail(str(error.get('message', '')), 140)}"
                + (f"; pod {o.name(pods[0])} waits for it" if pods else ""),
                resources=[o.path("VolumeAttachment", attachment), *(o.path("Pod", p) for p in pods[:2])],
                evidence=[
                    object_evidence(
                        "VolumeAttachment", attachment, f"{what}Error: {error.get('message', '')}", at
                    )
                ],
                cause=CauseCategory.STORAGE_FAILURE,
                relevance=relevance,
                last_seen=at,
            )
        )
    return findings


def _persistent_volumes(analysis: Analysis) -> list[Finding]:
    state = analysis.state
    users = _claim_users(analysis)
    nodes = [
        n for n in state.kind("Node") if o.condition_true(n, "Ready") and not o.spec(n).get("unschedulable")
    ]
    findings = []
    for pv in state.kind("PersistentVolume"):
        name = o.name(pv)
        spec, phase = o.spec(pv), o.status(pv).get("phase")
        claim = spec.get("claimRef") or {}
        claim_ns, claim_name = claim.get("namespace"), str(claim.get("name", ""))
        claim_pods = users.get((claim_ns, claim_name), [])
        relevance = _claim_relevance(analysis, claim_ns, claim_name, claim_pods) if claim_name else 0.3
        # An alert about the volume itself (kube-state-metrics' `persistentvolume` label).
        named = analysis.relevance(None, name) if analysis.scope.has_target else 0.0
        relevance = max(relevance, named)
        bound_to = f" (claim {claim_ns}/{claim_name})" if claim_name else ""
        if phase in {"Released", "Failed"}:
            # A cluster-scoped object's events are recorded in `default` (or with no namespace).
            warnings = [
                *analysis.events.about("PersistentVolume", None, name, warning_only=True),
                *analysis.events.about("PersistentVolume", "default", name, warning_only=True),
            ]
            message = (
                o.status(pv).get("message")
                or (warnings[0].get("message") if warnings else "")
                or o.status(pv).get("reason")
                or ""
            )
            why = (
                f"its claim was deleted and reclaimPolicy {spec.get('persistentVolumeReclaimPolicy')} "
                "keeps it: no new claim can bind it until claimRef is cleared"
                if phase == "Released"
                else f"reclamation failed: {short(str(message), 120)}"
            )
            findings.append(
                make_finding(
                    f"pv-{phase.lower()}",
                    name,
                    severity=Severity.CRITICAL
                    if phase == "Failed" and relevance >= Relevance.DIRECT
                    else Severity.WARNING,
                    title=f"PersistentVolume {name} {phase}{bound_to}: {why}",
                    resources=[o.path("PersistentVolume", pv)],
                    evidence=[
                        object_evidence(
                            "PersistentVolume",
                            pv,
                            f"phase={phase}, reclaimPolicy={spec.get('persistentVolumeReclaimPolicy')}, "
                            f"storageClassName={spec.get('storageClassName')}; {message}",
                        ),
                        *(event_evidence(e) for e in warnings[:2]),
                    ],
                    cause=CauseCategory.STORAGE_FAILURE,
                    relevance=relevance if claim_name or named >= Relevance.DIRECT else 0.3,
                )
            )
        terms = (((spec.get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms")) or []
        pinned_away = terms and not any(_term_matches(t, o.labels(n)) for t in terms for n in nodes)
        if pinned_away and state.complete("Node") and state.kind("Node") and claim_pods:
            zones = sorted({o.labels(n).get("topology.kubernetes.io/zone", "?") for n in nodes})
            findings.append(
                make_finding(
                    "pv-node-affinity-conflict",
                    name,
                    severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                    title=f"PersistentVolume {name}{bound_to} can only be used on nodes with "
                    f"{_affinity_text(terms)}, and no Ready schedulable node matches (nodes are in "
                    f"{', '.join(zones)}): pod {o.name(claim_pods[0])} cannot be scheduled",
                    resources=[
                        o.path("PersistentVolume", pv),
                        *(o.path("Pod", p) for p in claim_pods[:2]),
                    ],
                    evidence=[
                        object_evidence("PersistentVolume", pv, f"nodeAffinity: {_affinity_text(terms)}")
                    ],
                    cause=CauseCategory.STORAGE_FAILURE,
                    relevance=relevance,
                )
            )
    return findings


def _storage_classes(analysis: Analysis) -> list[Finding]:
    state = analysis.state
    if not state.complete("StorageClass"):
        return []
    classes = {o.name(c): c for c in state.kind("StorageClass")}
    defaults = [n for n, c in classes.items() if o.annotations_of(c).get(DEFAULT_CLASS) == "true"]
    users = _claim_users(analysis)
    findings = []
    for pvc in state.kind("PersistentVolumeClaim"):
        if o.status(pvc).get("phase") == "Bound":
            continue
        ns, name = o.namespace(pvc), o.name(pvc)
        wanted = o.spec(pvc).get("storageClassName")
        known = ", ".join(sorted(classes)) or "none"
        if wanted and wanted not in classes:
            problem = f"names StorageClass {wanted}, which does not exist (classes: {known})"
        elif wanted is None and not defaults and not o.spec(pvc).get("volumeName"):
            problem = f"names no StorageClass and none is the default (classes: {known})"
        else:
            continue
        pods = users.get((ns, name), [])
        events = analysis.events.about("PersistentVolumeClaim", ns, name, reason="ProvisioningFailed")
        created = o.created(pvc)
        if not events and created is not None and analysis.scope.window_end - created < PENDING_GRACE:
            continue
        # A cluster listing no StorageClass at all is more likely a partial picture than the cause.
        sure = bool(classes) or bool(events)
        relevance = _claim_relevance(analysis, ns, name, pods)
        findings.append(
            make_finding(
                "pvc-storageclass-missing",
                f"{ns}/{name}",
                severity=Severity.CRITICAL if sure else Severity.WARNING,
                title=f"PersistentVolumeClaim {ns}/{name} {problem}: no volume can be provisioned"
                + (f"; pod {o.name(pods[0])} waits for it" if pods else ""),
                resources=[o.path("PersistentVolumeClaim", pvc), *(o.path("Pod", p) for p in pods[:2])],
                evidence=[
                    object_evidence("PersistentVolumeClaim", pvc, f"storageClassName: {wanted}"),
                    *(event_evidence(e) for e in events[:1]),
                ],
                cause=CauseCategory.STORAGE_FAILURE,
                relevance=relevance if sure else relevance * 0.7,
            )
        )
    if not classes:
        return findings  # no StorageClass read at all: a partial picture, not proof
    for sts in state.kind("StatefulSet"):
        for template in o.spec(sts).get("volumeClaimTemplates") or []:
            wanted = o.spec(template).get("storageClassName")
            if not wanted or wanted in classes:
                continue
            ns, name = o.namespace(sts), o.name(sts)
            claim = o.name(template)
            findings.append(
                make_finding(
                    "statefulset-storageclass-missing",
                    f"{ns}/{name}/{claim}",
                    severity=Severity.CRITICAL,
                    title=f"StatefulSet {ns}/{name}: volumeClaimTemplate {claim} names StorageClass "
                    f"{wanted}, which does not exist (classes: {', '.join(sorted(classes))}): "
                    "its pods' claims cannot be provisioned",
                    resources=[o.path("StatefulSet", sts)],
                    evidence=[
                        object_evidence(
                            "StatefulSet", sts, f"volumeClaimTemplates[{claim}].storageClassName: {wanted}"
                        )
                    ],
                    cause=CauseCategory.STORAGE_FAILURE,
                    relevance=analysis.workload_relevance("StatefulSet", ns, name),
                )
            )
    return findings
