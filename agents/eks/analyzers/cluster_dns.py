"""The cluster DNS's own state, read for every alert (`agents.eks.cluster_dns`): the CoreDNS
Deployment scaled down (its ScalingReplicaSet event, or who last set its replicas and when), scaled
to zero or with replicas unavailable (no crash of theirs to say why: `dns_down` says that), the
Corefile forwarding every name to an upstream of its own (and when it changed), the DNS Service
without ready endpoints. Every finding names the DNS Deployment (and the Service) in its resources,
so the master's path to "kube-dns" finds it. Relevance: see `dns_evidence`."""

from __future__ import annotations

import re
from datetime import datetime

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence
from agents.eks.analyzers.config_changes import change_time
from agents.eks.analyzers.dns_down import _broken
from agents.eks.analyzers.dns_evidence import dns_relevance
from agents.eks.analyzers.dns_placement import is_dns
from agents.eks.analyzers.rollouts import LOOKBACK, scaled
from agents.eks.analyzers.workloads import replicas
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger

# Who writes a Deployment's replicas without a person asking: an autoscaler, the control plane.
_AUTOMATIC = re.compile(r"autoscaler|kube-controller-manager|eks|addon|cluster-proportional", re.IGNORECASE)
# The root zone's server block, `.:53 {` (also `. {`, `dns://.:53 {`).
_ROOT_BLOCK = re.compile(r"^\s*(?:dns://)?\.(?::\d+)?(?:\s+[^{]*)?\{", re.MULTILINE)
_FORWARD = re.compile(r"^\s*forward\s+\.\s+(?P<to>[^{\n]+)", re.MULTILINE)
DEFAULT_UPSTREAM = "/etc/resolv.conf"


def dns_deployments(deployments: list[Obj]) -> list[Obj]:
    """The Deployments that serve the cluster DNS: by their labels or their pod template's."""
    return [d for d in deployments if is_dns(o.labels(d)) or is_dns(_template_labels(d))]


def _template_labels(dep: Obj) -> dict[str, str]:
    return ((o.spec(dep).get("template") or {}).get("metadata") or {}).get("labels") or {}


def _pods(analysis: Analysis, dep: Obj) -> list[Obj]:
    selector = o.spec(dep).get("selector") or {}
    return [
        p
        for p in analysis.state.pods
        if o.namespace(p) == o.namespace(dep) and selector and o.label_selector_matches(selector, o.labels(p))
    ]


def _services(analysis: Analysis, dep: Obj) -> list[Obj]:
    """The Services that select the DNS pods (kube-dns)."""
    labels = _template_labels(dep)
    return [
        s
        for s in analysis.state.kind("Service")
        if o.namespace(s) == o.namespace(dep)
        and (selector := o.spec(s).get("selector"))
        and o.selector_matches(selector, labels)
    ]


def _resources(dep: Obj, services: list[Obj]) -> list[str]:
    return [o.path("Deployment", dep), *(o.path("Service", s) for s in services[:2])]


def analyze_cluster_dns(analysis: Analysis) -> list[Finding]:
    findings: list[Finding] = []
    for dep in dns_deployments(analysis.state.kind("Deployment"))[:2]:
        ns, name = o.namespace(dep), o.name(dep)
        relevance = dns_relevance(analysis, "Deployment", ns, name)
        services = _services(analysis, dep)
        resources = _resources(dep, services)
        findings += _scaled_down(analysis, dep, relevance, resources)
        findings += _unavailable(analysis, dep, relevance, resources)
        findings += _forward(analysis, dep, relevance, resources)
        findings += _no_endpoints(analysis, dep, services, relevance, resources)
    return findings


def _scaled_down(analysis: Analysis, dep: Obj, relevance: float, resources: list[str]) -> list[Finding]:
    """The Deployment's replicas lowered within the lookback: its ScalingReplicaSet events (the
    ReplicaSet it keeps scaled down, not to zero in a rollout), else the managedFields entry of
    whoever last set `spec.replicas`."""
    ns, name = o.namespace(dep), o.name(dep)
    desired, _ = replicas(dep)
    since = analysis.scope.anchor - LOOKBACK
    steps: list[tuple[datetime, int, int, Obj]] = []
    for event in analysis.events.about("Deployment", ns, name, reason="ScalingReplicaSet"):
        step = scaled(str(event.get("message", "")))
        at = o.event_time(event)
        if step is None or at is None or at < since:
            continue
        _, before, after = step
        # A rollout scales the old ReplicaSet down while the new one comes up: a scale that leaves
        # the Deployment's replicas at the new value is the Deployment's own.
        if before is not None and after < before and after == desired:
            steps.append((at, before, after, event))
    if steps:
        at, before, after, event = max(steps, key=lambda s: s[0])
        return [
            _scale_finding(
                analysis, dep, f"from {before} to {after}", at, relevance, resources, event_evidence(event)
            )
        ]
    entry = _replicas_set(dep)
    if entry is None or entry[0] < since:
        return []
    at, manager = entry
    evidence = object_evidence(
        "Deployment", dep, f"spec.replicas={desired}; managedFields: {manager} at {at:%H:%M:%S} UTC", at
    )
    return [
        _scale_finding(analysis, dep, f"to {desired} (set by {manager})", at, relevance, resources, evidence)
    ]


