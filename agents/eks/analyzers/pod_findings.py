"""Pod problems grouped per workload into findings whose titles carry the facts."""

from __future__ import annotations

import re
from collections import Counter

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence, short
from agents.eks.analyzers.pod_problem import CREATE_ERRORS
from agents.eks.analyzers.pods import PodProblem, exit_text, pod_problems
from agents.eks.analyzers.probes import failing_probe
from agents.eks.analyzers.refs import find
from agents.eks.analyzers.slow_start import killed_before_started
from shared.contracts import Finding, Severity

GroupKey = tuple[str | None, str, str, str, str | None, str]

# `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox
# "4b1f…": ` before the CNI's own words.
_SANDBOX_WRAPPING = re.compile(
    r"^Failed to create pod sandbox: rpc error: code = \w+ desc = |\s*for sandbox \\?\"[0-9a-f]{12,}\\?\""
)

# `Readiness probe failed: ` before the handler's words, when the probe's spec says which it is.
_PROBE_FAILED = re.compile(r"^(?:Readiness|Liveness|Startup) probe failed: ", re.IGNORECASE)

_HTTP_DENIED = re.compile(r"\b40[13] (?:Forbidden|Unauthorized)\b", re.IGNORECASE)

# One failure seen at two moments: kubelet reports ErrImagePull on a failed pull and
# ImagePullBackOff while it waits to retry, so pods of one Deployment alternate between them.
_SAME_FAILURE = {"ErrImagePull": "image-pull", "ImagePullBackOff": "image-pull"}


def analyze_pods(analysis: Analysis) -> list[Finding]:
    """One finding per (workload, problem, container, reason), naming the most relevant pod."""
    groups: dict[GroupKey, list[PodProblem]] = {}
    totals: Counter[tuple[str | None, str, str]] = Counter()
    for pod in analysis.state.pods:
        kind, workload = analysis.workload_of(pod)
        totals[(o.namespace(pod), kind, workload)] += 1
        for problem in pod_problems(pod, analysis):
            reason = problem.terminated_reason or problem.reason
            key = (
                o.namespace(pod),
                kind,
                workload,
                problem.kind,
                problem.container,
                _SAME_FAILURE.get(reason, reason),
            )
            groups.setdefault(key, []).append(problem)
    # Groups that differ only by reason get the reason in their id, so none replaces another.
    shared = Counter(key[:5] for key in groups)
    findings = []
    for key, problems in groups.items():
        ns, kind, workload = key[0], key[1], key[2]
        problems.sort(key=lambda p: (-analysis.pod_relevance(p.pod), o.name(p.pod)))
        findings.append(
            _finding(key, problems, totals[(ns, kind, workload)], analysis, by_reason=shared[key[:5]] > 1)
        )
    return findings


def _memory_limit(problem: PodProblem) -> str | None:
    for container in o.template_containers(problem.pod):
        if container.get("name") == problem.container:
            return ((container.get("resources") or {}).get("limits") or {}).get("memory")
    return None


def _pull_error(message: str) -> str:
    """The registry's answer at the end of a kubelet pull error (`...: not found`)."""
    lowered = message.lower()
    if "not found" in lowered or "manifest unknown" in lowered:
        return "not found (no such tag or repository)"
    if any(w in lowered for w in ("unauthorized", "no basic auth", "403 forbidden", "denied")):
        code = _HTTP_DENIED.search(message)
        # The registry's status code as it said it: 403 (no pull permission) is not 401 (no credentials).
        said = f"{code.group(0)}: " if code else ""
        return f"{said}unauthorized (registry credentials or pull permission)"
    return short(message.rsplit(": ", 1)[-1] if ": " in message else message, 120)


def _not_started(p: PodProblem) -> bool:
    """The runtime could not start the container's process (StartError, exit 126/127/128)."""
    return p.terminated_reason in CREATE_ERRORS or p.exit_code in (126, 127, 128)


