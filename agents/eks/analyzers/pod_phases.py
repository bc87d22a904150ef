"""Pod-level problems: evicted, unschedulable (with the scheduler's reason), stuck creating
(volumes that will not mount, sandboxes that will not start)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, short
from agents.eks.analyzers.nodes import problem_conditions
from agents.eks.analyzers.placement import unsatisfied_placement
from agents.eks.analyzers.pod_problem import (
    STUCK_CREATING,
    STUCK_PENDING,
    PodProblem,
    best_message,
    first_time,
    last_time,
)
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Severity

# A FailedMount about a ConfigMap, Secret or ServiceAccount is a configuration problem, not storage.
# The scheduler waits on a volume: its claim is unbound or not yet provisioned (the VolumeBinding
# plugin times out binding it), its PV's node affinity excludes every node, or the node's volume
# attach limit is reached. The pod is Pending, the failure is the storage's.
VOLUME_SCHEDULING = re.compile(
    r"persistentvolumeclaim|volume node affinity|\bvolumebinding\b|binding volumes"
    r"|waiting for (?:a |the )?volume|max volume count",
    re.IGNORECASE,
)
# The CNI's own failures (an IP it cannot assign, a network it cannot set up) are the network's.
CNI_FAILURE = re.compile(r"\bcni\b|setup network|set up network|assign an ip|ipamd|ip address", re.IGNORECASE)
NOT_STORAGE = re.compile(r'(configmap|secret|serviceaccount)s? "[^"]+" not found|couldn\'t find key', re.I)


def stuck_creating(
    pod: Obj,
    warnings: list[Obj],
    analysis: Analysis,
    images: dict[str, str],
    base: dict[str, Any] | None = None,
) -> PodProblem | None:
    created = o.created(pod)
    if created is not None and analysis.scope.window_end - created < STUCK_CREATING:
        return None
    mounts = [
        e for e in warnings if e.get("reason") in {"FailedMount", "FailedAttachVolume", "FailedMapVolume"}
    ]
    # A Multi-Attach error explains the mount timeouts after it: quote it first.
    mounts.sort(key=lambda e: "multi-attach" not in str(e.get("message", "")).lower())
    sandbox = [e for e in warnings if e.get("reason") == "FailedCreatePodSandBox"]
    if mounts:
        message = best_message(mounts, "")
        return PodProblem(
            pod,
            "volume",
            str(mounts[0].get("reason")),
            message,
            # A ConfigMap or Secret volume whose object or key is missing is configuration.
            cause=CauseCategory.BAD_CONFIG if NOT_STORAGE.search(message) else CauseCategory.STORAGE_FAILURE,
            severity=Severity.CRITICAL,
            first=first_time(mounts),
            last=last_time(mounts),
            events=mounts[:3],
            **(base or {}),
        )
    if sandbox:
        message = best_message(sandbox, "")
        # A runtime that times out creating the sandbox on a node that reports a problem condition
        # (KernelDeadlock, ContainerRuntimeUnhealthy, ReadonlyFilesystem) is that node's failure.
        on_node = None if CNI_FAILURE.search(message) else node_problem(analysis, pod)
        return PodProblem(
            pod,
            "sandbox",
            "FailedCreatePodSandBox",
            f"the node reports {on_node}; {message}" if on_node else message,
            cause=CauseCategory.NODE_FAILURE if on_node else CauseCategory.NETWORK_FAILURE,
            severity=Severity.CRITICAL,
            first=first_time(sandbox),
            last=last_time(sandbox),
            events=sandbox[:3],
            **(base or {}),
        )
    return None


def node_problem(analysis: Analysis, pod: Obj) -> str | None:
    """`KernelDeadlock=True (DockerHung: task docker blocked ...)` for the pod's node, if any."""
    node_name = o.spec(pod).get("nodeName")
    for node in analysis.state.kind("Node"):
        if o.name(node) == node_name:
            found = problem_conditions(node)
            if found:
                cond = found[0]
                why = ": ".join(str(cond[k]) for k in ("reason", "message") if cond.get(k))
                return f"{cond.get('type')}={cond.get('status')}" + (f" ({short(why, 100)})" if why else "")
    return None


def evicted(pod: Obj, st: dict[str, Any], events: list[Obj]) -> PodProblem:
    evictions = [e for e in events if e.get("reason") in {"Evicted", "Killing"}]
    # The kubelet's Evicted event names the resource when the pod's status only says "Evicted".
    message = str(st.get("message", "")) or best_message(evictions, "resource") or best_message(evictions, "")
    lowered = message.lower()
    if (
        "exceeds the total limit" in lowered
        or "exceeded its local ephemeral storage limit" in lowered
        or "low on resource: ephemeral-storage" in lowered
    ):
        cause = CauseCategory.DISK_FULL  # the pod's or the node's disk filled up
    elif "the node was low on resource" in lowered or "pressure" in lowered:
        cause = CauseCategory.NODE_FAILURE  # the node's pressure, whichever pod was picked
    elif "taint" in lowered or "terminat" in lowered:
        cause = CauseCategory.NODE_FAILURE  # evicted by a NoExecute taint: the node is going away
    else:
        cause = None
    return PodProblem(
        pod,
        "evicted",
        "Evicted",
        message,
        cause=cause,
        severity=Severity.WARNING,
        first=first_time(evictions),
        last=last_time(evictions),
        events=evictions[:3],
    )


def unschedulable(pod: Obj, warnings: list[Obj], nodes: Iterable[Obj] = ()) -> PodProblem:
    condition = o.conditions(pod).get("PodScheduled", {})
    scheduling = [e for e in warnings if e.get("reason") == "FailedScheduling"]
    message = best_message(scheduling, "") or condition.get("message", "")
    lowered = message.lower()
    placement = unsatisfied_placement(pod, nodes)
    if placement:
        # The specific rule first: titles are cut, and the scheduler's node counts say less.
        message = f"{placement} (scheduler: {message.rstrip('. ')})" if message else placement
    if VOLUME_SCHEDULING.search(message):
        cause = CauseCategory.STORAGE_FAILURE
    else:
        cause = CauseCategory.UNSCHEDULABLE
        if "affinity/selector" in lowered or "node selector" in lowered or "node affinity" in lowered:
            required = node_requirements(pod)
            if required:
                head, dot, rest = message.partition(". preemption:")
                message = f"{head.rstrip('.')} (the pod requires {required}){dot}{rest}"
    first = first_time(scheduling) or o.ts(condition.get("lastTransitionTime"))
    last = last_time(scheduling) or first
    # A pod the scheduler has kept failing to place for 10 minutes will not place itself.
    stuck = first is not None and last is not None and last - first >= STUCK_PENDING
    return PodProblem(
        pod,
        "pending",
        condition.get("reason") or "Unschedulable",
        message,
        cause=cause,
        severity=Severity.CRITICAL if stuck else Severity.WARNING,
        first=first,
        last=last,
        events=scheduling[:3],
    )


def node_requirements(pod: Obj) -> str:
    """What a pod asks of its node, as a person reads it: `kubernetes.io/arch=amd64`, `zone In
    [us-east-1a]`; empty when it asks nothing (the scheduler's message then says what failed)."""
    spec = o.pod_spec(pod)
    parts = [f"{k}={v}" for k, v in sorted((spec.get("nodeSelector") or {}).items())]
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for expr in term.get("matchExpressions") or []:
            values = ", ".join(str(v) for v in expr.get("values") or [])
            parts.append(
                f"{expr.get('key')} {expr.get('operator')} [{values}]"
                if values
                else f"{expr.get('key')} {expr.get('operator')}"
            )
    return "; ".join(parts[:4])
