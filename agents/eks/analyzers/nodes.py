"""Nodes: NotReady, memory / disk / PID pressure, network unavailable, the problem conditions
node-problem-detector and the EKS node monitoring agent set (KernelDeadlock, ReadonlyFilesystem,
...=True; StorageReady, NetworkingReady, ...=False), cordoned."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence
from agents.eks.analyzers.disk_fillers import disk_fillers
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance

PRESSURES = {"MemoryPressure": "memory", "DiskPressure": "disk", "PIDPressure": "PID"}
KUBELET_CONDITIONS = {"Ready", "NetworkUnavailable", *PRESSURES}


# Labels that say which capacity a node runs on (EKS managed node groups, Karpenter, eksctl / kops
# and the node termination handler's convention).
CAPACITY_LABELS = (
    "eks.amazonaws.com/capacityType",
    "karpenter.sh/capacity-type",
    "node.kubernetes.io/lifecycle",
    "lifecycle",
)


def spot_capacity(node: Obj | None) -> str | None:
    """`eks.amazonaws.com/capacityType=SPOT` when the node runs on Spot capacity, which EC2 may
    reclaim with a two-minute notice; None otherwise."""
    labels = o.labels(node) if node else {}
    for key in CAPACITY_LABELS:
        value = str(labels.get(key, ""))
        if value.lower() in {"spot", "ec2spot"}:
            return f"{key}={value}"
    return None


def problem_conditions(node: Obj) -> list[dict[str, Any]]:
    """Conditions other agents add to a node that report a problem: node-problem-detector's are
    True on a problem (KernelDeadlock, ReadonlyFilesystem, FrequentKubeletRestart), the EKS node
    monitoring agent's `...Ready` ones are False on a problem (StorageReady, KernelReady)."""
    found = []
    for kind, cond in o.conditions(node).items():
        if kind in KUBELET_CONDITIONS:
            continue
        bad = "False" if kind.endswith("Ready") else "True"
        if cond.get("status") == bad:
            found.append(cond)
    return found


IMAGE_GC_FAILURES = ("ImageGCFailed", "FreeDiskSpaceFailed")
_GC_FREED = re.compile(r"free (\d+) bytes, but only found (\d+) bytes")


def _gc_events(analysis: Analysis, name: str) -> list[Obj]:
    events = analysis.events.about("Node", None, name) + analysis.events.about("Node", "default", name)
    recent = [
        e
        for e in events
        if e.get("reason") in IMAGE_GC_FAILURES
        and ((t := o.event_time(e)) is None or t >= analysis.scope.window_start)
    ]
    return sorted(recent, key=lambda e: e.get("reason") != "ImageGCFailed")


