"""Volumes a pod waits for: Multi-Attach errors (a ReadWriteOnce volume still attached to the node a
pod left), FailedAttachVolume and FailedMount on a PersistentVolumeClaim. The finding names the
claim, its PersistentVolume, the node that holds the volume and the node that wants it, so the
chain from the pod to the storage is in its resources."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, error_tail, event_evidence, make_finding, object_evidence
from agents.eks.analyzers.pod_phases import NOT_STORAGE
from agents.eks.analyzers.refs import find
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

REASONS = ("FailedAttachVolume", "FailedMount", "FailedMapVolume")
_VOLUME = re.compile(r'volume "(?P<name>[^"]+)"')
_UNMOUNTED = re.compile(r"unmounted volumes=\[(?P<names>[^\]]*)\]")
_USED_BY = re.compile(r"already used by pod\(s\) (?P<pods>[A-Za-z0-9.\-, ]+)")


@dataclass
class Claim:
    volume: str  # the pod's volume name
    pvc: Obj | None
    namespace: str | None
    name: str
    pv: Obj | None
    pv_name: str


def _claims(analysis: Analysis, pod: Obj) -> list[Claim]:
    ns = o.namespace(pod)
    found = []
    for volume in o.spec(pod).get("volumes") or []:
        claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim_name:
            continue
        pvc = find(analysis, "PersistentVolumeClaim", ns, str(claim_name))
        pv_name = str(o.spec(pvc).get("volumeName") or "") if pvc else ""
        pv = find(analysis, "PersistentVolume", None, pv_name) if pv_name else None
        if pv is None:
            pv = next(
                (
                    v
                    for v in analysis.state.kind("PersistentVolume")
                    if (o.spec(v).get("claimRef") or {}).get("name") == claim_name
                    and (o.spec(v).get("claimRef") or {}).get("namespace") == ns
                ),
                None,
            )
            pv_name = o.name(pv) if pv else pv_name
        found.append(Claim(str(volume.get("name", "")), pvc, ns, str(claim_name), pv, pv_name))
    return found


def _named(message: str, claims: list[Claim]) -> Claim | None:
    """The claim an event is about: its message names the pod's volume or the PV."""
    names = {m.group("name") for m in _VOLUME.finditer(message)}
    for match in _UNMOUNTED.finditer(message):
        names |= {n.strip() for n in match.group("names").split() if n.strip()}
    for claim in claims:
        if claim.volume in names or (claim.pv_name and claim.pv_name in names):
            return claim
    return None


def _holder(analysis: Analysis, claim: Claim, pod: Obj, message: str) -> tuple[str, str] | None:
    """(node, how it is known) of the node the volume is attached to or used on, other than the
    node the pod is placed on."""
    here = o.spec(pod).get("nodeName")
    for attachment in analysis.state.kind("VolumeAttachment"):
        spec = o.spec(attachment)
        node = spec.get("nodeName")
        if (
            claim.pv_name
            and (spec.get("source") or {}).get("persistentVolumeName") == claim.pv_name
            and node
            and node != here
            and o.status(attachment).get("attached", True)
        ):
            return str(node), "its VolumeAttachment"
    users = []
    match = _USED_BY.search(message)
    if match:
        users = [n.strip() for n in match.group("pods").replace(",", " ").split() if n.strip()]
    for other in analysis.state.pods:
        if other is pod or o.namespace(other) != claim.namespace:
            continue
        uses = any(
            (v.get("persistentVolumeClaim") or {}).get("claimName") == claim.name
            for v in o.spec(other).get("volumes") or []
        )
        node = o.spec(other).get("nodeName")
        if (uses or o.name(other) in users) and node and node != here:
            return str(node), f"used by pod {o.name(other)}"
    return None


