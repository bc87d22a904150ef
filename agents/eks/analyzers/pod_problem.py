"""One pod problem (what a container status or the pod's phase shows), and the helpers that read
the pod's events for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agents.eks import objects as o
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
RESTART_BURST = 3  # restarts inside the investigation window (see `recent_restarts`)
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
    recent_restarts: int = 0  # of those, inside the investigation window
    first: datetime | None = None
    last: datetime | None = None
    state_text: str = ""
    events: list[Obj] = field(default_factory=list)
    # `ReadonlyFilesystem=True (...)`: the problem condition of the node it fails on, when its
    # siblings on other nodes run (see `pods.node_specific`).
    node_problem: str | None = None


def exit_text(code: int | None) -> str:
    if code is None:
        return "no exit code"
    meaning = EXIT_MEANING.get(code)
    return f"exit code {code}" + (f", {meaning}" if meaning else "")


def best_message(events: list[Obj], contains: str) -> str:
    for event in events:
        message = str(event.get("message", ""))
        if contains.lower() in message.lower():
            return message
    return ""


def first_time(events: list[Obj]) -> datetime | None:
    times = [t for e in events if (t := o.event_first_time(e))]
    return min(times) if times else None


def last_time(events: list[Obj]) -> datetime | None:
    times = [t for e in events if (t := o.event_time(e))]
    return max(times) if times else None


def recent_restarts(pod: Obj, cs: dict[str, Any], events: list[Obj], since: datetime) -> int:
    """How many of a container's restarts fall after `since`, as far as the API tells.

    `restartCount` is cumulative over the pod's life: nine restarts over nine days are no burst.
    All of them are recent when the pod itself is; otherwise the kubelet's `Started` / `Killing`
    events for the container (first seen after `since`, so every start is a restart) count them,
    and a last termination after `since` is at least one."""
    total = int(cs.get("restartCount") or 0)
    created = o.created(pod)
    if created is not None and created >= since:
        return total
    finished = o.ts(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    known = 1 if finished is not None and finished >= since else 0
    name = str(cs.get("name", ""))
    for event in events:
        first = o.event_first_time(event)
        message = str(event.get("message", ""))
        if (
            event.get("reason") in {"Started", "Killing"}
            and first is not None
            and first >= since
            and (f"container {name}" in message or f"container {name}" == message)
        ):
            known = max(known, o.event_count(event))
    return min(total, known)
