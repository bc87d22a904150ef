"""Why a Job's pods failed: OOMKilled, an exit code, a container that could not start (a missing
Secret or ConfigMap key, an image that cannot be pulled), or a log tail saying a setting is
missing. The Job's own conditions only say BackoffLimitExceeded / DeadlineExceeded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, short
from agents.eks.analyzers.pod_problem import IMAGE_PULL, exit_text
from agents.eks.objects import Obj
from shared.contracts import CauseCategory

# A process that stops because a setting it needs is absent says so in its last lines.
MISSING_SETTING = re.compile(
    r"(environment variable|env var)\S*\s+\S+\s+(is\s+)?(not set|missing|required|undefined|empty)"
    r"|(missing|required)\s+(environment variable|env var|setting|config)"
    r"|KeyError: '[A-Z][A-Z0-9_]+'"
    r"|\b[A-Z][A-Z0-9_]{2,}\b (is )?(not set|must be set|is required)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class JobFailure:
    text: str  # `pod nightly-x-abcde container report OOMKilled (exit code 137)`
    cause: CauseCategory | None
    pods: list[str]


def job_pods(analysis: Analysis, job: Obj) -> list[Obj]:
    ns, name = o.namespace(job), o.name(job)
    found = []
    for pod in analysis.state.pods:
        if o.namespace(pod) != ns:
            continue
        labels = o.labels(pod)
        owner = o.owner(pod)
        if (
            owner == ("Job", name)
            or labels.get("job-name") == name
            or labels.get("batch.kubernetes.io/job-name") == name
        ):
            found.append(pod)
    return sorted(found, key=lambda p: str(o.meta(p).get("creationTimestamp", "")), reverse=True)


def _missing_setting(analysis: Analysis, pod: Obj, container: str) -> str | None:
    prefix = f"{o.namespace(pod)}/{o.name(pod)}/{container}"
    for key in (prefix, prefix + "/previous"):
        for line in reversed((analysis.state.logs.get(key) or "").splitlines()):
            if MISSING_SETTING.search(line):
                return short(line.strip(), 140)
    return None


def _container_failure(
    analysis: Analysis, pod: Obj, cs: dict[str, Any]
) -> tuple[str, CauseCategory | None] | None:
    name = str(cs.get("name", ""))
    state = cs.get("state") or {}
    waiting = state.get("waiting") or {}
    terminated = state.get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
    reason = waiting.get("reason")
    if reason == "CreateContainerConfigError" or (reason and "Error" in reason and reason not in IMAGE_PULL):
        return (
            f"container {name} {reason}: {short(str(waiting.get('message', '')), 120)}",
            CauseCategory.BAD_CONFIG,
        )
    if reason in IMAGE_PULL:
        return (
            f"container {name} {reason}: {short(str(waiting.get('message', '')), 120)}",
            CauseCategory.IMAGE_PULL,
        )
    if not terminated or terminated.get("exitCode") in (0, None):
        return None
    code = int(terminated["exitCode"])
    treason = terminated.get("reason") or "Error"
    text = f"container {name} {treason} ({exit_text(code)})"
    if treason == "OOMKilled":
        return text, CauseCategory.OOM
    missing = _missing_setting(analysis, pod, name)
    if missing:
        return f"{text}: {missing}", CauseCategory.BAD_CONFIG
    if code in (126, 127):
        return text, CauseCategory.BAD_CONFIG
    message = terminated.get("message")
    return (f"{text}: {short(str(message), 100)}" if message else text), None


def job_failure(analysis: Analysis, job: Obj) -> JobFailure | None:
    """The failure its newest failed pod shows (None when no pod of the Job was read)."""
    pods = job_pods(analysis, job)
    failed_pods = []
    for pod in pods:
        st = o.status(pod)
        statuses = [*(st.get("initContainerStatuses") or []), *(st.get("containerStatuses") or [])]
        for cs in statuses:
            found = _container_failure(analysis, pod, cs)
            if found:
                failed_pods.append((pod, found))
                break
        else:
            if st.get("phase") == "Failed" and st.get("reason"):
                failed_pods.append((pod, (f"{st['reason']}: {short(str(st.get('message', '')), 100)}", None)))
    if not failed_pods:
        return None
    pod, (text, cause) = next(((p, f) for p, f in failed_pods if f[1] is not None), failed_pods[0])
    return JobFailure(f"pod {o.name(pod)} {text}", cause, [o.name(p) for p, _ in failed_pods])