def analyze_attachments(analysis: Analysis) -> list[Finding]:
    findings: dict[str, Finding] = {}
    for pod in analysis.state.pods:
        ns, name = o.namespace(pod), o.name(pod)
        events = [
            e
            for e in analysis.events.about("Pod", ns, name, warning_only=True)
            if e.get("reason") in REASONS
            and not NOT_STORAGE.search(str(e.get("message", "")))
            and ((t := o.event_time(e)) is None or t >= analysis.scope.window_start)
        ]
        if not events:
            continue
        claims = _claims(analysis, pod)
        # The attach detach controller's Multi-Attach error explains the kubelet's mount timeouts
        # that follow it: it comes first, then attach errors, then mount errors.
        events.sort(
            key=lambda e: (
                "multi-attach" not in str(e.get("message", "")).lower(),
                REASONS.index(e["reason"]),
            )
        )
        for event in events:
            message = str(event.get("message", ""))
            claim = _named(message, claims) or (claims[0] if len(claims) == 1 else None)
            if claim is None:
                continue
            key = f"{ns}/{claim.name}"
            if key in findings:
                continue
            findings[key] = _finding(analysis, pod, claim, event)
    return list(findings.values())


def _why(message: str) -> str:
    """The kubelet's "Unable to attach or mount volumes: unmounted volumes=[data], unattached
    volumes=[...]: timed out waiting for the condition" ends with what happened; a CSI error ends
    with the driver's answer."""
    if "]: " in message:
        return error_tail(message.rsplit("]: ", 1)[1], 130)
    return error_tail(message, 130)


def _finding(analysis: Analysis, pod: Obj, claim: Claim, event: Obj) -> Finding:
    ns, name = o.namespace(pod), o.name(pod)
    message = str(event.get("message", ""))
    here = o.spec(pod).get("nodeName") or "?"
    holder = _holder(analysis, claim, pod, message)
    modes = ",".join(o.spec(claim.pvc).get("accessModes") or []) if claim.pvc else ""
    volume = f"PersistentVolumeClaim {ns}/{claim.name}" + (
        f" (volume {claim.pv_name}" if claim.pv_name else ""
    )
    volume += (f", {modes})" if modes else ")") if claim.pv_name else (f" ({modes})" if modes else "")
    multi = "multi-attach" in message.lower()
    if multi:
        where = (
            f"still attached to node {holder[0]} ({holder[1]})"
            if holder
            else "still attached to another node"
        )
        title = (
            f"Multi-Attach error: {volume} is {where} and cannot attach to node {here} for pod {ns}/{name}"
        )
    else:
        held = f"; it is attached to node {holder[0]} ({holder[1]})" if holder else ""
        title = f"{event.get('reason')}: {volume} for pod {ns}/{name} on node {here}: {_why(message)}{held}"
    # Above the pod's own "stuck in ContainerCreating" finding: this one names what holds it.
    relevance = min(1.0, max(analysis.pod_relevance(pod), analysis.relevance(ns, claim.name)) + 0.02)
    resources = [f"{ns}/PersistentVolumeClaim/{claim.name}"]
    if claim.pv_name:
        resources.append(f"PersistentVolume/{claim.pv_name}")
    if holder:
        resources.append(f"Node/{holder[0]}")
    resources += [o.path("Pod", pod), f"Node/{here}"]
    evidence = [event_evidence(event)]
    if claim.pv is not None:
        evidence.append(
            object_evidence(
                "PersistentVolume",
                claim.pv,
                f"phase={o.status(claim.pv).get('phase')}, "
                f"accessModes={o.spec(claim.pv).get('accessModes')}, claimRef={ns}/{claim.name}",
            )
        )
    return make_finding(
        "claim-volume-multi-attach" if multi else "claim-volume-" + str(event.get("reason", "")).lower(),
        f"{ns}/{claim.name}",
        severity=Severity.CRITICAL if relevance >= Relevance.NEAR else Severity.WARNING,
        title=title,
        resources=resources,
        evidence=evidence,
        cause=CauseCategory.STORAGE_FAILURE,
        relevance=relevance,
        first_seen=o.event_first_time(event),
        last_seen=o.event_time(event),
    )