def _replicas_set(dep: Obj) -> tuple[datetime, str] | None:
    """When and by whom `spec.replicas` was last written, unless by an autoscaler."""
    found: tuple[datetime, str] | None = None
    for entry in o.meta(dep).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        fields_v1 = entry.get("fieldsV1")
        fields = (fields_v1.get("f:spec") or {}) if isinstance(fields_v1, dict) else {}
        at = o.ts(entry.get("time"))
        manager = str(entry.get("manager") or "?")
        if "f:replicas" in fields and at is not None and (found is None or at > found[0]):
            found = (at, manager)
    if found is None or _AUTOMATIC.search(found[1]):
        return None
    return found


def _scale_finding(
    analysis: Analysis,
    dep: Obj,
    how: str,
    at: datetime,
    relevance: float,
    resources: list[str],
    evidence: object,
) -> Finding:
    ns, name = o.namespace(dep), o.name(dep)
    _, ready = replicas(dep)
    proximity = analysis.scope.proximity(at)
    return make_finding(
        "dns-scaled-down",
        f"{ns}/{name}",
        severity=Severity.WARNING,
        title=f"Cluster DNS (CoreDNS) Deployment {ns}/{name} scaled down {how} replicas "
        f"{ago(analysis.scope, at)} ({ready} ready now): fewer DNS pods answer every workload's lookups",
        detail="Fewer CoreDNS replicas share the cluster's lookups: each forwards more queries to the "
        "upstream resolver (the VPC resolver allows 1024 packets/s per network interface), and one node "
        "going away takes DNS with it.",
        resources=resources,
        evidence=[evidence],  # type: ignore[list-item]
        change=Trigger.CONFIG_CHANGE,
        relevance=relevance * proximity,
        first_seen=at,
        last_seen=at,
    )


def _unavailable(analysis: Analysis, dep: Obj, relevance: float, resources: list[str]) -> list[Finding]:
    """Scaled to zero, or fewer replicas available than desired while no DNS pod is seen crashing
    (`dns_down` reports those, with why)."""
    ns, name = o.namespace(dep), o.name(dep)
    desired, ready = replicas(dep)
    spec_replicas = o.spec(dep).get("replicas")
    pods = _pods(analysis, dep)
    if spec_replicas == 0:
        title = f"Cluster DNS (CoreDNS) Deployment {ns}/{name} is scaled to zero: no pod answers lookups"
    elif ready < desired and not any(_broken(p) for p in pods):
        pending = [p for p in pods if o.status(p).get("phase") == "Pending"]
        title = f"Cluster DNS (CoreDNS) Deployment {ns}/{name}: {ready}/{desired} replicas ready" + (
            f"; {len(pending)} pod(s) Pending" if pending else ""
        )
    else:
        return []
    return [
        make_finding(
            "dns-unavailable",
            f"{ns}/{name}",
            severity=Severity.CRITICAL if ready == 0 else Severity.WARNING,
            title=title,
            resources=[*resources, *(o.path("Pod", p) for p in pods[:3])],
            evidence=[
                object_evidence("Deployment", dep, f"spec.replicas={spec_replicas}, readyReplicas={ready}")
            ],
            cause=CauseCategory.NETWORK_FAILURE,
            relevance=relevance,
        )
    ]


def corefile_forward(corefile: str) -> list[str]:
    """The upstreams the root zone (`.`) forwards to: `['10.40.0.2']`, `['/etc/resolv.conf']`."""
    for block in _ROOT_BLOCK.finditer(corefile):
        depth, end = 1, block.end()
        while end < len(corefile) and depth:
            depth += {"{": 1, "}": -1}.get(corefile[end], 0)
            end += 1
        body = corefile[block.end() : end]
        forward = _FORWARD.search(body)
        if forward:
            return forward.group("to").split()
    return []


