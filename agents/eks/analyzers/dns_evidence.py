"""How tied the cluster DNS is to the alert. DNS is on every workload's path, so its state is read
for every alert; it is evidence only when the alert is about DNS itself, or when the alert's own
pods (their log tails, their events) or its own words show lookups failing. Otherwise it is context."""

from __future__ import annotations

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis
from agents.eks.analyzers.netpol import DNS_ERROR
from agents.eks.objects import Obj
from shared.causes import IMPLIED_DEPENDENCIES
from shared.relevance import Relevance

# The resolver failed to answer (the master's own rule for "DNS is on the path").
_RESOLVER = next(d.pattern for d in IMPLIED_DEPENDENCIES if d.name == "kube-dns")


def failed_lookup(analysis: Analysis) -> str:
    """A line of the alert's own pods (log tail or event), or of the alert itself, showing a name
    lookup failing; ''."""
    pods = analysis.in_scope_pods()
    prefixes = tuple(f"{o.namespace(p)}/{o.name(p)}/" for p in pods)
    for key, text in analysis.state.logs.items():
        if prefixes and key.startswith(prefixes):
            for line in text.splitlines()[-300:]:
                if DNS_ERROR.search(line) or _RESOLVER.search(line):
                    return line.strip()
    for pod in pods:
        for event in analysis.events.about("Pod", o.namespace(pod), o.name(pod), warning_only=True):
            message = str(event.get("message", ""))
            if DNS_ERROR.search(message) or _RESOLVER.search(message):
                return message.strip()
    # The alert itself quotes the lookups failing (a person pasting the error, an alert's summary).
    for line in analysis.alert_text.splitlines()[:50]:
        if DNS_ERROR.search(line) or _RESOLVER.search(line):
            return line.strip()
    return ""


def dns_controller(analysis: Analysis, pod: Obj) -> tuple[str, str]:
    """A DNS pod's controller; for a pod read without owner, the Deployment whose selector matches it."""
    kind, name = analysis.workload_of(pod)
    if kind != "Pod":
        return kind, name
    for workload in analysis.state.kind("Deployment"):
        selector = o.spec(workload).get("selector") or {}
        mine = o.namespace(workload) == o.namespace(pod) and selector
        if mine and o.label_selector_matches(selector, o.labels(pod)):
            return "Deployment", o.name(workload)
    return kind, name


def dns_relevance(analysis: Analysis, kind: str, ns: str | None, name: str) -> float:
    """The DNS workload's relevance: its own (the alert is about it), else NEAR when the alert's
    pods show lookups failing, else what it is by name (elsewhere)."""
    own = analysis.workload_relevance(kind, ns, name)
    if own >= Relevance.NEAR:
        return own
    return max(own, Relevance.NEAR) if failed_lookup(analysis) else own
