"""Cluster DNS replicas that crash or are not ready: the lookups kube-proxy sends to them time out
or are refused, so every workload that resolves a name sees DNS errors. The DNS pods' own failure
(their crash, whatever its exit) is a network failure of the cluster, the cause its clients'
lookups point at."""

from __future__ import annotations

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence
from agents.eks.analyzers.dns_evidence import dns_controller, dns_relevance
from agents.eks.analyzers.dns_placement import is_dns
from shared.contracts import CauseCategory, Finding, Severity


def _broken(pod: dict) -> tuple[str, int] | None:
    """(state, restarts) of a DNS pod's container that is not ready, or None."""
    for cs in o.status(pod).get("containerStatuses") or []:
        if cs.get("ready"):
            continue
        waiting = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
        restarts = int(cs.get("restartCount") or 0)
        return (waiting or "not ready"), restarts
    return None


def analyze_dns_down(analysis: Analysis) -> list[Finding]:
    pods = [p for p in analysis.state.pods if is_dns(o.labels(p)) and o.status(p).get("phase") != "Succeeded"]
    broken = [(p, b) for p in pods if (b := _broken(p)) is not None]
    if not broken:
        return []
    kind, workload = dns_controller(analysis, broken[0][0])
    ns = o.namespace(broken[0][0])
    states = ", ".join(f"{o.name(p)} {state} ({restarts} restarts)" for p, (state, restarts) in broken[:3])
    nodes = sorted({str(o.spec(p).get("nodeName")) for p, _ in broken if o.spec(p).get("nodeName")})
    return [
        make_finding(
            "cluster-dns-down",
            f"{ns}/{workload}",
            severity=Severity.CRITICAL if len(broken) == len(pods) else Severity.WARNING,
            title=f"Cluster DNS (CoreDNS) {kind} {ns}/{workload}: {len(broken)}/{len(pods)} replicas not "
            f"serving: {states}" + (f"; on node(s) {', '.join(nodes[:3])}" if nodes else ""),
            resources=[f"{ns}/{kind}/{workload}", *(o.path("Pod", p) for p, _ in broken[:5])],
            evidence=[
                object_evidence("Pod", p, f"{state}, restartCount={n}") for p, (state, n) in broken[:3]
            ],
            cause=CauseCategory.NETWORK_FAILURE,
            relevance=dns_relevance(analysis, kind, ns, workload),
        )
    ]