def _command(p: PodProblem) -> str:
    """` (command wge -O /work-dir/index.html ...)`: what the container was told to run."""
    for container in o.template_containers(p.pod):
        if container.get("name") == p.container:
            words = [str(w) for w in [*(container.get("command") or []), *(container.get("args") or [])]]
            return f" (command {short(' '.join(words), 80)})" if words else ""
    return ""


def _runtime_error(message: str) -> str:
    """The container runtime's own words at the end of its wrapped error: `failed to create
    containerd task: ... unable to start container process: exec: "/app": ... no such file or
    directory: unknown` -> `exec: "/app": ... no such file or directory`."""
    for marker in ("container process: ", "OCI runtime create failed: "):
        if marker in message:
            return message.rsplit(marker, 1)[1].removesuffix(": unknown")
    return message


def _probe_text(p: PodProblem, analysis: Analysis) -> str | None:
    """Which probe fails (type, handler, port, path, the ports the container declares), from the
    kubelet's Unhealthy message and the pod spec, for a not-ready or probe-killed container."""
    messages = [str(e.get("message", "")) for e in p.events if e.get("reason") == "Unhealthy"]
    messages += [p.message] if p.kind == "not-ready" else []
    kind, workload = analysis.workload_of(p.pod)
    template = find(analysis, kind, o.namespace(p.pod), workload) if kind != "Pod" else None
    for message in messages:
        text = failing_probe(p.pod, p.container, message, template)
        if text:
            return text
    return None


def _title(
    p: PodProblem, pod_ref: str, others: str, window: str = "hour", probe_spec: str | None = None
) -> str:
    """The facts first: reason, pod and container, the numbers; the group size; then the message."""
    title = _plain_title(p, pod_ref, others, window, probe_spec)
    if p.node_problem:
        node = o.spec(p.pod).get("nodeName")
        title = f"{title}; its node {node} reports {p.node_problem}, and its siblings on other nodes run"
    return f"{title}; {probe_spec}" if probe_spec and probe_spec not in title else title


def _plain_title(p: PodProblem, pod_ref: str, others: str, window: str, probe_spec: str | None) -> str:
    where = f"pod {pod_ref}" + (f" container {p.container}" if p.container else "") + others
    image = f", image {o.image_ref(p.image)}" if p.image else ""
    if p.kind == "oomkilled":
        limit = _memory_limit(p)
        state = "CrashLoopBackOff" if p.reason == "CrashLoopBackOff" else "restarted"
        return (
            f"OOMKilled: {where} (exit code {p.exit_code or 137}"
            f"{', memory limit ' + limit if limit else ''}), "
            f"{state}, {p.restarts} restarts{image}"
        )
    slow = killed_before_started(p)
    why = f": {slow}" if slow else ""
    if p.kind == "crashloop":
        if not why and _not_started(p) and p.message:
            why = f": {short(_runtime_error(p.message), 110)}{_command(p)}"
        return (
            f"CrashLoopBackOff: {where} last terminated {p.terminated_reason or 'unknown'} "
            f"({exit_text(p.exit_code)}), {p.restarts} restarts{why}{image}"
        )
    if p.kind == "restarts":
        return (
            f"Restart burst: {where} restarted {p.recent_restarts} times in the last {window} "
            f"({p.restarts} since it started), "
            f"last {p.terminated_reason or 'terminated'} "
            f"({exit_text(p.exit_code)}){why}{image}"
        )
    if p.kind == "image-pull":
        said = _pull_error(p.message)
        # Denied: whose registry (the account in an ECR host) matters; otherwise the tag does.
        image = (p.image or "?") if "unauthorized" in said else o.image_ref(p.image or "?")
        return f"{p.reason}: {where} cannot pull image {image}: {said}"
    if p.kind in {"config-error", "create-error"}:
        return f"{p.reason}: {where}: {short(_runtime_error(p.message), 140)}"
    if p.kind == "pending":
        return f"Pending ({p.reason}): {where}: {short(p.message.split('. preemption:')[0], 150)}"
    if p.kind == "sandbox":
        # The node matters (its CNI, its IP pool); the runtime's wrapping and the sandbox id do not.
        node = o.spec(p.pod).get("nodeName")
        return (
            f"Stuck in ContainerCreating ({p.reason}): {where}{' on node ' + node if node else ''}: "
            f"{short(_SANDBOX_WRAPPING.sub('', p.message), 140)}"
        )
    if p.kind == "volume":
        return f"Stuck in ContainerCreating ({p.reason}): {where}: {short(p.message, 140)}"
    if p.kind == "evicted":
        node = o.spec(p.pod).get("nodeName")
        return f"Evicted: {where}{' from node ' + node if node else ''}: {short(p.message, 140)}"
    if p.kind == "not-ready":
        message = _PROBE_FAILED.sub("", p.message) if probe_spec else p.message
        probe = f": {short(message, 140)}" if message else " (no probe failure event)"
        return f"Running but not Ready: {where}{probe}"
    return f"{p.reason}: {where}{': ' + short(p.message, 140) if p.message else ''}"


