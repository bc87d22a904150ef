"""NetworkPolicies that select the alert's pods and deny the traffic their errors show: DNS
(port 53 to kube-dns), or the dependency their logs time out on; policies that deny all ingress to
them; and policies whose podSelector selects nothing.

A namespaceSelector is matched against the labels of the Namespace objects read (every namespace
carries `kubernetes.io/metadata.name`); a podSelector beside it in the same peer must match too.
Only what the policies prove is claimed: a peer this analyzer cannot evaluate (an ipBlock for a
host name, a namespaceSelector on labels of a namespace that was not read) counts as allowing."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, make_finding, object_evidence, short
from agents.eks.analyzers.config_changes import change_time
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger

DNS_ERROR = re.compile(
    r"temporary failure in name resolution|no such host|NXDOMAIN|EAI_AGAIN|could not resolve host"
    r"|name or service not known|UnknownHostException|lookup \S+ on \S+:53",
    re.IGNORECASE,
)
# A connection that got no answer (`pg_isready`: `host:5432 - no response`).
TIMEOUT = re.compile(
    r"timed? ?out|i/o timeout|ETIMEDOUT|no route to host|EHOSTUNREACH|connect timeout|\bno response\b",
    re.IGNORECASE,
)
# host:port, not a time of day (`21:31:14`, `2026-11-22T21:31:14Z`)
HOST_PORT = re.compile(r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?):(?P<port>\d{2,5})\b(?![:.]\d)")
_CLOCK = re.compile(r"(^|T)\d{1,2}$")
PG_PORT = re.compile(r'server at "(?P<host>[^"]+)".*?port (?P<port>\d{2,5})')
NAME_LABEL = "kubernetes.io/metadata.name"
DENIED = "Denied egress to: "
# Findings whose detail names (after DENIED) a destination the alert's pods cannot reach.
DENIALS = ("eks:networkpolicy-denies-egress:", "eks:networkpolicy-denies-ingress-from:")
DNS_LABELS = {"k8s-app": "kube-dns"}


@dataclass(frozen=True)
class Target:
    """Where traffic goes: a port, and the pods (namespace, labels) or address behind it."""

    port: int
    protocols: tuple[str, ...]
    namespace: str | None = None  # None: outside the cluster
    labels: dict[str, str] | None = None
    ip: str | None = None
    text: str = ""


def _types(policy: Obj) -> list[str]:
    spec = o.spec(policy)
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if spec.get("egress") else []))


def _selects(policy: Obj, pod: Obj) -> bool:
    selector = o.spec(policy).get("podSelector") or {}
    if o.namespace(policy) != o.namespace(pod):
        return False
    return not selector or o.label_selector_matches(selector, o.labels(pod))


NamespaceLabels = dict[str, dict[str, str]]


def namespace_labels(analysis: Analysis) -> NamespaceLabels:
    """Labels of each Namespace read, with the name label the API server always sets; empty (the
    labels unknown) when the list is incomplete, or when no namespace carries any label but its
    name: a cluster that labels no namespace says nothing about the labels a selector expects."""
    if not analysis.state.complete("Namespace"):
        return {}
    known = {o.name(ns): {**o.labels(ns), NAME_LABEL: o.name(ns)} for ns in analysis.state.kind("Namespace")}
    return known if any(set(labels) - {NAME_LABEL} for labels in known.values()) else {}


def _namespace_matches(
    selector: dict[str, Any], namespace: str | None, known: NamespaceLabels | None = None
) -> bool | None:
    """Whether a namespaceSelector selects `namespace`; None when it cannot be told (the selector
    reads labels other than the name of a namespace whose labels were not read)."""
    if not selector:
        return True
    if namespace is None:
        return False
    if known and namespace in known:
        return o.label_selector_matches(selector, known[namespace])
    keys = set(selector.get("matchLabels") or {}) | {
        e.get("key") for e in selector.get("matchExpressions") or []
    }
    if keys - {NAME_LABEL}:
        return None
    return o.label_selector_matches(selector, {NAME_LABEL: namespace})


def _peer_allows(
    peer: dict[str, Any], policy_ns: str | None, target: Target, known: NamespaceLabels | None = None
) -> bool:
    if "ipBlock" in peer:
        block = peer.get("ipBlock") or {}
        try:
            network = ipaddress.ip_network(str(block.get("cidr", "")), strict=False)
        except ValueError:
            return True
        if network.prefixlen == 0:
            return True
        if target.ip is None:
            return target.namespace is None  # an external host name: the block may well cover it
        try:
            address = ipaddress.ip_address(target.ip)
        except ValueError:
            return True
        excluded = any(
            address in ipaddress.ip_network(str(c), strict=False) for c in block.get("except") or []
        )
        return address in network and not excluded
    if target.namespace is None:
        return False  # pod and namespace selectors select pods, not addresses outside the cluster
    ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_selector is None:
        ns_ok: bool | None = target.namespace == policy_ns
    else:
        ns_ok = _namespace_matches(ns_selector, target.namespace, known)
    if ns_ok is False:
        return False
    if pod_selector and target.labels is not None:
        return o.label_selector_matches(pod_selector, target.labels)
    return True


def _port_allows(port: dict[str, Any], target: Target) -> bool:
    if str(port.get("protocol") or "TCP") not in target.protocols:
        return False
    number = port.get("port")
    if number is None:
        return True
    if not str(number).isdigit():
        return True  # a named port: which number it is depends on the pod, assume it matches
    end = port.get("endPort")
    return int(number) == target.port or (end is not None and int(number) <= target.port <= int(end))


def _rule_allows(
    rule: dict[str, Any],
    policy_ns: str | None,
    target: Target,
    peers_key: str,
    known: NamespaceLabels | None = None,
) -> bool:
    ports = rule.get("ports") or []
    if ports and not any(_port_allows(p, target) for p in ports):
        return False
    peers = rule.get(peers_key) or []
    return not peers or any(_peer_allows(p, policy_ns, target, known) for p in peers)


def egress_allowed(policies: list[Obj], target: Target, known: NamespaceLabels | None = None) -> bool:
    """Whether the union of the Egress policies selecting a pod lets it reach `target`."""
    return any(
        _rule_allows(rule, o.namespace(p), target, "to", known)
        for p in policies
        for rule in o.spec(p).get("egress") or []
    )


def _peer_admits_someone(peer: dict[str, Any], policy_ns: str | None, known: NamespaceLabels) -> bool:
    """Whether an ingress peer can match any source: an ipBlock always may; a namespaceSelector
    must match a Namespace that was read (every namespace's labels are known)."""
    if "ipBlock" in peer or peer.get("namespaceSelector") is None:
        return True  # an address block, or pods of the policy's own namespace
    return any(_namespace_matches(peer["namespaceSelector"], ns, known) is not False for ns in known)


def ingress_admits_nothing(policies: list[Obj], known: NamespaceLabels) -> list[str]:
    """The namespaceSelectors of ingress rules that, together, admit no namespace (labels that no
    Namespace carries); empty when some rule admits some source."""
    selectors: list[str] = []
    for policy in policies:
        for rule in o.spec(policy).get("ingress") or []:
            peers = rule.get("from") or []
            if not peers or any(_peer_admits_someone(p, o.namespace(policy), known) for p in peers):
                return []
            selectors += [str(p.get("namespaceSelector")) for p in peers]
    return selectors


def _log_lines(analysis: Analysis, pods: list[Obj]) -> list[str]:
    lines = []
    for pod in pods:
        prefix = f"{o.namespace(pod)}/{o.name(pod)}/"
        for key, text in analysis.state.logs.items():
            if key.startswith(prefix):
                lines += text.splitlines()[-200:]
    return lines


def _dependency_target(analysis: Analysis, ns: str | None, host: str, port: int) -> Target:
    try:
        ipaddress.ip_address(host)
        return Target(port, ("TCP",), None, None, host, f"{host}:{port}")
    except ValueError:
        pass
    parts = host.split(".")
    svc_ns = parts[1] if len(parts) > 1 and (len(parts) == 2 or parts[2] == "svc") else ns
    for svc in analysis.state.kind("Service"):
        if o.name(svc) == parts[0] and o.namespace(svc) == svc_ns and (len(parts) <= 2 or parts[2] == "svc"):
            selector = o.spec(svc).get("selector") or None
            return Target(
                port, ("TCP",), svc_ns, dict(selector) if selector else None, None, f"{host}:{port}"
            )
    if len(parts) == 1 or (len(parts) > 2 and parts[2] == "svc"):
        return Target(port, ("TCP",), svc_ns, None, None, f"{host}:{port}")  # in-cluster, pods unknown
    return Target(port, ("TCP",), None, None, None, f"{host}:{port}")


def _timeouts(analysis: Analysis, ns: str | None, lines: list[str]) -> list[tuple[Target, str]]:
    found: dict[tuple[str, int], tuple[Target, str]] = {}
    for line in lines:
        if not TIMEOUT.search(line) or DNS_ERROR.search(line):
            continue
        pairs = [
            (m.group("host"), int(m.group("port")))
            for m in [*PG_PORT.finditer(line), *HOST_PORT.finditer(line)]
        ]
        for host, port in pairs or _named_services(analysis, ns, line):
            if port > 65535 or _CLOCK.search(host):
                continue  # a clock (12:30), not a host
            if (host, port) not in found:
                found[(host, port)] = (_dependency_target(analysis, ns, host, port), line.strip())
    return list(found.values())[:3]


# A timeout that names what it was calling without a port: `Connection timeout to backend-service!`,
# `timed out connecting to orders-db`.
_CALLED = re.compile(
    r"\b(?:to|connecting to|connect to|calling|reaching|reach|from)\s+[\"'`]?"
    r"(?P<host>[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)?)\b(?![:/\-])"
)


def _named_services(analysis: Analysis, ns: str | None, line: str) -> list[tuple[str, int]]:
    """(host, port) for each Service of the caller's namespace (or `name.namespace`) a timeout line
    names without a port, on each of the Service's ports: only names of Services that exist."""
    found = []
    for match in _CALLED.finditer(line):
        name, _, svc_ns = match.group("host").partition(".")
        for svc in analysis.state.kind("Service"):
            if o.name(svc) == name and o.namespace(svc) == (svc_ns or ns):
                host = f"{name}.{svc_ns}" if svc_ns else name
                found += [(host, int(p["port"])) for p in o.spec(svc).get("ports") or [] if p.get("port")]
    return found[:3]


def analyze_network_policies(analysis: Analysis) -> list[Finding]:
    policies = analysis.state.kind("NetworkPolicy")
    if not policies:
        return []
    findings = _selecting_nothing(analysis, policies)
    pods = analysis.in_scope_pods()
    if not pods:
        return findings
    pod = pods[0]
    ns = o.namespace(pod)
    selecting = [p for p in policies if _selects(p, pod)]
    egress = [p for p in selecting if "Egress" in _types(p)]
    lines = _log_lines(analysis, pods)
    workload = analysis.workload_of(pod)[1]
    known = namespace_labels(analysis)
    if egress:
        dns = Target(53, ("UDP", "TCP"), "kube-system", DNS_LABELS, None, "kube-dns:53")
        if not egress_allowed(egress, dns, known):
            shown = next((line.strip() for line in lines if DNS_ERROR.search(line)), "")
            findings.append(
                _denial(
                    analysis, "dns", egress, pod, workload, "DNS (port 53 to kube-system/kube-dns)", shown
                )
            )
        for target, line in _timeouts(analysis, ns, lines):
            if not egress_allowed(egress, target, known):
                findings.append(
                    _denial(
                        analysis,
                        "egress",
                        egress,
                        pod,
                        workload,
                        f"egress to {target.text}",
                        line,
                        denied=target,
                    )
                )
    ingress = [p for p in selecting if "Ingress" in _types(p)]
    if ingress and not any(o.spec(p).get("ingress") for p in ingress):
        missed = _missed_allows(policies, pod)
        findings.append(
            _denial(
                analysis,
                "ingress",
                ingress,
                pod,
                workload,
                "all ingress (no policy has an ingress rule)" + missed,
                "",
            )
        )
    elif ingress and known and (selectors := ingress_admits_nothing(ingress, known)):
        findings.append(
            _denial(
                analysis,
                "ingress",
                ingress,
                pod,
                workload,
                f"all ingress (its rules admit only namespaces labelled {short('; '.join(selectors), 120)}, "
                "and no Namespace has those labels)",
                "",
            )
        )
    return findings


def _denial(
    analysis: Analysis,
    what: str,
    policies: list[Obj],
    pod: Obj,
    workload: str,
    traffic: str,
    shown: str,
    denied: Target | None = None,
) -> Finding:
    ns = o.namespace(pod)
    names = ", ".join(o.name(p) for p in policies[:3])
    changed = [t for p in policies if (t := change_time(p)[0]) is not None]
    # The destination's Namespace recreated or relabelled lately changes what the policy allows.
    target_ns = next(
        (n for n in analysis.state.kind("Namespace") if denied and o.name(n) == denied.namespace), None
    )
    if target_ns is not None and (t := change_time(target_ns)[0] or o.created(target_ns)) is not None:
        changed.append(t)
    policy_times = changed[: len(policies)]
    newest = max(changed) if changed else None
    recent = newest is not None and newest >= analysis.scope.window_start
    selectors = "; ".join(
        f"{o.name(p)}: podSelector {o.spec(p).get('podSelector') or '{} (all pods)'}, policyTypes {_types(p)}"
        for p in policies[:3]
    )
    return make_finding(
        f"networkpolicy-denies-{what}",
        f"{ns}/{workload}",
        severity=Severity.CRITICAL if shown or recent else Severity.WARNING,
        title=f"NetworkPolicy {ns}/{names} selects the {workload} pods and denies {traffic}"
        + _unmatched(analysis, policies, denied, target_ns)
        + (f": their logs show '{short(shown, 110)}'" if shown else "")
        + (f"; the policy changed {ago(analysis.scope, newest)}" if recent and newest in policy_times else "")
        + _selected_by(policies),
        detail=f"{DENIED}{denied.text}" if denied else "",
        resources=[
            *(o.path("NetworkPolicy", p) for p in policies[:3]),
            o.path("Pod", pod),
            *([f"Namespace/{o.name(target_ns)}"] if target_ns is not None else []),
        ],
        evidence=[object_evidence("NetworkPolicy", p, selectors, change_time(p)[0]) for p in policies[:2]],
        cause=CauseCategory.NETWORK_FAILURE,
        change=Trigger.CONFIG_CHANGE if recent else None,
        relevance=analysis.pod_relevance(pod) if shown or recent else analysis.pod_relevance(pod) * 0.8,
        first_seen=newest,
    )


def _unmatched(analysis: Analysis, policies: list[Obj], denied: Target | None, target_ns: Obj | None) -> str:
    """Why a destination namespace is not admitted: the namespaceSelectors of the rules that open
    the port ask for labels it does not carry (and when it was created or changed)."""
    if denied is None or target_ns is None:
        return ""
    labels = {**o.labels(target_ns), NAME_LABEL: o.name(target_ns)}
    wanted = [
        peer["namespaceSelector"]
        for policy in policies
        for rule in o.spec(policy).get("egress") or []
        if not rule.get("ports") or any(_port_allows(p, denied) for p in rule.get("ports") or [])
        for peer in rule.get("to") or []
        if peer.get("namespaceSelector") and not o.label_selector_matches(peer["namespaceSelector"], labels)
    ]
    if not wanted:
        return ""
    selector = wanted[0].get("matchLabels") or wanted[0]
    asked = (
        ", ".join(f"{k}={v}" for k, v in selector.items()) if wanted[0].get("matchLabels") else str(selector)
    )
    when = change_time(target_ns)[0] or o.created(target_ns)
    changed = (
        f", {'changed' if change_time(target_ns)[0] else 'created'} {ago(analysis.scope, when)},"
        if when
        else ""
    )
    return f" (namespace {o.name(target_ns)}{changed} lacks the label {asked} its namespaceSelector requires)"


def _selected_by(policies: list[Obj]) -> str:
    """`; podSelector of restrict-egress: app=checkout`: the labels each policy selects the pods by
    (said last: cut first when the title is long). An empty podSelector, every pod, is said above."""
    said = [
        f"{o.name(p)}: {_selector_text(sel)}" for p in policies[:3] if (sel := o.spec(p).get("podSelector"))
    ]
    return f"; podSelector of {'; '.join(said)}" if said else ""


def _selector_text(selector: dict[str, Any]) -> str:
    pairs = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    pairs += [
        f"{e.get('key')} {e.get('operator')} {','.join(e.get('values') or [])}".strip()
        for e in selector.get("matchExpressions") or []
    ]
    return ", ".join(pairs) or "{} (all pods)"


def _missed_allows(policies: list[Obj], pod: Obj) -> str:
    """`; the allow policy orders/allow-from-gateway (podSelector app=orders-api) does not select
    them: they carry app.kubernetes.io/name=orders-api`: a policy with ingress rules in the pod's
    namespace, meant for these pods (a label value or key of theirs) but not selecting them."""
    labels = o.labels(pod)
    texts = []
    for policy in policies:
        spec = o.spec(policy)
        if o.namespace(policy) != o.namespace(pod) or not spec.get("ingress") or _selects(policy, pod):
            continue
        wanted = (spec.get("podSelector") or {}).get("matchLabels") or {}
        near = {
            k: v
            for k, v in labels.items()
            if k != "pod-template-hash" and (k in wanted or v in wanted.values())
        }
        if not near:
            continue
        carried = ", ".join(f"{k}={v}" for k, v in list(near.items())[:2])
        missing = ", ".join(k for k, v in wanted.items() if k not in labels)
        texts.append(
            f"; allow policy {o.namespace(policy)}/{o.name(policy)} selects "
            f"{_selector_text(spec.get('podSelector') or {})}, but these pods carry {carried}"
            + (f" (no label key {missing})" if missing else "")
        )
    return "".join(texts[:2])


def _selecting_nothing(analysis: Analysis, policies: list[Obj]) -> list[Finding]:
    state = analysis.state
    if not state.complete("Pod"):
        return []
    findings = []
    for policy in policies:
        ns, selector = o.namespace(policy), o.spec(policy).get("podSelector") or {}
        if not selector or (state.namespaces is not None and ns not in state.namespaces):
            continue
        if any(o.namespace(p) == ns and o.label_selector_matches(selector, o.labels(p)) for p in state.pods):
            continue
        findings.append(
            make_finding(
                "networkpolicy-selects-nothing",
                f"{ns}/{o.name(policy)}",
                severity=Severity.INFO,
                title=f"NetworkPolicy {ns}/{o.name(policy)} selects no pod (podSelector "
                f"{_selector_text(selector)}): "
                "it protects nothing",
                resources=[o.path("NetworkPolicy", policy)],
                evidence=[object_evidence("NetworkPolicy", policy, f"podSelector: {selector}")],
                cause=CauseCategory.BAD_CONFIG,
                relevance=analysis.relevance(ns, o.name(policy)) * 0.5,
            )
        )
    return findings


def attribute_timeouts(findings: list[Finding]) -> list[Finding]:
    """A pod log's "dependency unreachable" timeouts to a destination a NetworkPolicy denies are
    that policy's doing: their cause is the network, not the dependency."""
    denied: dict[str, list[str]] = {}
    for finding in findings:
        if finding.id.startswith(DENIALS) and finding.detail.startswith(DENIED):
            namespace = finding.id.split(":", 2)[2].split("/", 1)[0]
            denied.setdefault(namespace, []).append(finding.detail.removeprefix(DENIED).split("\n", 1)[0])
    if not denied:
        return findings
    out = []
    for finding in findings:
        namespace = finding.resources[0].split("/", 1)[0] if finding.resources else ""
        text = f"{finding.title}\n{finding.detail}"
        if (
            finding.id.startswith("eks:pod-log-errors:")
            and finding.cause_hint is CauseCategory.DEPENDENCY_FAILURE
            and any(target in text for target in denied.get(namespace, []))
        ):
            finding = finding.model_copy(update={"cause_hint": CauseCategory.NETWORK_FAILURE})
        out.append(finding)
    return out
