"""The near end of a refused connection: the alert is about a workload whose pods stop receiving
traffic, and the NetworkPolicies selecting them admit nothing from a caller that is known to call
them (its environment names their Service, or its logs time out on it). The finding names the
caller that is denied, so the report says whose traffic the policy drops, not only that it drops."""

from __future__ import annotations

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis
from agents.eks.analyzers.netpol import Target, _log_lines, _timeouts, _types, namespace_labels
from agents.eks.analyzers.netpol_ingress import (
    _admitting_elsewhere,
    _refusal,
    _selects_labels,
    _target_port,
    _workload_name,
    declared_dependencies,
    ingress_admits,
)
from shared.contracts import Finding

MAX_CALLERS = 3


def analyze_refused_callers(analysis: Analysis) -> list[Finding]:
    """Callers of the alert's pods (other pods read, by what they are configured to call or time out
    on) that the Ingress policies selecting the alert's pods do not admit."""
    policies = analysis.state.kind("NetworkPolicy")
    pods = analysis.in_scope_pods()
    if not policies or not pods:
        return []
    pod = pods[0]
    ns, labels = o.namespace(pod), o.labels(pod)
    guarding = [p for p in policies if "Ingress" in _types(p) and _selects_labels(p, ns, labels)]
    if not guarding:
        return []
    known = namespace_labels(analysis)
    mine = {id(p) for p in pods}
    subject = max(analysis.pod_relevance(p) for p in pods)
    findings: list[Finding] = []
    seen: set[tuple[str | None, str]] = set()
    for caller in analysis.state.pods:
        caller_ns, caller_name = o.namespace(caller), _workload_name(analysis, caller)
        if id(caller) in mine or (caller_ns, caller_name) in seen or len(findings) >= MAX_CALLERS:
            continue
        if o.status(caller).get("phase") in {"Succeeded", "Failed"}:
            continue
        calls = _timeouts(analysis, caller_ns, _log_lines(analysis, [caller]))
        calls += [(t, "") for t, _ in declared_dependencies(analysis, caller)]
        for target, line in calls:
            if target.namespace != ns or not target.labels or not o.selector_matches(target.labels, labels):
                continue
            port = _target_port(analysis, target)
            source = Target(
                port, target.protocols, caller_ns, o.labels(caller), None, f"{caller_ns}/{caller_name}"
            )
            if ingress_admits(guarding, source, known):
                continue
            seen.add((caller_ns, caller_name))
            # The allow policy meant for them that selects none of the alert's pods, if any.
            near = _admitting_elsewhere(analysis, policies, target, source, known)
            findings.append(
                _refusal(analysis, guarding, caller, caller_name, target, port, line, near, subject=subject)
            )
            break
    return findings
