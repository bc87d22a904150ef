"""Pods held out of service by a readiness gate while their containers are ready.

A readiness gate (`spec.readinessGates`) adds a condition that something outside the pod sets:
the AWS Load Balancer Controller's `target-health.elbv2.k8s.aws/<target group>` is True only once
the load balancer's own health check passes. When that check fails (a health-check path the
application does not serve, a wrong port or success code), the kubelet's probes pass, the
containers are ready, and still the pod never becomes Ready, so a rollout stalls. The finding
names the gate's reason and message (`Target.ResponseCodeMismatch: Health checks failed with these
codes: [404]`) and the health check the Ingress or Service asks the load balancer for.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence, short
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity

# The AWS Load Balancer Controller's health-check annotations, on an Ingress or a Service.
_HEALTH = "alb.ingress.kubernetes.io/"
_HEALTH_KEYS = (
    ("healthcheck-path", "path"),
    ("healthcheck-port", "port"),
    ("success-codes", "success codes"),
)
_NLB = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-"


def _failing_gates(pod: Obj) -> list[dict[str, Any]]:
    """The pod's readiness-gate conditions that are not True, while its containers are ready."""
    gates = {g.get("conditionType") for g in o.spec(pod).get("readinessGates") or [] if isinstance(g, dict)}
    if not gates:
        return []
    conditions = o.conditions(pod)
    if (conditions.get("ContainersReady") or {}).get("status") == "False":
        return []  # the containers themselves are not ready: the pod analyzers tell why
    if (conditions.get("Ready") or {}).get("status") == "True":
        return []
    return [c for kind, c in conditions.items() if kind in gates and c.get("status") != "True"]


def _services_of(pod: Obj, analysis: Analysis) -> list[Obj]:
    ns, pod_labels = o.namespace(pod), o.labels(pod)
    return [
        s
        for s in analysis.state.kind("Service")
        if o.namespace(s) == ns
        and o.spec(s).get("selector")
        and o.selector_matches(o.spec(s).get("selector"), pod_labels)
    ]


def _health_check(pod: Obj, analysis: Analysis) -> str:
    """`health check path /health, success codes 200 (Ingress shop/storefront)`, from the annotations
    of the Ingress that routes to the pod's Service, else of the Service."""
    services = _services_of(pod, analysis)
    names = {o.name(s) for s in services}
    owners: list[tuple[str, Obj]] = []
    for ingress in analysis.state.kind("Ingress"):
        if o.namespace(ingress) != o.namespace(pod):
            continue
        if names & _backend_services(ingress):
            owners.append(("Ingress", ingress))
    owners += [("Service", s) for s in services]
    for kind, obj in owners:
        notes = o.annotations_of(obj)
        said = [f"{label} {notes[_HEALTH + key]}" for key, label in _HEALTH_KEYS if notes.get(_HEALTH + key)]
        said += [f"{k.removeprefix(_NLB)} {v}" for k, v in sorted(notes.items()) if k.startswith(_NLB)]
        if said:
            return f"health check {', '.join(said)} ({kind} {o.namespace(obj)}/{o.name(obj)})"
    return ""


def _backend_services(ingress: Obj) -> set[str]:
    spec = o.spec(ingress)
    backends = [spec.get("defaultBackend")]
    for rule in spec.get("rules") or []:
        backends += [p.get("backend") for p in ((rule or {}).get("http") or {}).get("paths") or []]
    return {
        str(b["service"]["name"])
        for b in backends
        if isinstance(b, dict) and isinstance(b.get("service"), dict) and b["service"].get("name")
    }


def analyze_readiness_gates(analysis: Analysis) -> list[Finding]:
    """One finding per workload whose pods wait on a failing readiness gate."""
    groups: dict[tuple[str | None, str, str, str], list[tuple[Obj, dict[str, Any]]]] = defaultdict(list)
    totals: dict[tuple[str | None, str, str], int] = defaultdict(int)
    for pod in analysis.state.pods:
        kind, workload = analysis.workload_of(pod)
        totals[(o.namespace(pod), kind, workload)] += 1
        for gate in _failing_gates(pod):
            groups[(o.namespace(pod), kind, workload, str(gate.get("type")))].append((pod, gate))
    findings = []
    for (ns, kind, workload, gate_type), pods in groups.items():
        pods.sort(key=lambda pg: (-analysis.pod_relevance(pg[0]), o.name(pg[0])))
        pod, gate = pods[0]
        why = ": ".join(str(p) for p in (gate.get("reason"), gate.get("message")) if p)
        check = _health_check(pod, analysis)
        total = totals[(ns, kind, workload)]
        of = f" ({len(pods)}/{total} pods of {kind} {ns}/{workload})" if kind != "Pod" else ""
        title = (
            f"Load balancer health check failing: pod {ns}/{o.name(pod)}{of} has ready containers but "
            f"its readiness gate is not passing{': ' + short(why, 110) if why else ''}"
            f"{'; ' + check if check else ''}"
        )
        starts = [t for _, g in pods if (t := o.ts(g.get("lastTransitionTime")))]
        probes = [t for _, g in pods if (t := o.ts(g.get("lastProbeTime")))]
        findings.append(
            make_finding(
                "readiness-gate",
                f"{ns}/{workload}",
                severity=Severity.CRITICAL if len(pods) == total else Severity.WARNING,
                title=title,
                detail="\n".join(
                    [f"Readiness gate {gate_type}"]
                    + [
                        f"{o.name(p)}: {g.get('type')}={g.get('status')} {g.get('reason', '')}"
                        for p, g in pods[:10]
                    ]
                    + ([f"Load balancer {check}"] if check else [])
                ),
                resources=[o.path("Pod", p) for p, _ in pods[:10]]
                + ([f"{ns}/{kind}/{workload}"] if kind != "Pod" else []),
                evidence=[
                    object_evidence("Pod", p, f"{g.get('type')}={g.get('status')}: {why}")
                    for p, g in pods[:3]
                ],
                cause=CauseCategory.PROBE_FAILURE,
                relevance=max(analysis.pod_relevance(p) for p, _ in pods),
                first_seen=min(starts) if starts else None,
                last_seen=max(probes) if probes else None,
            )
        )
    return findings