def mounted_config_maps(deployment: Obj) -> list[str]:
    """The ConfigMaps a DNS Deployment mounts (its Corefile); when its template shows no volume,
    the ConfigMap named like it (`coredns`), as the add-on names it."""
    names = [
        str(v["configMap"]["name"])
        for v in o.pod_spec(deployment).get("volumes") or []
        if isinstance(v, dict) and isinstance(v.get("configMap"), dict) and v["configMap"].get("name")
    ]
    return names or [o.name(deployment)]


def _restarted(dep: Obj) -> tuple[datetime | None, str]:
    """When the DNS pods were last restarted on purpose (`kubectl rollout restart`): the Corefile
    they run took effect then, whenever its ConfigMap was written."""
    annotations = ((o.spec(dep).get("template") or {}).get("metadata") or {}).get("annotations") or {}
    at = o.ts(annotations.get("kubectl.kubernetes.io/restartedAt"))
    return at, "rollout restart (kubectl.kubernetes.io/restartedAt)"


def _forward(analysis: Analysis, dep: Obj, relevance: float, resources: list[str]) -> list[Finding]:
    """The Corefile (in the ConfigMap the DNS pods mount) forwards every external name to an
    upstream other than the node's resolver: what it forwards to, and when it changed (its
    ConfigMap's recorded time, else the DNS pods' restart that loaded it)."""
    ns = o.namespace(dep)
    mounted = set(mounted_config_maps(dep))
    since = analysis.scope.anchor - LOOKBACK
    for cm in analysis.state.kind("ConfigMap"):
        if o.namespace(cm) != ns or o.name(cm) not in mounted:
            continue
        corefile = str((cm.get("data") or {}).get("Corefile") or "")
        upstreams = corefile_forward(corefile)
        if not upstreams or upstreams == [DEFAULT_UPSTREAM]:
            continue
        at, source = change_time(cm)
        if at is None or at < since:
            restarted, why = _restarted(dep)
            if restarted is not None and since <= restarted:
                at, source = restarted, why
        recent = at is not None and at >= since
        stale = at is not None and not recent
        to = " ".join(upstreams)
        changed = (
            "in effect since the DNS pods' restart" if source.startswith("rollout restart") else "changed"
        )
        when = (
            f", {changed} {ago(analysis.scope, at)}"
            if recent
            else (f" (since {at:%Y-%m-%d})" if stale else "")
        )
        return [
            make_finding(
                "dns-corefile-forward",
                f"{ns}/{o.name(cm)}",
                severity=Severity.INFO if stale else Severity.WARNING,
                title=f"Cluster DNS (CoreDNS) forwards every external name to {to}, not the node's resolver "
                f"({DEFAULT_UPSTREAM}): ConfigMap {ns}/{o.name(cm)} (Corefile: forward . {to}){when}",
                detail="Names outside the cluster resolve only while that upstream answers CoreDNS; when "
                "it is unreachable, lookups time out (SERVFAIL) while in-cluster names still resolve.",
                resources=[*resources, o.path("ConfigMap", cm)],
                evidence=[object_evidence("ConfigMap", cm, f"Corefile: forward . {to}; {source}", at)],
                cause=CauseCategory.NETWORK_FAILURE,
                change=Trigger.CONFIG_CHANGE if recent else None,
                relevance=relevance * (analysis.scope.proximity(at) if recent else 1.0),
                first_seen=at if recent else None,
            )
        ]
    return []


def _no_endpoints(
    analysis: Analysis, dep: Obj, services: list[Obj], relevance: float, resources: list[str]
) -> list[Finding]:
    found = []
    endpoints = {(o.namespace(e), o.name(e)): e for e in analysis.state.kind("Endpoints")}
    for svc in services:
        ep = endpoints.get((o.namespace(svc), o.name(svc)))
        if ep is None:
            continue  # not read: nothing to tell
        ready = sum(len(s.get("addresses") or []) for s in ep.get("subsets") or [])
        if ready:
            continue
        not_ready = sum(len(s.get("notReadyAddresses") or []) for s in ep.get("subsets") or [])
        found.append(
            make_finding(
                "dns-service-no-endpoints",
                f"{o.namespace(svc)}/{o.name(svc)}",
                severity=Severity.CRITICAL,
                title=f"Cluster DNS Service {o.namespace(svc)}/{o.name(svc)} has no ready endpoints"
                + (f" ({not_ready} not ready)" if not_ready else "")
                + f": lookups to {o.spec(svc).get('clusterIP') or 'its address'}:53 get no answer",
                resources=[o.path("Service", svc), *resources],
                evidence=[object_evidence("Endpoints", ep, f"ready addresses 0, not ready {not_ready}")],
                cause=CauseCategory.NETWORK_FAILURE,
                relevance=relevance,
            )
        )
    return found