def _size(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def largest_images(node: Obj, count: int = 3) -> list[str]:
    """`ci-builder:2026.12 (9.8 GB)` for the largest images the node holds (status.images)."""
    images = [
        i
        for i in o.status(node).get("images") or []
        if isinstance(i, dict) and isinstance(i.get("sizeBytes"), int)
    ]
    images.sort(key=lambda i: -int(i["sizeBytes"]))
    shown = []
    for image in images[:count]:
        names = [str(n) for n in image.get("names") or [] if "@sha256:" not in str(n)] or [
            str(n) for n in image.get("names") or []
        ]
        shown.append(f"{o.image_ref(names[0]) if names else '?'} ({_size(int(image['sizeBytes']))})")
    return shown


def image_gc_failure(analysis: Analysis, node: Obj) -> str | None:
    """`the kubelet's image garbage collection fails (ImageGCFailed: ... only found 0 bytes eligible
    to free): the images on it are in use; largest images: ci-builder:2026.12 (9.8 GB), ...`."""
    events = _gc_events(analysis, o.name(node))
    if not events:
        return None
    message = str(events[0].get("message", ""))
    freed = _GC_FREED.search(message)
    if freed:
        wanted, found = int(freed.group(1)), int(freed.group(2))
        said = f"needs {_size(wanted)} freed, {_size(found) if found else '0 bytes'} eligible"
        if not found:
            said += ": all images in use"
    else:
        said = message[:100]
    text = f"image garbage collection fails ({events[0].get('reason')}: {said})"
    largest = largest_images(node, 2)
    if largest:
        text += f"; largest images: {', '.join(largest)}"
    return text


def _infrastructure(analysis: Analysis, since: datetime | None) -> Trigger | None:
    """A node condition that turned bad inside the window is an infrastructure change."""
    return Trigger.INFRASTRUCTURE if since is not None and since >= analysis.scope.window_start else None


def _relevance(analysis: Analysis, node: str, hosting: dict[str, list[str]]) -> float:
    if analysis.scope.node == node:
        return 1.0
    if node in hosting:
        return 0.9
    return 0.5 if not analysis.scope.has_target else 0.3


def analyze_nodes(analysis: Analysis) -> list[Finding]:
    hosting: dict[str, list[str]] = {}
    for pod in analysis.in_scope_pods():
        node_name = o.spec(pod).get("nodeName")
        if node_name:
            hosting.setdefault(node_name, []).append(o.name(pod))
    findings = []
    for node in analysis.state.kind("Node"):
        name = o.name(node)
        conds = o.conditions(node)
        relevance = _relevance(analysis, name, hosting)
        pods_text = f"; hosts {', '.join(sorted(hosting[name])[:3])}" if name in hosting else ""
        instance = o.labels(node).get("node.kubernetes.io/instance-type", "")
        ready = conds.get("Ready", {})
        spot = spot_capacity(node)
        if ready and ready.get("status") != "True":
            since = o.ts(ready.get("lastTransitionTime"))
            findings.append(
                make_finding(
                    "node-notready",
                    name,
                    severity=Severity.CRITICAL,
                    title=f"Node {name} NotReady ({ready.get('reason') or ready.get('status')}: "
                    f"{ready.get('message', '')[:100]}) since {ago(analysis.scope, since)}"
                    + (f"; a Spot instance ({spot}), which EC2 reclaims on short notice" if spot else "")
                    + pods_text,
                    resources=[o.path("Node", node)],
                    evidence=[
                        object_evidence(
                            "Node",
                            node,
                            f"Ready={ready.get('status')} {ready.get('reason', '')}: "
                            f"{ready.get('message', '')}; instance type {instance}",
                            since,
                        )
                    ],
                    cause=CauseCategory.NODE_FAILURE,
                    change=_infrastructure(analysis, since),
                    relevance=relevance,
                    first_seen=since,
                )
            )
        for cond_type, what in PRESSURES.items():
            cond = conds.get(cond_type, {})
            if cond.get("status") != "True":
                continue
            since = o.ts(cond.get("lastTransitionTime"))
            # Seen from a workload whose pods it evicts, a node under disk pressure is a full disk
            # (its image or container filesystem); an alert about the node itself is the node's failure.
            cause = (
                CauseCategory.DISK_FULL
                if cond_type == "DiskPressure" and analysis.scope.node != name
                else CauseCategory.NODE_FAILURE
            )
            fillers = disk_fillers(analysis, name, since) if cond_type == "DiskPressure" else []
            gc = image_gc_failure(analysis, node) if cond_type == "DiskPressure" else None
            findings.append(
                make_finding(
                    f"node-{what.lower()}-pressure",
                    name,
                    severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                    title=f"Node {name} under {what} pressure "
                    f"({cond_type}: {cond.get('message') or cond.get('reason', '')})"
                    f" since {ago(analysis.scope, since)}{pods_text}"
                    + (f"; {gc}" if gc else "")
                    + (f"; still running there: {'; '.join(fillers)}" if fillers else ""),
                    resources=[o.path("Node", node)],
                    evidence=[
                        object_evidence(
                            "Node",
                            node,
                            f"{cond_type}=True {cond.get('reason', '')}: {cond.get('message', '')}",
                            since,
                        )
                    ],
                    cause=cause,
                    change=_infrastructure(analysis, since),
                    relevance=relevance,
                    first_seen=since,
                )
            )
        gc_alone = (
            image_gc_failure(analysis, node)
            if conds.get("DiskPressure", {}).get("status") != "True"
            else None
        )
        if gc_alone:
            findings.append(
                make_finding(
                    "node-image-gc-failed",
                    name,
                    severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                    title=f"Node {name}: {gc_alone}{pods_text}",
                    resources=[o.path("Node", node)],
                    evidence=[event_evidence(e) for e in _gc_events(analysis, name)[:2]],
                    cause=CauseCategory.DISK_FULL,
                    relevance=relevance,
                )
            )
        network = conds.get("NetworkUnavailable", {})
        if network.get("status") == "True":
            findings.append(
                make_finding(
                    "node-network-unavailable",
                    name,
                    severity=Severity.CRITICAL,
                    title=f"Node {name} NetworkUnavailable: "
                    f"{network.get('message') or network.get('reason', '')}",
                    resources=[o.path("Node", node)],
                    evidence=[
                        object_evidence("Node", node, f"NetworkUnavailable=True {network.get('reason', '')}")
                    ],
                    cause=CauseCategory.NETWORK_FAILURE,
                    relevance=relevance,
                    first_seen=o.ts(network.get("lastTransitionTime")),
                )
            )
        for cond in problem_conditions(node):
            since = o.ts(cond.get("lastTransitionTime"))
            text = (
                f"{cond.get('type')}={cond.get('status')} {cond.get('reason', '')}: {cond.get('message', '')}"
            )
            findings.append(
                make_finding(
                    "node-condition",
                    f"{name}/{cond.get('type')}",
                    severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                    title=f"Node {name} reports {cond.get('type')}={cond.get('status')} "
                    f"({cond.get('reason') or ''}: {str(cond.get('message') or '')[:100]}) "
                    f"since {ago(analysis.scope, since)}{pods_text}",
                    resources=[o.path("Node", node)],
                    evidence=[object_evidence("Node", node, text, since)],
                    cause=CauseCategory.NODE_FAILURE,
                    change=_infrastructure(analysis, since),
                    relevance=relevance,
                    first_seen=since,
                )
            )
        if o.spec(node).get("unschedulable"):
            taints = ", ".join(t.get("key", "") for t in o.spec(node).get("taints") or [])
            findings.append(
                make_finding(
                    "node-cordoned",
                    name,
                    severity=Severity.WARNING if name in hosting else Severity.INFO,
                    title=f"Node {name} is cordoned "
                    f"(unschedulable{'; taints ' + taints if taints else ''}){pods_text}",
                    resources=[o.path("Node", node)],
                    evidence=[
                        object_evidence("Node", node, f"spec.unschedulable=true; taints: {taints or 'none'}")
                    ],
                    relevance=relevance * 0.8,
                )
            )
    return findings
