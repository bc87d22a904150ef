"""The controller behind an external (CSI) provisioner a Pending claim waits for: the Deployment or
StatefulSet whose pods run the external-provisioner sidecar for that driver, and what is wrong
with its pods (not ready, crash looping with the last exit code). A claim waiting for a driver
whose controller is down is that controller's doing.

A driver's controller is recognised by its pod template: a `csi-provisioner` container (the
external-provisioner sidecar every CSI controller runs), and a name or image naming the driver
(`ebs.csi.aws.com` -> `ebs`); when only one such controller exists, it is the one."""

from __future__ import annotations

import re

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis
from agents.eks.objects import Obj

PROVISIONER = re.compile(r"external provisioner \"?'?([A-Za-z0-9_.\-/]+)")
SIDECAR = re.compile(r"csi-provisioner|external-provisioner", re.IGNORECASE)
CONTROLLERS = ("Deployment", "StatefulSet")
_GENERIC = {"csi", "k8s", "io", "com", "aws", "kubernetes", "storage", "driver", "x"}


def _containers(workload: Obj) -> list[dict]:
    return ((o.spec(workload).get("template") or {}).get("spec") or {}).get("containers") or []


def runs_provisioner(workload: Obj) -> bool:
    """Whether a controller's pods run the external-provisioner sidecar."""
    return any(SIDECAR.search(f"{c.get('name', '')} {c.get('image', '')}") for c in _containers(workload))


def waited_drivers(analysis_events: list[Obj]) -> list[str]:
    """The external provisioners claims are waiting for (their ExternalProvisioning events)."""
    found = []
    for event in analysis_events:
        if event.get("reason") == "ExternalProvisioning" and o.involved(event)[0] == "PersistentVolumeClaim":
            match = PROVISIONER.search(str(event.get("message", "")))
            if match:
                found.append(match.group(1))
    return list(dict.fromkeys(found))


def driver_words(driver: str) -> list[str]:
    """The distinctive word of a driver name, its first one that is not generic
    (`ebs.csi.aws.com` -> ["ebs"], `driver.longhorn.io` -> ["longhorn"])."""
    words = [w for w in re.split(r"[^a-z0-9]+", driver.lower()) if len(w) > 1 and w not in _GENERIC]
    return words[:1]


def provisioner_controllers(workloads: list[Obj], driver: str) -> list[Obj]:
    """The controllers among `workloads` that run `driver`'s provisioner."""
    candidates = [w for w in workloads if runs_provisioner(w)]
    words = driver_words(driver)
    named = [
        w
        for w in candidates
        if any(
            word in f"{o.name(w)} {' '.join(str(c.get('image', '')) for c in _containers(w))}".lower()
            for word in words
        )
    ]
    return named or (candidates if len(candidates) == 1 else [])


def controller_state(analysis: Analysis, driver: str) -> tuple[str, Obj, str] | None:
    """(kind, controller, what is wrong with it) for `driver`, when its controller was read and is not
    fully ready; None when it is healthy or not known."""
    kinds = {id(w): kind for kind in CONTROLLERS for w in analysis.state.kind(kind)}
    workloads = [w for kind in CONTROLLERS for w in analysis.state.kind(kind)]
    for workload in provisioner_controllers(workloads, driver):
        replicas = o.spec(workload).get("replicas")
        desired = int(replicas) if replicas is not None else 1
        ready = int(o.status(workload).get("readyReplicas") or 0)
        if desired and ready >= desired:
            continue
        kind = kinds[id(workload)]
        ns, name = o.namespace(workload), o.name(workload)
        text = f"its controller {kind} {ns}/{name} has {ready}/{desired} replicas ready"
        if desired == 0:
            text = f"its controller {kind} {ns}/{name} is scaled to 0 replicas"
        crash = _crashing_container(analysis, workload)
        return kind, workload, text + (f" ({crash})" if crash else "")
    return None


def _crashing_container(analysis: Analysis, workload: Obj) -> str:
    """`container ebs-plugin CrashLoopBackOff, 52 restarts, last exit code 2` of its worst pod."""
    selector = o.spec(workload).get("selector") or {}
    worst: tuple[int, str] | None = None
    for pod in analysis.state.pods:
        if o.namespace(pod) != o.namespace(workload) or not selector:
            continue
        if not o.label_selector_matches(selector, o.labels(pod)):
            continue
        for status in o.status(pod).get("containerStatuses") or []:
            if status.get("ready"):
                continue
            waiting = ((status.get("state") or {}).get("waiting") or {}).get("reason") or "not ready"
            restarts = int(status.get("restartCount") or 0)
            last = (status.get("lastState") or {}).get("terminated") or {}
            text = f"container {status.get('name')} {waiting}, {restarts} restarts"
            if last.get("exitCode") is not None:
                text += f", last exit code {last.get('exitCode')}"
            if last.get("message"):
                text += f": {str(last['message'])[:120]}"
            if worst is None or restarts > worst[0]:
                worst = (restarts, text)
    return worst[1] if worst else ""
