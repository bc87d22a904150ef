"""Suggested next steps per cause and trigger, each with its risk class. Suggested, never executed.

`safe` steps only read; `needs-approval` steps change the system (rollback, scale, restart, config
revert); `forbidden` steps are listed where people are tempted to take them and should not.
Commands are filled in from the alert's hints only when a hint is a plain Kubernetes name: the
hints come from untrusted text and a suggested command must never carry someone else's payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.contracts import CauseCategory, Finding, Hints, NextStep, RiskClass, Trigger

C = CauseCategory
SAFE, APPROVE, FORBID = RiskClass.SAFE, RiskClass.NEEDS_APPROVAL, RiskClass.FORBIDDEN
MAX_STEPS = 8
_K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9\-.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class Step:
    text: str
    risk: RiskClass = SAFE
    command: str | None = None


_BY_CATEGORY: dict[CauseCategory, tuple[Step, ...]] = {
    C.OOM: (
        Step(
            "Read the crashed container's last log lines",
            SAFE,
            "kubectl -n {ns} logs {pod} -c {container} --previous",
        ),
        Step(
            "Compare memory use with the container's limit",
            SAFE,
            "kubectl -n {ns} top pod {pod} --containers",
        ),
        Step("Raise the memory limit of {workload}, or fix what grows the heap, and roll out", APPROVE),
    ),
    C.CPU_SATURATION: (
        Step("Check CPU use and throttling per container", SAFE, "kubectl -n {ns} top pod --containers"),
        Step("Scale {workload} out", APPROVE, "kubectl -n {ns} scale deployment/{workload} --replicas=<n>"),
        Step("Raise the CPU limit (or remove it) for {workload}", APPROVE),
    ),
    C.DISK_FULL: (
        Step("See which volume or node disk is full", SAFE, "kubectl describe node {node}"),
        Step("Expand the volume (PVC resize) or add node storage", APPROVE),
        Step("Deleting data or log files on the volume without a backup", FORBID),
    ),
    C.BAD_CONFIG: (
        Step(
            "Compare the workload's env, ConfigMaps and Secret references with the last good revision",
            SAFE,
            "kubectl -n {ns} get deployment {workload} -o yaml",
        ),
        Step("Revert the configuration to the last good version", APPROVE),
        Step("Pasting Secret values into chat or tickets while debugging", FORBID),
    ),
    C.IMAGE_PULL: (
        Step("Read the pull error in the pod's events", SAFE, "kubectl -n {ns} describe pod {pod}"),
        Step("Check the image tag exists and the node role may pull it", SAFE),
        Step(
            "Roll back to the previous image", APPROVE, "kubectl -n {ns} rollout undo deployment/{workload}"
        ),
    ),
    C.BAD_DEPLOY: (
        Step(
            "See what changed between the last two revisions",
            SAFE,
            "kubectl -n {ns} rollout history deployment/{workload}",
        ),
        Step(
            "Roll back {workload} to the previous revision",
            APPROVE,
            "kubectl -n {ns} rollout undo deployment/{workload}",
        ),
    ),
    C.PROBE_FAILURE: (
        Step("Read the probe failures in the pod's events", SAFE, "kubectl -n {ns} describe pod {pod}"),
        Step("Adjust the probe (path, port, thresholds) or fix the endpoint it calls", APPROVE),
    ),
    C.UNSCHEDULABLE: (
        Step("Read the FailedScheduling reason", SAFE, "kubectl -n {ns} describe pod {pod}"),
        Step("Check node capacity and the namespace quota", SAFE, "kubectl -n {ns} describe resourcequota"),
        Step("Add capacity (node group) or relax selectors, affinity or requests", APPROVE),
    ),
    C.NODE_FAILURE: (
        Step("Read the node's conditions and events", SAFE, "kubectl describe node {node}"),
        Step("Cordon and drain the node", APPROVE, "kubectl drain {node} --ignore-daemonsets"),
        Step("Force-deleting pods that hold volumes (--force --grace-period=0)", FORBID),
    ),
    C.SCALING_LIMIT: (
        Step(
            "Check the autoscaler's current, desired and maximum replicas",
            SAFE,
            "kubectl -n {ns} describe hpa {workload}",
        ),
        Step("Raise the autoscaler's maximum (within cluster capacity)", APPROVE),
    ),
    C.DEPENDENCY_FAILURE: (
        Step("Check the dependency's health and its own alerts", SAFE),
        Step("Check the service endpoints the workload calls", SAFE, "kubectl -n {ns} get endpoints"),
        Step("Fail over to a replica or degrade gracefully (feature flag, circuit breaker)", APPROVE),
    ),
    C.RESOURCE_POOL_EXHAUSTION: (
        Step("Check the pool's active, idle and pending connections and the server's limit", SAFE),
        Step("Raise the pool size within the database's connection limit", APPROVE),
        Step(
            "Restart {workload} to release leaked connections",
            APPROVE,
            "kubectl -n {ns} rollout restart deployment/{workload}",
        ),
    ),
    C.RATE_LIMITED: (
        Step("Check throttling metrics and the service quota", SAFE),
        Step("Request a quota increase or reduce concurrency with backoff", APPROVE),
    ),
    C.PERMISSION_DENIED: (
        Step(
            "Find the denied action and principal (CloudTrail, RBAC)",
            SAFE,
            "kubectl auth can-i --list -n {ns}",
        ),
        Step("Grant the one missing permission", APPROVE),
        Step("Granting wildcard or cluster-admin permissions to get past the error", FORBID),
    ),
    C.NETWORK_FAILURE: (
        Step(
            "Check the service has endpoints and no NetworkPolicy blocks it",
            SAFE,
            "kubectl -n {ns} get endpoints,networkpolicy",
        ),
        Step("Check cluster DNS", SAFE, "kubectl -n kube-system get pods -l k8s-app=kube-dns"),
        Step("Revert the network policy or DNS change", APPROVE),
    ),
    C.CERTIFICATE_EXPIRED: (
        Step("Check the certificate's validity dates", SAFE),
        Step("Renew or rotate the certificate", APPROVE),
        Step("Disabling TLS verification to work around it", FORBID),
    ),
    C.STORAGE_FAILURE: (
        Step("Read the volume's events", SAFE, "kubectl -n {ns} describe pvc"),
        Step("Fix the storage class, attachment or CSI driver", APPROVE),
        Step("Deleting the PVC or PV to force re-provisioning (loses data)", FORBID),
    ),
    C.TRAFFIC_SPIKE: (
        Step("See where the extra traffic comes from (clients, routes)", SAFE),
        Step("Scale {workload} out", APPROVE, "kubectl -n {ns} scale deployment/{workload} --replicas=<n>"),
        Step("Turn on rate limiting for the heaviest clients", APPROVE),
    ),
    C.NO_ISSUE: (
        Step("Confirm the alert is a test, a heartbeat or already resolved: nothing to fix", SAFE),
        Step("Silence or tune the alert if it keeps firing on a healthy workload", APPROVE),
    ),
    C.UNKNOWN: (
        Step("Retry or check the sources that failed or timed out", SAFE),
        Step(
            "Read recent warning events in the namespace",
            SAFE,
            "kubectl -n {ns} get events --field-selector type=Warning --sort-by=.lastTimestamp",
        ),
        Step("Escalate to the service owner with this thread", SAFE),
    ),
}

_BY_TRIGGER: dict[Trigger, tuple[Step, ...]] = {
    Trigger.DEPLOY: (
        Step("See what the rollout changed", SAFE, "kubectl -n {ns} rollout history deployment/{workload}"),
        Step(
            "Roll back {workload} to the previous revision",
            APPROVE,
            "kubectl -n {ns} rollout undo deployment/{workload}",
        ),
    ),
    Trigger.CONFIG_CHANGE: (Step("Revert the configuration change: {change}", APPROVE),),
    Trigger.TRAFFIC: (
        Step("Scale {workload} out", APPROVE, "kubectl -n {ns} scale deployment/{workload} --replicas=<n>"),
    ),
    Trigger.DEPENDENCY: (Step("Check the status of the dependency that changed: {change}", SAFE),),
    Trigger.INFRASTRUCTURE: (Step("Check the infrastructure change: {change}", SAFE),),
    Trigger.NONE: (),
}


def _name(value: str | None, placeholder: str) -> str:
    return value if value and _K8S_NAME.match(value) else placeholder


def next_steps(
    category: CauseCategory, trigger: Trigger, hints: Hints, change: Finding | None = None
) -> tuple[NextStep, ...]:
    """Steps for the cause and the trigger: safe first, then needs-approval, then forbidden."""
    fill = {
        "ns": _name(hints.namespace, "<namespace>"),
        "workload": _name(hints.workload or hints.service, "<workload>"),
        "pod": _name(hints.pod, "<pod>"),
        "container": _name(hints.container, "<container>"),
        "node": _name(hints.node, "<node>"),
        "change": change.title if change is not None else "the change just before the alert",
    }
    steps: list[NextStep] = []
    seen: set[str] = set()
    # Reading steps specific to the cause come first; among changes, undoing the trigger does.
    by_trigger = _BY_TRIGGER[trigger]
    ordered = (
        *(s for s in _BY_CATEGORY[category] if s.risk is SAFE),
        *by_trigger,
        *(s for s in _BY_CATEGORY[category] if s.risk is not SAFE),
    )
    for step in ordered:
        text = step.text.format(**fill)
        command = step.command.format(**fill) if step.command else None
        key = command or text.lower()
        if key in seen or text.lower() in seen:
            continue
        seen.update({key, text.lower()})
        steps.append(NextStep(text=text, risk=step.risk, command=command))
    order = {SAFE: 0, APPROVE: 1, FORBID: 2}
    steps.sort(key=lambda s: order[s.risk])
    return tuple(steps[:MAX_STEPS])
