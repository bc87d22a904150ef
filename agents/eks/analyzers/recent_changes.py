"""What changed in the cluster just before the alert, beyond rollouts (`rollouts`) and the
ConfigMaps and Secrets the workloads use (`config_changes`): the objects of the alert's
namespace(s) that shape its pods' traffic and capacity, and the cluster-wide admission webhooks,
created or edited within the lookback (the API records when: `metadata.managedFields[].time`,
`creationTimestamp`, time-valued annotations), and the replicas of a StatefulSet lowered.

Each finding is a change (`Finding.change`) that names the object, when it changed, what it
selects or refers to (so the master can tie it to the alert's workload) and what it now says: a
NetworkPolicy's rules (what it allows, and the destinations the pods' environment names that it
denies), a PodDisruptionBudget's budget, an HPA's bounds, a Service's selector, an Ingress's
backends. An object tied to the alert's pods is as relevant as they are (times its closeness in
time); one that is not is context."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, make_finding, object_evidence, short
from agents.eks.analyzers.config_changes import change_time
from agents.eks.analyzers.netpol import (
    Target,
    _dependency_target,
    _selects,
    _types,
    egress_allowed,
    namespace_labels,
)
from agents.eks.analyzers.netpol_ingress import _host_port, _templates, _workload_name
from agents.eks.analyzers.rollouts import LOOKBACK
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance

NAMESPACED = ("NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Service", "Ingress")
WEBHOOKS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
# A change this long after the alert began cannot have caused it (clock skew aside).
_AFTER = timedelta(minutes=2)
# Who writes a workload's replicas without a person asking.
_AUTOSCALER = re.compile(r"autoscaler|keda|karpenter", re.IGNORECASE)
_JDBC = re.compile(r"^jdbc:", re.IGNORECASE)


def analyze_recent_changes(analysis: Analysis, reported: Iterable[Finding] = ()) -> list[Finding]:
    """Change findings for the objects changed within the lookback (see the module's docstring);
    none for an object another analyzer already reported as a change."""
    covered = {r for f in reported if f.change not in (None, Trigger.NONE) for r in f.resources}
    scope = analysis.scope
    since, until = scope.anchor - LOOKBACK, scope.anchor + _AFTER
    pods = analysis.in_scope_pods()
    listed = analysis.state.namespaces
    findings: list[Finding] = []
    for kind in (*NAMESPACED, *WEBHOOKS, "StatefulSet"):
        for obj in analysis.state.kind(kind):
            if kind in NAMESPACED and listed is not None and o.namespace(obj) not in listed:
                continue  # read beside the scan (a dependency's namespace, kube-system): not listed whole
            if o.path(kind, obj) in covered:
                continue
            if kind == "StatefulSet":
                finding = _replicas_lowered(analysis, obj, since, until)
            else:
                at, source = change_time(obj)
                if at is None or not since <= at <= until:
                    continue
                finding = _changed(analysis, kind, obj, at, source, pods)
            if finding is not None:
                findings.append(finding)
    return findings


def _changed(
    analysis: Analysis, kind: str, obj: Obj, at: datetime, source: str, pods: list[Obj]
) -> Finding | None:
    describe: Callable[[Analysis, Obj, list[Obj]], tuple[str, list[Obj], str, CauseCategory | None]] = {
        "NetworkPolicy": _policy,
        "PodDisruptionBudget": _budget,
        "HorizontalPodAutoscaler": _autoscaler,
        "Service": _service,
        "Ingress": _ingress,
    }.get(kind, _webhook)
    what, touched, denied, cause = describe(analysis, obj, pods)
    ns, name = o.namespace(obj), o.name(obj)
    ref = f"{ns}/{name}" if ns else name
    created = o.created(obj)
    verb = "created" if created is not None and abs((at - created).total_seconds()) < 60 else "changed"
    tied = [p for p in touched if analysis.pod_relevance(p) >= Relevance.DIRECT]
    relevance = max((analysis.pod_relevance(p) for p in tied), default=Relevance.ELSEWHERE)
    workload = _workload_name(analysis, tied[0]) if tied else ""
    proximity = analysis.scope.proximity(at)
    return make_finding(
        f"{kind.lower()}-changed",
        ref,
        severity=Severity.WARNING if tied and proximity >= 0.5 else Severity.INFO,
        title=f"{kind} {ref} {verb} {ago(analysis.scope, at)}"
        + (f", selecting the {workload} pods" if workload else "")
        + (f": it denies {denied}; {what}" if denied else f": {what}"),
        detail=f"{what}\nChange time from {source}.",
        resources=[o.path(kind, obj), *(o.path("Pod", p) for p in tied[:2])],
        evidence=[object_evidence(kind, obj, f"{source}: {at:%Y-%m-%d %H:%M:%S} UTC; {what}", at)],
        cause=cause,
        change=Trigger.CONFIG_CHANGE,
        relevance=relevance * proximity,
        first_seen=at,
        last_seen=at,
    )


# NetworkPolicy: what it allows, in words.


def _peer_text(peer: dict[str, Any]) -> str:
    if "ipBlock" in peer:
        block = peer.get("ipBlock") or {}
        excepted = block.get("except") or []
        return f"{block.get('cidr')}" + (f" except {', '.join(map(str, excepted[:3]))}" if excepted else "")
    parts = []
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is not None:
        parts.append(f"namespaces {_labels_text(ns_sel)}" if _labels_text(ns_sel) else "any namespace")
    if pod_sel is not None:
        parts.append(f"pods {_labels_text(pod_sel)}" if _labels_text(pod_sel) else "all pods")
    return " ".join(parts) or "?"


def _labels_text(selector: dict[str, Any]) -> str:
    pairs = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    pairs += [
        f"{e.get('key')} {e.get('operator')} {','.join(e.get('values') or [])}".strip()
        for e in selector.get("matchExpressions") or []
    ]
    return ",".join(pairs)


def _rule_text(rule: dict[str, Any], peers_key: str) -> str:
    peers = rule.get(peers_key) or []
    where = "; ".join(_peer_text(p) for p in peers[:3]) if peers else "anywhere"
    ports = [f"{p.get('protocol') or 'TCP'}/{p.get('port', 'any')}" for p in rule.get("ports") or []]
    return where + (f" on {', '.join(ports[:4])}" if ports else "")


def policy_rules(policy: Obj) -> str:
    """`egress only to any namespace; namespaces kubernetes.io/metadata.name=kube-system pods
    k8s-app=kube-dns on UDP/53, TCP/53 (no ipBlock: nothing outside the cluster)`, `denies all
    ingress`."""
    spec, texts = o.spec(policy), []
    for kind, key, peers_key, way in (
        ("Egress", "egress", "to", "to"),
        ("Ingress", "ingress", "from", "from"),
    ):
        if kind not in _types(policy):
            continue
        rules = spec.get(key) or []
        if not rules:
            texts.append(f"denies all {key}")
            continue
        text = f"{key} only {way} " + " | ".join(_rule_text(r, peers_key) for r in rules[:4])
        outside = any(
            not r.get(peers_key) or any("ipBlock" in p for p in r.get(peers_key) or []) for r in rules
        )
        if kind == "Egress" and not outside:
            text += " (no ipBlock: no address outside the cluster)"
        texts.append(text)
    return "; ".join(texts) or "no policy type"


def _env_dependencies(analysis: Analysis, pod: Obj) -> list[tuple[Target, str]]:
    """What the pods' environment names as a destination (`jdbc:postgresql://payments-db...:5432`,
    `http://ledger:8080`), with its Target: an ExternalName Service is the host outside the cluster."""
    found: dict[tuple[str, int], tuple[Target, str]] = {}
    for spec in _templates(analysis, pod):
        for container in spec.get("containers") or []:
            for env in (container or {}).get("env") or []:
                value = _JDBC.sub("", str((env or {}).get("value") or ""))
                host, port = _host_port(value)
                if not host or (host, port) in found:
                    continue
                target = _dependency_target(analysis, o.namespace(pod), host, port)
                external = _external_name(analysis, o.namespace(pod), host)
                if external:
                    target = Target(port, ("TCP",), None, None, None, f"{host}:{port} ({external})")
                found[(host, port)] = (target, f"env {env.get('name')}")
    return list(found.values())[:6]


def _external_name(analysis: Analysis, ns: str | None, host: str) -> str:
    parts = host.split(".")
    svc_ns = parts[1] if len(parts) > 1 else ns
    for svc in analysis.state.kind("Service"):
        if (
            o.name(svc) == parts[0]
            and o.namespace(svc) == svc_ns
            and o.spec(svc).get("type") == "ExternalName"
        ):
            return str(o.spec(svc).get("externalName") or "")
    return ""


def _policy(
    analysis: Analysis, policy: Obj, pods: list[Obj]
) -> tuple[str, list[Obj], str, CauseCategory | None]:
    selected = [p for p in pods if _selects(policy, p)]
    denied = ""
    if selected and "Egress" in _types(policy):
        egress = [
            p
            for p in analysis.state.kind("NetworkPolicy")
            if _selects(p, selected[0]) and "Egress" in _types(p)
        ]
        known = namespace_labels(analysis)
        refused = [
            f"egress to {target.text}, named by its {why}"
            for target, why in _env_dependencies(analysis, selected[0])
            if not egress_allowed(egress, target, known)
        ]
        denied = "; ".join(refused[:2])
    selector = _labels_text(o.spec(policy).get("podSelector") or {}) or "all pods of the namespace"
    return (
        f"podSelector {selector}; {policy_rules(policy)}",
        selected,
        denied,
        CauseCategory.NETWORK_FAILURE if denied else None,
    )


def _matching(
    analysis: Analysis, ns: str | None, selector: dict[str, Any] | None, pods: list[Obj]
) -> list[Obj]:
    if not selector:
        return []
    return [p for p in pods if o.namespace(p) == ns and o.label_selector_matches(selector, o.labels(p))]


def _budget(
    analysis: Analysis, pdb: Obj, pods: list[Obj]
) -> tuple[str, list[Obj], str, CauseCategory | None]:
    spec, st = o.spec(pdb), o.status(pdb)
    bounds = ", ".join(f"{k} {spec[k]}" for k in ("minAvailable", "maxUnavailable") if k in spec)
    allowed = st.get("disruptionsAllowed")
    text = f"{bounds or 'no bound'}" + (
        f", {allowed} disruption(s) allowed now" if allowed is not None else ""
    )
    return text, _matching(analysis, o.namespace(pdb), spec.get("selector"), pods), "", None


def _autoscaler(
    analysis: Analysis, hpa: Obj, pods: list[Obj]
) -> tuple[str, list[Obj], str, CauseCategory | None]:
    spec = o.spec(hpa)
    ref = spec.get("scaleTargetRef") or {}
    text = (
        f"scales {ref.get('kind', '?')} {ref.get('name', '?')} between {spec.get('minReplicas', 1)} and "
        f"{spec.get('maxReplicas', '?')} replicas"
    )
    touched = [
        p
        for p in pods
        if o.namespace(p) == o.namespace(hpa) and analysis.workload_of(p)[1] == ref.get("name")
    ]
    return text, touched, "", None


def _service(
    analysis: Analysis, svc: Obj, pods: list[Obj]
) -> tuple[str, list[Obj], str, CauseCategory | None]:
    spec = o.spec(svc)
    ports = ", ".join(
        f"{p.get('port')}->{p.get('targetPort', p.get('port'))}" for p in spec.get("ports") or []
    )
    selector = spec.get("selector") or {}
    text = (
        f"type {spec.get('type', 'ClusterIP')}, selector "
        + (",".join(f"{k}={v}" for k, v in selector.items()) or "none")
        + (f", ports {ports}" if ports else "")
    )
    touched = _matching(analysis, o.namespace(svc), {"matchLabels": selector} if selector else None, pods)
    if not touched and analysis.scope.service == o.name(svc):
        touched = [p for p in pods if o.namespace(p) == o.namespace(svc)]
    return text, touched, "", None


def _ingress(
    analysis: Analysis, ing: Obj, pods: list[Obj]
) -> tuple[str, list[Obj], str, CauseCategory | None]:
    backends: list[str] = []
    for rule in o.spec(ing).get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            service = ((path or {}).get("backend") or {}).get("service") or {}
            port = service.get("port") or {}
            backends.append(
                f"{rule.get('host', '*')}{path.get('path', '/')} -> {service.get('name')}:"
                f"{port.get('number') or port.get('name')}"
            )
    names = {b.split(" -> ")[1].split(":")[0] for b in backends}
    selected: list[Obj] = []
    for svc in analysis.state.kind("Service"):
        if o.namespace(svc) == o.namespace(ing) and o.name(svc) in names:
            selector = o.spec(svc).get("selector") or {}
            selected += _matching(
                analysis, o.namespace(ing), {"matchLabels": selector} if selector else None, pods
            )
    return "backends " + short("; ".join(backends[:3]) or "none", 200), selected, "", None


def _webhook(
    analysis: Analysis, config: Obj, pods: list[Obj]
) -> tuple[str, list[Obj], str, CauseCategory | None]:
    hooks = []
    for hook in config.get("webhooks") or []:
        service = ((hook or {}).get("clientConfig") or {}).get("service") or {}
        backend = f"{service.get('namespace')}/{service.get('name')}" if service else "a URL"
        hooks.append(
            f"{hook.get('name')} (failurePolicy {hook.get('failurePolicy') or 'Fail'}, served by {backend})"
        )
    return "webhooks " + short("; ".join(hooks[:3]) or "none", 200), [], "", None


def _replicas_lowered(analysis: Analysis, sts: Obj, since: datetime, until: datetime) -> Finding | None:
    """A StatefulSet whose `spec.replicas` someone (not an autoscaler) wrote within the lookback,
    now below what it had ready or scaled to zero (its ReplicaSet-less scaling leaves no event)."""
    written: tuple[datetime, str] | None = None
    for entry in o.meta(sts).get("managedFields") or []:
        fields = (entry.get("fieldsV1") or {}) if isinstance(entry, dict) else {}
        at = o.ts(entry.get("time")) if isinstance(entry, dict) else None
        if (
            at is not None
            and "f:replicas" in (fields.get("f:spec") or {})
            and (written is None or at > written[0])
        ):
            written = (at, str(entry.get("manager") or "?"))
    if written is None or not since <= written[0] <= until or _AUTOSCALER.search(written[1]):
        return None
    at, manager = written
    desired = int(o.spec(sts).get("replicas", 1))
    current = int(o.status(sts).get("replicas") or 0)
    if desired >= current and desired > 0:
        return None  # not lowered (or already settled at a higher count)
    ns, name = o.namespace(sts), o.name(sts)
    relevance = analysis.workload_relevance("StatefulSet", ns, name)
    proximity = analysis.scope.proximity(at)
    return make_finding(
        "statefulset-scaled",
        f"{ns}/{name}",
        severity=Severity.WARNING if relevance >= Relevance.NEAR else Severity.INFO,
        title=f"StatefulSet {ns}/{name} replicas set to {desired} (from {current}) by {manager} "
        f"{ago(analysis.scope, at)}",
        resources=[o.path("StatefulSet", sts)],
        evidence=[
            object_evidence("StatefulSet", sts, f"spec.replicas={desired}, status.replicas={current}", at)
        ],
        change=Trigger.CONFIG_CHANGE,
        relevance=relevance * proximity,
        first_seen=at,
        last_seen=at,
    )
