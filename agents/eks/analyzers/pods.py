"""Pod problems: what each container's status and the pod's events say, per pod.

Covers CrashLoopBackOff (with the last termination reason and exit code), OOMKilled,
ImagePullBackOff / ErrImagePull, CreateContainerConfigError / CreateContainerError, Pending with the
scheduler's reason, volumes that will not mount, Evicted, running-but-not-ready with the failing
probe, restart bursts and failed pods. `pod_findings` groups the problems per workload.
"""

from __future__ import annotations

from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis
from agents.eks.analyzers.pod_phases import evicted, node_problem, stuck_creating, unschedulable
from agents.eks.analyzers.pod_problem import (
    CREATE_ERRORS,
    IMAGE_PULL,
    RESTART_BURST,
    PodProblem,
    best_message,
    exit_text,
    first_time,
    last_time,
    recent_restarts,
)
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Severity

__all__ = ["PodProblem", "exit_text", "pod_problems"]


def _exit_cause(reason: str | None, code: int | None, liveness_failed: bool) -> CauseCategory | None:
    if reason == "OOMKilled":
        return CauseCategory.OOM
    if liveness_failed:
        return CauseCategory.PROBE_FAILURE
    if code in (126, 127) or reason in CREATE_ERRORS:
        return CauseCategory.BAD_CONFIG
    return None


def _state_text(cs: dict[str, Any]) -> str:
    parts = [f"container {cs.get('name')}: ready={cs.get('ready')}, restartCount={cs.get('restartCount', 0)}"]
    for key, label in (("state", "state"), ("lastState", "lastState")):
        for phase, detail in (cs.get(key) or {}).items():
            if isinstance(detail, dict):
                fields = ", ".join(
                    f"{k}={v}"
                    for k, v in detail.items()
                    if k in {"reason", "exitCode", "message", "finishedAt", "startedAt"}
                )
                parts.append(f"{label}.{phase}: {fields}")
    return "; ".join(parts)


def _container_images(pod: Obj) -> dict[str, str]:
    return {c.get("name", ""): c.get("image", "") for c in o.template_containers(pod)}


# Failures a broken node causes in whatever runs on it (a read-only root, a hung runtime).
NODE_SENSITIVE = {"crashloop", "restarts", "create-error"}


def _siblings_run_elsewhere(analysis: Analysis, pod: Obj) -> bool:
    """Whether a pod of the same workload (same labels, hash aside) runs Ready on another node:
    the failure follows the node, not the workload."""
    ns, node = o.namespace(pod), o.spec(pod).get("nodeName")
    labels = {k: v for k, v in o.labels(pod).items() if k != "pod-template-hash"}
    if not labels:
        return False
    for other in analysis.state.pods:
        if other is pod or o.namespace(other) != ns or o.spec(other).get("nodeName") in (None, node):
            continue
        if {
            k: v for k, v in o.labels(other).items() if k != "pod-template-hash"
        } == labels and o.condition_true(other, "Ready"):
            return True
    return False


def pod_problems(pod: Obj, analysis: Analysis) -> list[PodProblem]:
    """Every problem one pod shows (at most one per container, plus pod-level ones)."""
    ns, pod_name = o.namespace(pod), o.name(pod)
    st = o.status(pod)
    phase = st.get("phase", "")
    events = analysis.events.about("Pod", ns, pod_name)
    warnings = [e for e in events if e.get("type") == "Warning"]
    unhealthy = [e for e in warnings if e.get("reason") == "Unhealthy"]
    liveness_failed = any("liveness" in str(e.get("message", "")).lower() for e in unhealthy)
    images = _container_images(pod)
    problems: list[PodProblem] = []

    if phase == "Failed" and st.get("reason") == "Evicted":
        return [evicted(pod, st, events)]
    if phase == "Pending" and o.conditions(pod).get("PodScheduled", {}).get("status") == "False":
        return [unschedulable(pod, warnings, analysis.state.kind("Node"))]

    statuses = [*(st.get("initContainerStatuses") or []), *(st.get("containerStatuses") or [])]
    for cs in statuses:
        problem = _container_problem(pod, cs, phase, events, unhealthy, liveness_failed, images, analysis)
        if problem is not None:
            problems.append(problem)
    if not statuses and phase == "Pending":
        problem = stuck_creating(pod, warnings, analysis, images)
        if problem:
            problems.append(problem)
    for problem in problems:
        if problem.cause is None and problem.kind in NODE_SENSITIVE:
            said = node_problem(analysis, pod)
            if said and _siblings_run_elsewhere(analysis, pod):
                problem.cause, problem.node_problem = CauseCategory.NODE_FAILURE, said
    owner = o.owner(pod)
    if phase == "Failed" and not problems and (owner is None or owner[0] != "Job"):  # Jobs: see jobs
        problems.append(
            PodProblem(
                pod,
                "failed",
                st.get("reason") or "Failed",
                st.get("message", ""),
                severity=Severity.WARNING,
                events=warnings[:3],
            )
        )
    return problems


