"""Pod log tails (current and previous container): the error lines, and what they point at."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agents.common.crash_lines import crash_lines
from agents.common.signatures import Signature, Signatures, excerpt
from agents.eks import objects as o
from agents.eks.analyzers.cert_mounts import certificate_sources
from agents.eks.analyzers.common import Analysis, make_finding, short
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity

MAX_ERROR_LINES = 5
CERTIFICATE = CauseCategory.CERTIFICATE_EXPIRED


def error_lines(text: str, signatures: Signatures, limit: int = MAX_ERROR_LINES) -> list[str]:
    """The last `limit` error-looking lines of a log tail, in order (error words, or a signature's
    pattern)."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and signatures.is_error_line(line)]
    return lines[-limit:]


_TELLING = re.compile(r"exception|error:|panic|traceback|fatal|caused by", re.IGNORECASE)


def pick_line(lines: list[str], signatures: Signatures) -> tuple[str, Signature | None]:
    """The line that best says what went wrong: the earliest-listed signature wins, then a line
    naming an exception over an access-log line, then the latest."""
    order = {s.id: i for i, s in enumerate(signatures.signatures)}
    best: tuple[tuple[int, int, int], str, Signature | None] | None = None
    for index, line in enumerate(lines):
        signature = signatures.match(line)
        rank = (
            order.get(signature.id, len(order)) if signature else len(order) + 1,
            0 if _TELLING.search(line) else 1,
            -index,
        )
        if best is None or rank < best[0]:
            best = (rank, line, signature)
    assert best is not None
    return best[1], best[2]


@dataclass(frozen=True)
class LogTail:
    """What one fetched log tail says: its error lines and the most telling one."""

    namespace: str
    pod: str
    container: str
    previous: bool
    lines: tuple[str, ...]
    line: str
    signature: Signature | None
    cause: CauseCategory | None

    @property
    def pod_path(self) -> str:
        return f"{self.namespace}/Pod/{self.pod}"


def read_tails(analysis: Analysis, signatures: Signatures, rolled_out: set[str]) -> list[LogTail]:
    """Every fetched tail that holds error lines. `rolled_out` names the `ns/workload`s rolled out
    in the window: code-regression signatures give a cause only after one."""
    pods = {(o.namespace(p), o.name(p)): p for p in analysis.state.pods}
    tails = []
    for key, text in sorted(analysis.state.logs.items()):
        parts = key.split("/")
        if len(parts) < 3:
            continue
        ns, pod_name, container = parts[0], parts[1], parts[2]
        lines = error_lines(text, signatures)
        if not lines:
            continue
        pod = pods.get((ns, pod_name))
        workload = analysis.workload_of(pod)[1] if pod else pod_name
        previous = len(parts) > 3 and parts[3] == "previous"
        # A crashed container's exit is explained by its errors, not by warnings it survived.
        line, signature = pick_line(crash_lines(lines) if previous else lines, signatures)
        cause = signature.category if signature else None
        if signature is not None and signature.after_deploy and f"{ns}/{workload}" not in rolled_out:
            cause = None
        tails.append(LogTail(ns, pod_name, container, previous, tuple(lines), line, signature, cause))
    return tails


def log_findings(analysis: Analysis, tails: list[LogTail]) -> list[Finding]:
    findings = []
    pods = {(o.namespace(p), o.name(p)): p for p in analysis.state.pods}
    for tail in tails:
        pod = pods.get((tail.namespace, tail.pod))
        which = "previous (crashed) container" if tail.previous else "current container"
        label = f" ({tail.signature.label})" if tail.signature and tail.cause else ""
        held = (
            certificate_sources(pod, tail.container, controllers(analysis))
            if pod and tail.cause is CERTIFICATE
            else []
        )
        if held:
            label += f" [its certificate is mounted from {', '.join(held)}]"
        reference = f"{tail.pod_path}/log?container={tail.container}" + (
            "&previous=true" if tail.previous else ""
        )
        findings.append(
            make_finding(
                "pod-log-errors",
                f"{tail.namespace}/{tail.pod}/{tail.container}" + ("/previous" if tail.previous else ""),
                severity=Severity.WARNING,
                title=f"Log of the {which} {tail.container} of pod {tail.namespace}/{tail.pod}{label}: "
                f"{excerpt(tail.line, tail.signature, 170)}",
                detail="Last error lines:\n" + "\n".join(tail.lines),
                resources=[tail.pod_path],
                evidence=[
                    Evidence(kind=EvidenceKind.LOG_LINE, reference=reference, excerpt=ln[:2000])
                    for ln in tail.lines[-3:]
                ],
                cause=tail.cause,
                relevance=analysis.pod_relevance(pod)
                if pod
                else analysis.relevance(tail.namespace, tail.pod),
                last_seen=recovered_at(pod, tail.container) if pod and tail.previous else None,
            )
        )
    return findings


def recovered_at(pod: Obj, container: str) -> datetime | None:
    """When the crashed container whose log this is stopped, if the container runs and is ready
    again since: its errors are over (a resolved alert's problem), not still going."""
    for cs in o.status(pod).get("containerStatuses") or []:
        if cs.get("name") != container or not cs.get("ready") or not (cs.get("state") or {}).get("running"):
            continue
        return o.ts(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    return None


def controllers(analysis: Analysis) -> list[Obj]:
    return [w for kind in ("Deployment", "StatefulSet", "DaemonSet") for w in analysis.state.kind(kind)]


def explain_crashes(
    findings: list[Finding],
    tails: list[LogTail],
    pod_objects: Sequence[Obj] = (),
    workloads: Sequence[Obj] = (),
) -> list[Finding]:
    """A crash finding whose exit code gave no cause takes it from the crashed container's log, and
    quotes the line: `CrashLoopBackOff ... exit code 1; its log: ... no space left on device`."""
    by_pod: dict[str, LogTail] = {}
    for tail in sorted(tails, key=lambda t: not t.previous):  # the previous (crashed) log wins
        if tail.cause is not None:
            by_pod.setdefault(tail.pod_path, tail)
    explained = []
    pods = {o.path("Pod", p): p for p in pod_objects}
    for finding in findings:
        match = by_pod.get(finding.resources[0]) if finding.resources else None
        if (
            match is not None
            and finding.cause_hint is None
            and finding.id.startswith(("eks:pod-crashloop:", "eks:pod-restarts:"))
        ):
            title = f"{finding.title}; its log: {excerpt(match.line, match.signature, 110)}"
            pod = pods.get(finding.resources[0])
            held = (
                certificate_sources(pod, match.container, workloads)
                if pod and match.cause is CERTIFICATE
                else []
            )
            if held:
                title = (
                    f"{finding.title}; its certificate is mounted from {', '.join(held)}; its log: "
                    + excerpt(match.line, match.signature, 110)
                )
            finding = finding.model_copy(update={"cause_hint": match.cause, "title": short(title, 300)})
        explained.append(finding)
    return explained
