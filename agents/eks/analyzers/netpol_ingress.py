"""The other end of a timeout: the alert's pods time out on an in-cluster dependency, and the
NetworkPolicies selecting the dependency's pods admit no traffic from the alert's pods on that
port. The caller's logs only show timeouts (the CNI drops the SYN), the dependency's pods stay
Ready and see nothing: the policy in the dependency's namespace is the cause, a network failure.

Only what the policies prove is claimed: a dependency whose pods' labels are unknown (no Service
read) or that no Ingress policy selects is allowed."""

from __future__ import annotations

from urllib.parse import urlsplit

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, make_finding, object_evidence, short
from agents.eks.analyzers.config_changes import change_time
from agents.eks.analyzers.netpol import (
    DENIED,
    HOST_PORT,
    Target,
    _dependency_target,
    _log_lines,
    _rule_allows,
    _timeouts,
    _types,
    namespace_labels,
)
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger


def _selects_labels(policy: Obj, namespace: str | None, labels: dict[str, str]) -> bool:
    selector = o.spec(policy).get("podSelector") or {}
    return o.namespace(policy) == namespace and (not selector or o.label_selector_matches(selector, labels))


def _target_port(analysis: Analysis, target: Target) -> int:
    """The pod port behind a Service port (what an ingress policy's ports name)."""
    for svc in analysis.state.kind("Service"):
        if o.namespace(svc) != target.namespace or o.spec(svc).get("selector") != target.labels:
            continue
        for port in o.spec(svc).get("ports") or []:
            if port.get("port") == target.port and str(port.get("targetPort", "")).isdigit():
                return int(port["targetPort"])
    return target.port


def ingress_admits(policies: list[Obj], source: Target, known: dict[str, dict[str, str]]) -> bool:
    """Whether the union of the Ingress policies selecting a pod admits `source` (its namespace
    and labels) on `source.port`."""
    return any(
        _rule_allows(rule, o.namespace(p), source, "from", known)
        for p in policies
        for rule in o.spec(p).get("ingress") or []
    )


def _templates(analysis: Analysis, pod: Obj) -> list[Obj]:
    """The pod spec and the pod templates of the controllers whose selector matches the pod."""
    specs = [o.spec(pod)]
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in analysis.state.kind(kind):
            selector = o.spec(workload).get("selector") or {}
            mine = o.namespace(workload) == o.namespace(pod) and selector
            if mine and o.label_selector_matches(selector, o.labels(pod)):
                specs.append((o.spec(workload).get("template") or {}).get("spec") or {})
    return specs


def _workload_name(analysis: Analysis, pod: Obj) -> str:
    """The pod's controller, or for a pod without owner the controller whose selector matches it."""
    kind, name = analysis.workload_of(pod)
    if kind != "Pod":
        return name
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in analysis.state.kind(kind):
            selector = o.spec(workload).get("selector") or {}
            mine = o.namespace(workload) == o.namespace(pod) and selector
            if mine and o.label_selector_matches(selector, o.labels(pod)):
                return o.name(workload)
    return name


def declared_dependencies(analysis: Analysis, pod: Obj) -> list[tuple[Target, str]]:
    """In-cluster Services the pod's environment points at (`http://ledger.ledger.svc:8080`,
    `redis.cache:6379`), with the env var that names each."""
    found: dict[tuple[str, int], tuple[Target, str]] = {}
    for spec in _templates(analysis, pod):
        for container in spec.get("containers") or []:
            for env in (container or {}).get("env") or []:
                value = str((env or {}).get("value") or "")
                host, port = _host_port(value)
                if not host or "." not in host or (host, port) in found:
                    continue
                target = _dependency_target(analysis, o.namespace(pod), host, port)
                if target.namespace is not None:
                    found[(host, port)] = (target, f"env {env.get('name')}={short(value, 100)}")
    return list(found.values())[:5]


def _host_port(value: str) -> tuple[str, int]:
    if "://" in value:
        try:
            parts = urlsplit(value.strip())
            port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
        except ValueError:
            return "", 0
        return (parts.hostname or "", port) if port else ("", 0)
    match = HOST_PORT.fullmatch(value.strip())
    return (match.group("host"), int(match.group("port"))) if match else ("", 0)


