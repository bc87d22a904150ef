"""The controller behind an external (CSI) provisioner a Pending claim waits for: the Deployment or
StatefulSet whose pods run the external-provisioner sidecar for that driver, and what is wrong
with its pods (not ready, crash looping with the last exit code). A claim waiting for a driver
whose controller is down is that controller's doing.

A driver's controller is recognised by its pod template: a `csi-provisioner` container (the
external-provisioner sidecar every CSI controller runs), and a name or image naming the driver
(`ebs.csi.aws.com` -> `ebs`); when only one such controller exists, it is the one."""

from __future__ import annotations

import re

from agents.common.crash_lines import crash_lines
from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, short
from agents.eks.objects import Obj

PROVISIONER = re.compile(r"external provisioner \"?'?([A-Za-z0-9_.\-/]+)")
SIDECAR = re.compile(r"csi-provisioner|external-provisioner", re.IGNORECASE)
CONTROLLERS = ("Deployment", "StatefulSet")
_GENERIC = {"csi", "k8s", "io", "com", "aws", "kubernetes", "storage", "driver", "x"}
# A line that says why a process stopped: an error word, not a stack frame.
_ERROR_LINE = re.compile(r"\b(?:panic|fatal|error|failed|could not|cannot|unable|exception)\b", re.IGNORECASE)
_STACK_LINE = re.compile(r"^(?:\s|goroutine \d|[\w./]+\(.*\)$|\S+\.go:\d+)")


def last_error_line(log: str) -> str | None:
    """The last line of a crashed container's log that says why it stopped (error level or
    above, not a stack frame): `panic: error getting instance data from ec2 metadata`."""
    lines = [line.rstrip() for line in log.splitlines() if line.strip() and not _STACK_LINE.match(line)]
    errors = crash_lines([line for line in lines if _ERROR_LINE.search(line)])
    return errors[-1].strip() if errors else None


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


def controller_state(analysis: Analysis, driver: str) -> tuple[str, Obj, str, str] | None:
    """(kind, controller, what is wrong with it, the same in a few words for a title) for `driver`,
    when its controller was read and is not fully ready; None when it is healthy or not known."""
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
        brief = f"its controller {kind} {ns}/{name} has {ready}/{desired} ready"
        if desired == 0:
            text = brief = f"its controller {kind} {ns}/{name} is scaled to 0 replicas"
        crash = _crashing_container(analysis, workload)
        if crash is None:
            return kind, workload, text, brief
        full, container, said = crash
        return kind, workload, f"{text} ({full})", f"{brief}, {container}" + (f": {said}" if said else "")
    return None


def _crashing_container(analysis: Analysis, workload: Obj) -> tuple[str, str, str | None] | None:
    """`container ebs-plugin CrashLoopBackOff, 52 restarts, last exit code 2: <its log's last error>`
    of its worst pod; the container's name and state in a few words; that log line."""
    selector = o.spec(workload).get("selector") or {}
    worst: tuple[int, str, str, str | None] | None = None
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
            log = analysis.state.logs.get(f"{o.namespace(pod)}/{o.name(pod)}/{status.get('name')}/previous")
            said = last_error_line(log) if log else None
            said = short(said or str(last.get("message") or ""), 110) or None
            if said:
                text += f": {said}"
            if worst is None or restarts > worst[0]:
                worst = (restarts, text, f"container {status.get('name')} {waiting}", said)
    return worst[1:] if worst else None
