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


# A program that rejects its command line says so (Go's flag package, argparse, click, cobra, getopt).
BAD_ARGS = re.compile(
    r"flag provided but not defined|unknown (?:flag|option|shorthand flag|command)"
    r"|unrecognized (?:arguments?|option)"
    r"|invalid (?:flag|option|argument)|no such option|unexpected argument|error: unexpected|illegal option",
    re.IGNORECASE,
)
_FLAG = re.compile(r"(-{1,2}[A-Za-z][\w.-]*)")
_ERRORISH = re.compile(
    r"\b(error|fatal|panic|exception|traceback|failed|cannot|could not|unable|denied|refused|invalid)\b",
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


def _tail(analysis: Analysis, pod: Obj, container: str) -> list[str]:
    prefix = f"{o.namespace(pod)}/{o.name(pod)}/{container}"
    text = analysis.state.logs.get(prefix) or analysis.state.logs.get(prefix + "/previous") or ""
    return [line.strip() for line in text.splitlines() if line.strip()][-40:]


def container_args(pod: Obj, container: str) -> list[str]:
    for spec in o.template_containers(pod):
        if spec.get("name") == container:
            return [str(a) for a in [*(spec.get("command") or []), *(spec.get("args") or [])]]
    return []


def _rejected_args(analysis: Analysis, pod: Obj, container: str) -> str | None:
    """`flag provided but not defined: -since-hours (args: --since-hours=48 --dsn-env=DB)`: the
    log line where the program rejects its command line, with the argument it names."""
    for line in _tail(analysis, pod, container):
        if not BAD_ARGS.search(line):
            continue
        args = container_args(pod, container)
        named = [m.group(1).lstrip("-").split("=")[0] for m in _FLAG.finditer(line.split(":", 1)[-1])]
        bad = [a for a in args if any(n and a.lstrip("-").split("=")[0] == n for n in named)]
        text = short(line, 140)
        if bad:
            text += f"; bad argument {', '.join(bad[:3])}"
        if args:
            text += f" (args: {short(' '.join(args), 120)})"
        return text
    return None


def _error_line(analysis: Analysis, pod: Obj, container: str) -> str | None:
    """The last error-looking line of the container's log, else its last line."""
    lines = _tail(analysis, pod, container)
    for line in reversed(lines):
        if _ERRORISH.search(line):
            return short(line, 140)
    return short(lines[-1], 140) if lines else None


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
    rejected = _rejected_args(analysis, pod, name)
    if rejected:
        return f"{text}: {rejected}", CauseCategory.BAD_CONFIG
    last = _error_line(analysis, pod, name)
    if last:
        text += f"; its last log line: {last}"
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


_RUN_SUFFIX = re.compile(r"^(.+)-\d{6,}$")


def _schedule_parent(job: Obj) -> str | None:
    owner = o.owner(job)
    if owner and owner[0] == "CronJob":
        return owner[1]
    match = _RUN_SUFFIX.match(o.name(job))
    return match.group(1) if match else None


def _container_facts(container: dict[str, Any]) -> dict[str, str]:
    facts = {
        "image": str(container.get("image", "")),
        "command": " ".join(str(c) for c in container.get("command") or []),
        "args": " ".join(str(a) for a in container.get("args") or []),
    }
    for env in container.get("env") or []:
        if isinstance(env, dict) and "value" in env:
            facts[f"env {env.get('name')}"] = str(env.get("value"))
    return facts


def changed_since_success(analysis: Analysis, job: Obj) -> str | None:
    """What differs between a failed run and the last successful run of the same schedule (a
    CronJob's Jobs): `args --lookback=24h -> --since-hours=48 (container reconcile, since Job x)`."""
    parent = _schedule_parent(job)
    if parent is None:
        return None
    ns = o.namespace(job)
    succeeded = [
        j
        for j in analysis.state.kind("Job")
        if o.namespace(j) == ns
        and j is not job
        and _schedule_parent(j) == parent
        and (o.conditions(j).get("Complete", {}).get("status") == "True" or o.status(j).get("succeeded"))
    ]
    if not succeeded:
        return None
    last = max(succeeded, key=lambda j: str(o.meta(j).get("creationTimestamp", "")))
    before = {c.get("name"): c for c in o.template_containers(last)}
    changes = []
    for container in o.template_containers(job):
        old = before.get(container.get("name"))
        if old is None:
            continue
        new_facts, old_facts = _container_facts(container), _container_facts(old)
        for key in dict.fromkeys([*old_facts, *new_facts]):
            was, now = old_facts.get(key) or "(none)", new_facts.get(key) or "(none)"
            if was != now:
                changes.append(
                    f"{key} {short(was, 80)} -> {short(now, 80)} (container {container.get('name')})"
                )
    if not changes:
        return None
    return f"changed since the last successful run (Job {o.name(last)}): " + "; ".join(changes[:4])