def dependency_namespaces(analysis: Analysis) -> list[str]:
    """The namespaces of the in-cluster dependencies the alert's pods time out on or are
    configured to call, other than their own: where the policies guarding them live."""
    pods = analysis.in_scope_pods()
    if not pods:
        return []
    ns = o.namespace(pods[0])
    targets = [t for t, _ in _timeouts(analysis, ns, _log_lines(analysis, pods))]
    targets += [t for t, _ in declared_dependencies(analysis, pods[0])]
    return list(dict.fromkeys(t.namespace for t in targets if t.namespace and t.namespace != ns))


def analyze_dependency_ingress(analysis: Analysis) -> list[Finding]:
    """Timeouts of the alert's pods to a dependency (or a dependency their environment names)
    whose own NetworkPolicies refuse them."""
    policies = analysis.state.kind("NetworkPolicy")
    pods = analysis.in_scope_pods()
    if not policies or not pods:
        return []
    pod = pods[0]
    ns, workload = o.namespace(pod), _workload_name(analysis, pod)
    known = namespace_labels(analysis)
    findings = []
    shown = _timeouts(analysis, ns, _log_lines(analysis, pods))
    seen = {t.text for t, _ in shown}
    declared = [(t, "") for t, _ in declared_dependencies(analysis, pod) if t.text not in seen]
    for target, line in shown + declared:
        if target.namespace is None or target.labels is None:
            continue
        guarding = [
            p
            for p in policies
            if "Ingress" in _types(p) and _selects_labels(p, target.namespace, target.labels)
        ]
        port = _target_port(analysis, target)
        source = Target(port, target.protocols, ns, o.labels(pod), None, f"{ns}/{workload}")
        if not guarding or ingress_admits(guarding, source, known):
            continue
        findings.append(_refusal(analysis, guarding, pod, workload, target, port, line))
    return findings


def _refusal(
    analysis: Analysis,
    policies: list[Obj],
    pod: Obj,
    workload: str,
    target: Target,
    port: int,
    line: str,
) -> Finding:
    ns, dest_ns = o.namespace(pod), target.namespace
    names = ", ".join(o.name(p) for p in policies[:3])
    changed = [t for p in policies if (t := change_time(p)[0] or o.created(p)) is not None]
    newest = max(changed) if changed else None
    recent = newest is not None and newest >= analysis.scope.window_start
    allowed = "; ".join(
        f"{o.name(p)}: podSelector {o.spec(p).get('podSelector') or '{} (all pods)'}, "
        + (f"ingress from {o.spec(p).get('ingress')}" if o.spec(p).get("ingress") else "no ingress rule")
        for p in policies[:3]
    )
    service = target.text.split(".", 1)[0]
    return make_finding(
        "networkpolicy-denies-ingress-from",
        f"{ns}/{workload}/{dest_ns}/{service}",
        severity=Severity.CRITICAL if line or recent else Severity.WARNING,
        title=f"NetworkPolicy {dest_ns}/{names} selects the {service} pods and admits no traffic from "
        f"{ns}/{workload} on port {port}"
        + (
            f": {workload}'s logs show '{short(line, 110)}'"
            if line
            else f" ({workload} is configured to call it)"
        )
        + (f"; the policy was created or changed {ago(analysis.scope, newest)}" if recent else ""),
        detail=f"{DENIED}{target.text}\n{allowed}",
        resources=[
            *(o.path("NetworkPolicy", p) for p in policies[:3]),
            o.path("Pod", pod),
            f"{dest_ns}/Service/{service}",
        ],
        evidence=[
            object_evidence("NetworkPolicy", p, short(allowed, 400), change_time(p)[0]) for p in policies[:2]
        ],
        cause=CauseCategory.NETWORK_FAILURE,
        change=Trigger.CONFIG_CHANGE if recent else None,
        relevance=analysis.pod_relevance(pod) if line or recent else analysis.pod_relevance(pod) * 0.6,
        first_seen=newest if recent else None,
    )