def _window(analysis: Analysis) -> str:
    minutes = round((analysis.scope.window_end - analysis.scope.window_start).total_seconds() / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def _finding(
    key: GroupKey, problems: list[PodProblem], total: int, analysis: Analysis, *, by_reason: bool = False
) -> Finding:
    ns, kind, workload, problem_kind, container, reason = key
    first = problems[0]
    pod_ref = f"{ns}/{o.name(first.pod)}"
    others = f" ({len(problems)}/{total} pods of {kind} {ns}/{workload})" if kind != "Pod" else ""
    severity = max((p.severity for p in problems), key=lambda s: s.rank)
    if (
        severity is Severity.WARNING
        and kind != "Pod"
        and len(problems) == total
        and problem_kind in {"not-ready", "pending", "evicted"}
    ):
        severity = Severity.CRITICAL  # every replica is down
    evidence = [
        object_evidence(
            "Pod",
            p.pod,
            f"phase={o.status(p.pod).get('phase')}; {p.state_text}".strip("; ")
            + (f"; {p.message}" if p.message else ""),
            p.last,
        )
        for p in problems[:3]
    ]
    evidence += [event_evidence(e) for e in first.events[:3]]
    firsts = [p.first for p in problems if p.first]
    lasts = [p.last for p in problems if p.last]
    detail_lines = [
        f"{o.name(p.pod)}: {p.reason}"
        + (f" / {p.terminated_reason}" if p.terminated_reason else "")
        + (f", {exit_text(p.exit_code)}" if p.exit_code is not None else "")
        + (f", {p.restarts} restarts" if p.restarts else "")
        + (f", since {ago(analysis.scope, p.first)}" if p.first else "")
        for p in problems[:10]
    ]
    probe_spec = _probe_text(first, analysis)
    if probe_spec:
        detail_lines.insert(0, f"Failing probe: {probe_spec}")
    if first.message:
        detail_lines.append(f"Message: {first.message[:1000]}")
    subject = (
        f"{ns}/{workload}" + (f"/{container}" if container else "") + (f"/{reason}" if by_reason else "")
    )
    return make_finding(
        f"pod-{problem_kind}",
        subject,
        severity=severity,
        title=_title(first, pod_ref, others, _window(analysis), probe_spec),
        detail="\n".join(detail_lines),
        resources=[o.path("Pod", p.pod) for p in problems[:10]]
        + ([f"{ns}/{kind}/{workload}"] if kind != "Pod" else []),
        evidence=evidence,
        cause=next((p.cause for p in problems if p.cause), None),
        relevance=max(analysis.pod_relevance(p.pod) for p in problems),
        first_seen=min(firsts) if firsts else None,
        last_seen=max(lasts) if lasts else None,
    )
