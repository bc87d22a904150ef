"""The other end of a timeout: the alert's pods time out on an in-cluster dependency, and the
NetworkPolicies selecting the dependency's pods admit no traffic from the alert's pods on that
port. The caller's logs only show timeouts (the CNI drops the SYN), the dependency's pods stay
Ready and see nothing: the policy in the dependency's namespace is the cause, a network failure.

Only what the policies prove is claimed: a dependency whose pods' labels are unknown (no Service
read) or that no Ingress policy selects is allowed."""

from __future__ import annotations

import re
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

# A Service named by its cluster DNS name: `orders-api.orders.svc`, `…svc.cluster.local`.
_SERVICE_HOST = re.compile(
    r"(?P<name>[a-z0-9][a-z0-9\-]*)\.(?P<ns>[a-z0-9][a-z0-9\-]*)\.svc(?:\.cluster\.local)?"
)
# `line` of a refusal whose evidence is the alert itself (it names the failing calls).
ALERTED = "\x00alert"


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


def named_dependencies(analysis: Analysis) -> list[Target]:
    """In-cluster Services the alert itself names by their cluster DNS name (`orders-api.orders.svc`,
    in a URL or in prose): what the alerted calls go to, on the Service's
    only port (0 while the Service is not read)."""
    found: dict[str, Target] = {}
    for endpoint in analysis.endpoints:
        match = _SERVICE_HOST.fullmatch(endpoint.host)
        if not match or endpoint.host in found:
            continue
        name, ns = match.group("name"), match.group("ns")
        port = _only_port(analysis, ns, name)
        target = _dependency_target(analysis, None, f"{name}.{ns}.svc", port)
        found[endpoint.host] = target
    return list(found.values())[:3]


def _only_port(analysis: Analysis, ns: str, name: str) -> int:
    for svc in analysis.state.kind("Service"):
        if o.namespace(svc) == ns and o.name(svc) == name:
            ports = o.spec(svc).get("ports") or []
            if len(ports) == 1 and str(ports[0].get("port", "")).isdigit():
                return int(ports[0]["port"])
    return 0


def dependency_namespaces(analysis: Analysis) -> list[str]:
    """The namespaces of the in-cluster dependencies the alert's pods time out on or are
    configured to call, or the alert names, other than their own: where the policies guarding them
    live."""
    pods = analysis.in_scope_pods()
    if not pods:
        return []
    ns = o.namespace(pods[0])
    targets = [t for t, _ in _timeouts(analysis, ns, _log_lines(analysis, pods))]
    targets += [t for t, _ in declared_dependencies(analysis, pods[0])]
    targets += named_dependencies(analysis)
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
    # The alert says the calls to a Service it names fail: as telling as a timeout in the logs.
    named = [(t, ALERTED) for t in named_dependencies(analysis) if t.text not in seen and t.port]
    seen |= {t.text for t, _ in named}
    declared = [(t, "") for t, _ in declared_dependencies(analysis, pod) if t.text not in seen]
    for target, line in shown + named + declared:
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
        near = _admitting_elsewhere(analysis, policies, target, source, known)
        findings.append(_refusal(analysis, guarding, pod, workload, target, port, line, near))
    return findings


def admitted_peers(policies: list[Obj]) -> str:
    """What the policies' ingress rules admit, worded from their pod and namespace selectors
    (`pods tier=backend`, `namespace monitoring`); "" when a rule admits by address or everyone."""
    said: list[str] = []
    for policy in policies:
        for rule in o.spec(policy).get("ingress") or []:
            for peer in rule.get("from") or []:
                parts = []
                for key, what in (("namespaceSelector", "namespaces"), ("podSelector", "pods")):
                    selector = peer.get(key)
                    if selector is None:
                        continue
                    labels = ", ".join(f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items())
                    parts.append(f"{what} {labels}" if labels else f"all {what}")
                if parts and " and ".join(parts) not in said:
                    said.append(" and ".join(parts))
    return "; ".join(said[:3])


def _admitting_elsewhere(
    analysis: Analysis, policies: list[Obj], target: Target, source: Target, known: dict[str, dict[str, str]]
) -> str:
    """The policy of the dependency's namespace that would admit the caller but selects none of
    the dependency's pods (its podSelector asks for labels they do not carry), worded."""
    for policy in policies:
        if o.namespace(policy) != target.namespace or "Ingress" not in _types(policy):
            continue
        if _selects_labels(policy, target.namespace, target.labels or {}):
            continue
        if not ingress_admits([policy], source, known):
            continue
        selector = o.spec(policy).get("podSelector") or {}
        wanted = ", ".join(f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()) or str(
            selector
        )
        carried = ", ".join(f"{k}={v}" for k, v in sorted((target.labels or {}).items())[:3])
        return (
            f"; {o.name(policy)} would admit them but its podSelector {wanted} selects none of "
            f"the {target.text.split('.', 1)[0]} pods (they carry {carried})"
        )
    return ""


def _refusal(
    analysis: Analysis,
    policies: list[Obj],
    pod: Obj,
    workload: str,
    target: Target,
    port: int,
    line: str,
    near: str = "",
    subject: float | None = None,
) -> Finding:
    """The refusal of `pod`'s (the caller's) traffic to `target`; its relevance is the caller's,
    or `subject`'s (the relevance of the refused pods, when the alert is about them)."""
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
    service = target.text.split(".", 1)[0].split(":", 1)[0]
    admitted = admitted_peers(policies)
    carried = ", ".join(f"{k}={v}" for k, v in sorted(o.labels(pod).items()) if k != "pod-template-hash")
    return make_finding(
        "networkpolicy-denies-ingress-from",
        f"{ns}/{workload}/{dest_ns}/{service}",
        severity=Severity.CRITICAL if line or recent else Severity.WARNING,
        title=f"NetworkPolicy {dest_ns}/{names} selects the {service} pods and admits no traffic from "
        f"{ns}/{workload} on port {port}"
        + (
            " (the alert says these calls fail)"
            if line == ALERTED
            else f": {workload}'s logs show '{short(line, 80 if admitted and not near else 110)}'"
            if line
            else f" ({workload} is configured to call it)"
        )
        + (f"; it admits only {admitted}, {workload}'s pods carry {carried}" if admitted and not near else "")
        + near
        + (f"; the policy was created or changed {ago(analysis.scope, newest)}" if recent else ""),
        detail=f"{DENIED}{target.text}\n{allowed}" + (f"\n{near.removeprefix('; ')}" if near else ""),
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
        relevance=(subject if subject is not None else analysis.pod_relevance(pod))
        * (1.0 if line or recent else 0.6),
        first_seen=newest if recent else None,
    )
