"""Cluster DNS replicas that all run on one node.

CoreDNS forwards what it cannot answer to the VPC resolver, which allows a fixed number of packets
per second per network interface. Replicas that share a node share its interface: together they
hit that allowance, and the drops show as lookups timing out across the cluster (the node's ENA
counter `linklocal_allowance_exceeded` rises). They also fail together with the node. The finding
is a cause only as the DNS dependency's own failure: on its own (the alert about something else)
it is context.
"""

from __future__ import annotations

from collections import Counter

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence
from agents.eks.analyzers.dns_evidence import dns_controller, dns_relevance
from shared.contracts import CauseCategory, Finding, Severity

_DNS_LABELS = (("k8s-app", "kube-dns"), ("app.kubernetes.io/name", "coredns"), ("k8s-app", "coredns"))


def is_dns(labels: dict[str, str]) -> bool:
    return any(labels.get(k) == v for k, v in _DNS_LABELS)


def analyze_dns_placement(analysis: Analysis) -> list[Finding]:
    pods = [
        p
        for p in analysis.state.pods
        if is_dns(o.labels(p)) and o.status(p).get("phase") == "Running" and o.spec(p).get("nodeName")
    ]
    if len(pods) < 2:
        return []
    nodes = Counter(str(o.spec(p).get("nodeName")) for p in pods)
    if len(nodes) != 1:
        return []
    node = next(iter(nodes))
    kind, workload = dns_controller(analysis, pods[0])
    ns = o.namespace(pods[0])
    return [
        make_finding(
            "dns-one-node",
            f"{ns}/{workload}",
            severity=Severity.WARNING,
            title=(
                f"All {len(pods)} cluster DNS (CoreDNS) replicas of {kind} {ns}/{workload} run on one node, "
                f"{node}: their forwarded queries share its network interface and VPC resolver allowance "
                "(packets per second; check the node's ENA counter linklocal_allowance_exceeded)"
            ),
            resources=[f"{ns}/{kind}/{workload}", *(o.path("Pod", p) for p in pods[:5]), f"Node/{node}"],
            evidence=[object_evidence("Pod", p, f"nodeName: {node}") for p in pods[:3]],
            cause=CauseCategory.NETWORK_FAILURE,
            relevance=dns_relevance(analysis, kind, ns, workload),
            first_seen=max((t for p in pods if (t := o.created(p))), default=None),
        )
    ]
