"""Pod problems: what each container's status and the pod's events say, per pod.

Covers CrashLoopBackOff (with the last termination reason and exit code), OOMKilled,
ImagePullBackOff / ErrImagePull, CreateContainerConfigError / CreateContainerError, Pending with the
scheduler's reason, volumes that will not mount, Evicted, running-but-not-ready with the failing
probe, restart bursts and failed pods. `pod_findings` groups the problems per workload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Severity

IMAGE_PULL = {
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
}
CREATE_ERRORS = {
    "CreateContainerError",
    "RunContainerError",
    "ContainerCannotRun",
    "StartError",
    "PreCreateHookError",
    "PostStartHookError",
}
EXIT_MEANING = {
    1: "application error",
    2: "misuse of shell builtins",
    126: "command not executable",
    127: "command not found",
    128: "invalid exit argument",
    134: "SIGABRT",
    137: "SIGKILL",
    139: "SIGSEGV",
    143: "SIGTERM",
    255: "exit status out of range",
}
RESTART_BURST = 3
STUCK_CREATING = timedelta(minutes=3)
STUCK_PENDING = timedelta(minutes=10)


@dataclass
class PodProblem:
    pod: Obj
    kind: str  # crashloop, oomkilled, image-pull, config-error, create-error, pending, volume, sandbox,
    #            evicted, not-ready, restarts, failed
    reason: str
    message: str = ""
    container: str | None = None
    cause: CauseCategory | None = None
    severity: Severity = Severity.WARNING
    exit_code: int | None = None
    terminated_reason: str | None = None
    image: str | None = None
    restarts: int = 0
    first: datetime | None = None
    last: datetime | None = None
    state_text: str = ""
    events: list[Obj] = field(default_factory=list)


def exit_text(code: int | None) -> str:
    if code is None:
        return "no exit code"
    meaning = EXIT_MEANING.get(code)
    return f"exit code {code}" + (f", {meaning}" if meaning else "")


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
        return [_evicted(pod, st, events)]
    if phase == "Pending" and o.conditions(pod).get("PodScheduled", {}).get("status") == "False":
        return [_unschedulable(pod, warnings)]

    statuses = [*(st.get("initContainerStatuses") or []), *(st.get("containerStatuses") or [])]
    for cs in statuses:
        problem = _container_problem(pod, cs, phase, warnings, unhealthy, liveness_failed, images, analysis)
        if problem is not None:
            problems.append(problem)
    if not statuses and phase == "Pending":
        problem = _stuck_creating(pod, warnings, analysis, images)
        if problem:
            problems.append(problem)
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
    warnings: list[Obj],
    unhealthy: list[Obj],
    liveness_failed: bool,
    images: dict[str, str],
    analysis: Analysis,
) -> PodProblem | None:
    name = str(cs.get("name", ""))
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
        return PodProblem(
            pod,
            kind,
            "CrashLoopBackOff",
            waiting.get("message", ""),
            severity=Severity.CRITICAL,
            cause=_exit_cause(treason, code, liveness_failed),
            exit_code=code,
            terminated_reason=treason,
            first=_first(backoff) or o.ts(last.get("startedAt")),
            last=_last(backoff) or finished,
            events=backoff[:3],
            **base,
        )
    if reason in IMAGE_PULL:
        pulls = [
            e for e in warnings if e.get("reason") in {"Failed", "BackOff", "ErrImagePull", "InspectFailed"}
        ]
        message = _best_message(pulls, "pull") or waiting.get("message", "")
        return PodProblem(
            pod,
            "image-pull",
            reason,
            message,
            severity=Severity.CRITICAL,
            cause=CauseCategory.IMAGE_PULL,
            first=_first(pulls),
            last=_last(pulls),
            events=pulls[:3],
            **base,
        )
    if reason == "CreateContainerConfigError" or reason in CREATE_ERRORS:
        failed = [e for e in warnings if e.get("reason") in {"Failed", "FailedCreate"}]
        message = waiting.get("message") or _best_message(failed, "") or ""
        kind = "config-error" if reason == "CreateContainerConfigError" else "create-error"
        return PodProblem(
            pod,
            kind,
            reason,
            message,
            severity=Severity.CRITICAL,
            cause=CauseCategory.BAD_CONFIG,
            first=_first(failed),
            last=_last(failed),
            events=failed[:3],
            **base,
        )
    if reason in {"ContainerCreating", "PodInitializing"}:
        return _stuck_creating(pod, warnings, analysis, images, base)
    if state.get("running") is not None or phase == "Running":
        recent = finished is not None and finished >= analysis.scope.window_start
        if last.get("reason") == "OOMKilled" and recent:
            return PodProblem(
                pod,
                "oomkilled",
                "OOMKilled",
                "",
                exit_code=last.get("exitCode"),
                terminated_reason="OOMKilled",
                cause=CauseCategory.OOM,
                severity=Severity.CRITICAL if restarts >= RESTART_BURST else Severity.WARNING,
                first=o.ts(last.get("startedAt")),
                last=finished,
                **base,
            )
        if restarts >= RESTART_BURST and recent:
            treason, code = last.get("reason"), last.get("exitCode")
            return PodProblem(
                pod,
                "restarts",
                "Restarting",
                last.get("message", ""),
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
                _best_message(unhealthy, "readiness")
                or _best_message(unhealthy, "startup")
                or _best_message(unhealthy, "")
            )
            return PodProblem(
                pod,
                "not-ready",
                "NotReady",
                probe or "",
                severity=Severity.WARNING,
                cause=CauseCategory.PROBE_FAILURE if unhealthy else None,
                first=_first(unhealthy),
                last=_last(unhealthy),
                events=unhealthy[:3],
                **base,
            )
    return None


def _stuck_creating(
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
    sandbox = [e for e in warnings if e.get("reason") == "FailedCreatePodSandBox"]
    if mounts:
        return PodProblem(
            pod,
            "volume",
            str(mounts[0].get("reason")),
            _best_message(mounts, ""),
            cause=CauseCategory.STORAGE_FAILURE,
            severity=Severity.CRITICAL,
            first=_first(mounts),
            last=_last(mounts),
            events=mounts[:3],
            **(base or {}),
        )
    if sandbox:
        return PodProblem(
            pod,
            "sandbox",
            "FailedCreatePodSandBox",
            _best_message(sandbox, ""),
            cause=CauseCategory.NETWORK_FAILURE,
            severity=Severity.CRITICAL,
            first=_first(sandbox),
            last=_last(sandbox),
            events=sandbox[:3],
            **(base or {}),
        )
    return None


def _evicted(pod: Obj, st: dict[str, Any], events: list[Obj]) -> PodProblem:
    message = str(st.get("message", ""))
    lowered = message.lower()
    if "exceeds the total limit" in lowered or "exceeded its local ephemeral storage limit" in lowered:
        cause = CauseCategory.DISK_FULL
    elif "the node was low on resource" in lowered or "pressure" in lowered:
        cause = CauseCategory.NODE_FAILURE
    else:
        cause = None
    evictions = [e for e in events if e.get("reason") in {"Evicted", "Killing"}]
    return PodProblem(
        pod,
        "evicted",
        "Evicted",
        message,
        cause=cause,
        severity=Severity.WARNING,
        first=_first(evictions),
        last=_last(evictions),
        events=evictions[:3],
    )


def _unschedulable(pod: Obj, warnings: list[Obj]) -> PodProblem:
    condition = o.conditions(pod).get("PodScheduled", {})
    scheduling = [e for e in warnings if e.get("reason") == "FailedScheduling"]
    message = _best_message(scheduling, "") or condition.get("message", "")
    lowered = message.lower()
    if "persistentvolumeclaim" in lowered or "volume node affinity" in lowered:
        cause = CauseCategory.STORAGE_FAILURE
    else:
        cause = CauseCategory.UNSCHEDULABLE
    first = _first(scheduling) or o.ts(condition.get("lastTransitionTime"))
    last = _last(scheduling) or first
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


def _best_message(events: list[Obj], contains: str) -> str:
    for event in events:
        message = str(event.get("message", ""))
        if contains.lower() in message.lower():
            return message
    return ""


def _first(events: list[Obj]) -> datetime | None:
    times = [t for e in events if (t := o.event_first_time(e))]
    return min(times) if times else None


def _last(events: list[Obj]) -> datetime | None:
    times = [t for e in events if (t := o.event_time(e))]
    return max(times) if times else None
