"""The EKS analyzers: pure functions over a fetched `ClusterState`, each in its own module.

`analyze` runs them all and returns the findings (deduplicated, worst and most relevant first)
and notes (what could not be told, e.g. pruned rollout history).
"""

from __future__ import annotations

from agents.common.scope import Scope
from agents.common.signatures import Signatures
from agents.eks.analyzers.attach import analyze_attachments
from agents.eks.analyzers.certificates import analyze_certificates
from agents.eks.analyzers.cluster_dns import analyze_cluster_dns
from agents.eks.analyzers.common import Analysis
from agents.eks.analyzers.conditions import analyze_conditions, with_reasons
from agents.eks.analyzers.config_changes import analyze_config_changes
from agents.eks.analyzers.cronjobs import analyze_cronjobs
from agents.eks.analyzers.disruptions import analyze_disruptions
from agents.eks.analyzers.dns_down import analyze_dns_down
from agents.eks.analyzers.dns_placement import analyze_dns_placement
from agents.eks.analyzers.endpoints import Endpoint
from agents.eks.analyzers.events import analyze_events
from agents.eks.analyzers.gateway import analyze_gateway_api
from agents.eks.analyzers.gitops import analyze_gitops
from agents.eks.analyzers.ingress import analyze_ingresses
from agents.eks.analyzers.logs import controllers, explain_crashes, log_findings, read_tails
from agents.eks.analyzers.netpol import analyze_network_policies, attribute_timeouts
from agents.eks.analyzers.netpol_callers import analyze_refused_callers
from agents.eks.analyzers.netpol_ingress import analyze_dependency_ingress
from agents.eks.analyzers.nodeclaims import analyze_nodeclaims
from agents.eks.analyzers.nodepools import analyze_nodepools
from agents.eks.analyzers.nodes import analyze_nodes
from agents.eks.analyzers.pod_findings import analyze_pods
from agents.eks.analyzers.pod_refs import analyze_pod_refs
from agents.eks.analyzers.quotas import analyze_quotas, analyze_service_accounts
from agents.eks.analyzers.readiness_gates import analyze_readiness_gates
from agents.eks.analyzers.recent_changes import analyze_recent_changes
from agents.eks.analyzers.rollouts import analyze_rollouts, analyze_scaling
from agents.eks.analyzers.scaling import analyze_hpas
from agents.eks.analyzers.services import analyze_services
from agents.eks.analyzers.storage import analyze_pvcs
from agents.eks.analyzers.store_endpoints import analyze_store_endpoints
from agents.eks.analyzers.volumes import analyze_volumes
from agents.eks.analyzers.webhooks import analyze_webhooks
from agents.eks.analyzers.workloads import (
    analyze_deployments,
    analyze_jobs,
    analyze_replicasets,
    analyze_sets,
)
from agents.eks.state import ClusterState
from shared.contracts import Finding

MAX_FINDINGS = 40

__all__ = ["Analysis", "analyze"]


def analyze(
    state: ClusterState,
    scope: Scope,
    signatures: Signatures,
    endpoints: tuple[Endpoint, ...] = (),
    alert_text: str = "",
) -> tuple[list[Finding], list[str]]:
    analysis = Analysis(scope, state, endpoints, alert_text=alert_text)
    findings: list[Finding] = []
    findings += analyze_pods(analysis)
    findings += analyze_readiness_gates(analysis)
    findings += analyze_store_endpoints(analysis)
    findings += analyze_dns_placement(analysis)
    findings += analyze_dns_down(analysis)
    findings += analyze_cluster_dns(analysis)
    findings += analyze_deployments(analysis)
    findings += analyze_sets(analysis)
    findings += analyze_replicasets(analysis)
    findings += analyze_jobs(analysis)
    findings += analyze_nodes(analysis)
    findings += analyze_hpas(analysis)
    findings += analyze_pvcs(analysis)
    findings += analyze_services(analysis)
    findings += analyze_cronjobs(analysis)
    findings += analyze_disruptions(analysis)
    findings += analyze_ingresses(analysis)
    findings += analyze_certificates(analysis)
    findings += analyze_gateway_api(analysis)
    findings += analyze_volumes(analysis)
    findings += analyze_attachments(analysis)
    findings += analyze_webhooks(analysis)
    findings += analyze_network_policies(analysis)
    findings += analyze_dependency_ingress(analysis)
    findings += analyze_refused_callers(analysis)
    findings += analyze_nodeclaims(analysis)
    findings += analyze_nodepools(analysis)
    findings += analyze_pod_refs(analysis)
    findings += analyze_quotas(analysis)
    rollouts, notes = analyze_rollouts(analysis)
    findings += rollouts
    findings += analyze_scaling(analysis)
    findings += analyze_config_changes(analysis)
    rolled_out = {"/".join(r.resources[0].split("/")[::2]) for r in rollouts if r.resources}
    tails = read_tails(analysis, signatures, rolled_out)
    explained = explain_crashes(findings, tails, analysis.state.pods, controllers(analysis))
    findings = attribute_timeouts(explained + log_findings(analysis, tails))
    covered = {resource for f in findings for resource in f.resources}
    findings += analyze_conditions(analysis, signatures, covered)
    covered = {resource for f in findings for resource in f.resources}
    findings += analyze_events(analysis, covered)
    # After the events: an object's change does not stand for the warnings about it.
    findings += analyze_recent_changes(analysis, findings)
    findings += analyze_gitops(analysis)  # a change, not a problem: it leaves the object uncovered
    findings += analyze_service_accounts(analysis, findings)
    findings = with_reasons(findings, analysis.state.objects)
    unique: dict[str, Finding] = {}
    for finding in findings:
        unique.setdefault(finding.id, finding)
    # Worst and closest first; at equal weight a finding that names a cause before a symptom.
    ranked = sorted(
        unique.values(),
        key=lambda f: (-f.severity.rank * f.relevance, f.cause_hint is None, -f.relevance, f.id),
    )
    return ranked[:MAX_FINDINGS], notes
