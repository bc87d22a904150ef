"""Pod log tails (current and previous container): the error lines, and what they point at."""

from __future__ import annotations

from agents.cloudwatch_logs.queries import ERROR_RE
from agents.cloudwatch_logs.signatures import Signatures
from agents.eks.analyzers.common import Analysis, make_finding, short
from shared.contracts import Evidence, EvidenceKind, Finding, Severity

MAX_ERROR_LINES = 5


def error_lines(text: str, limit: int = MAX_ERROR_LINES) -> list[str]:
    """The last `limit` error-looking lines of a log tail, in order."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and ERROR_RE.search(line)]
    return lines[-limit:]


def analyze_pod_logs(analysis: Analysis, signatures: Signatures, rolled_out: set[str]) -> list[Finding]:
    """A finding per fetched log tail holding error lines. `rolled_out` names `ns/workload`s with a
    rollout in the window (code-regression signatures count only after one)."""
    findings = []
    pods = {
        (p.get("metadata", {}).get("namespace"), p.get("metadata", {}).get("name")): p
        for p in analysis.state.pods
    }
    for key, text in sorted(analysis.state.logs.items()):
        parts = key.split("/")
        if len(parts) < 3:
            continue
        ns, pod_name, container = parts[0], parts[1], parts[2]
        previous = len(parts) > 3 and parts[3] == "previous"
        lines = error_lines(text)
        if not lines:
            continue
        pod = pods.get((ns, pod_name))
        workload = analysis.workload_of(pod)[1] if pod else pod_name
        matched = [(line, sig) for line in reversed(lines) if (sig := signatures.match(line))]
        line, signature = matched[0] if matched else (lines[-1], None)
        cause = signature.category if signature else None
        if signature is not None and signature.after_deploy and f"{ns}/{workload}" not in rolled_out:
            cause = None
        which = "previous (crashed) container" if previous else "current container"
        label = f" ({signature.label})" if signature and cause else ""
        reference = f"{ns}/Pod/{pod_name}/log?container={container}" + ("&previous=true" if previous else "")
        findings.append(
            make_finding(
                "pod-log-errors",
                f"{ns}/{pod_name}/{container}" + ("/previous" if previous else ""),
                severity=Severity.WARNING,
                title=f"Log of the {which} {container} of pod {ns}/{pod_name}{label}: {short(line, 170)}",
                detail="Last error lines:\n" + "\n".join(lines),
                resources=[f"{ns}/Pod/{pod_name}"],
                evidence=[
                    Evidence(kind=EvidenceKind.LOG_LINE, reference=reference, excerpt=ln[:2000])
                    for ln in lines[-3:]
                ],
                cause=cause,
                relevance=analysis.pod_relevance(pod) if pod else analysis.relevance(ns, pod_name),
            )
        )
    return findings