def _container_problem(
    pod: Obj,
    cs: dict[str, Any],
    phase: str,
    events: list[Obj],
    unhealthy: list[Obj],
    liveness_failed: bool,
    images: dict[str, str],
    analysis: Analysis,
) -> PodProblem | None:
    name = str(cs.get("name", ""))
    warnings = [e for e in events if e.get("type") == "Warning"]
    state = cs.get("state") or {}
    waiting = state.get("waiting") or {}
    last = (cs.get("lastState") or {}).get("terminated") or {}
    restarts = int(cs.get("restartCount") or 0)
    image = cs.get("image") or images.get(name)
    base: dict[str, Any] = {
        "container": name,
        "image": image,
        "restarts": restarts,
        "state_text": _state_text(cs),
    }
    finished = o.ts(last.get("finishedAt"))
    reason = waiting.get("reason")
    if reason == "CrashLoopBackOff":
        treason, code = last.get("reason"), last.get("exitCode")
        kind = "oomkilled" if treason == "OOMKilled" else "crashloop"
        backoff = [e for e in warnings if e.get("reason") in {"BackOff", "Unhealthy", "Killing"}]
        # A container the runtime could not start says why in its termination message (`exec:
        # "wge": executable file not found in $PATH`): that, not the back-off, is the message.
        started = not (treason in CREATE_ERRORS or code in (126, 127, 128))
        return PodProblem(
            pod,
            kind,
            "CrashLoopBackOff",
            waiting.get("message", "") if started or not last.get("message") else str(last["message"]),
            severity=Severity.CRITICAL,
            cause=_exit_cause(treason, code, liveness_failed),
            exit_code=code,
            terminated_reason=treason,
            first=first_time(backoff) or o.ts(last.get("startedAt")),
            last=last_time(backoff) or finished,
            events=backoff[:3],
            **base,
        )
    if reason in IMAGE_PULL:
        pulls = [
            e for e in warnings if e.get("reason") in {"Failed", "BackOff", "ErrImagePull", "InspectFailed"}
        ]
        # The kubelet's "Failed to pull image ...: <the registry's answer>" over its "Error:
        # ImagePullBackOff" and "Back-off pulling image" that follow it.
        message = (
            best_message(pulls, "failed to pull") or best_message(pulls, "pull") or waiting.get("message", "")
        )
        return PodProblem(
            pod,
            "image-pull",
            reason,
            message,
            severity=Severity.CRITICAL,
            cause=CauseCategory.IMAGE_PULL,
            first=first_time(pulls),
            last=last_time(pulls),
            events=pulls[:3],
            **base,
        )
    if reason == "CreateContainerConfigError" or reason in CREATE_ERRORS:
        failed = [e for e in warnings if e.get("reason") in {"Failed", "FailedCreate"}]
        message = waiting.get("message") or best_message(failed, "") or ""
        kind = "config-error" if reason == "CreateContainerConfigError" else "create-error"
        return PodProblem(
            pod,
            kind,
            reason,
            message,
            severity=Severity.CRITICAL,
            cause=CauseCategory.BAD_CONFIG,
            first=first_time(failed),
            last=last_time(failed),
            events=failed[:3],
            **base,
        )
    if reason in {"ContainerCreating", "PodInitializing"}:
        return stuck_creating(pod, warnings, analysis, images, base)
    if state.get("running") is not None or phase == "Running":
        recent = finished is not None and finished >= analysis.scope.window_start
        recent_count = recent_restarts(pod, cs, events, analysis.scope.window_start)
        burst = recent_count >= RESTART_BURST
        if last.get("reason") == "OOMKilled" and recent:
            return PodProblem(
                pod,
                "oomkilled",
                "OOMKilled",
                "",
                exit_code=last.get("exitCode"),
                terminated_reason="OOMKilled",
                cause=CauseCategory.OOM,
                severity=Severity.CRITICAL if burst else Severity.WARNING,
                first=o.ts(last.get("startedAt")),
                last=finished,
                **base,
            )
        if burst:
            treason, code = last.get("reason"), last.get("exitCode")
            return PodProblem(
                pod,
                "restarts",
                "Restarting",
                last.get("message", ""),
                recent_restarts=recent_count,
                severity=Severity.WARNING,
                cause=_exit_cause(treason, code, liveness_failed),
                exit_code=code,
                terminated_reason=treason,
                first=o.ts(last.get("startedAt")),
                last=finished,
                events=unhealthy[:3],
                **base,
            )
        if cs.get("ready") is False and state.get("running") is not None:
            probe = (
                best_message(unhealthy, "readiness")
                or best_message(unhealthy, "startup")
                or best_message(unhealthy, "")
            )
            return PodProblem(
                pod,
                "not-ready",
                "NotReady",
                probe or "",
                severity=Severity.WARNING,
                cause=CauseCategory.PROBE_FAILURE if unhealthy else None,
                first=first_time(unhealthy),
                last=last_time(unhealthy),
                events=unhealthy[:3],
                **base,
            )
    return None
