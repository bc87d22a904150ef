"""The alert's pods cannot reach an in-cluster dependency because the NetworkPolicies in the
dependency's namespace admit no traffic from them: the finding names the policy, the dependency
and the caller, is a network failure, and turns the caller's timeouts into the network's doing.
The scanner reads the policies of the dependency's namespace although the alert names another."""

from __future__ import annotations

from typing import Any

from eks_builders import at, by_prefix, obj, pod, run, running, scope
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.common.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.analyzers.endpoints import Endpoint
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.reader import KubeReader
from agents.eks.state import ClusterState
from shared.contracts import CauseCategory, Severity, Trigger

NET = "networking.k8s.io/v1"
CALLER = pod(
    "billing-5f6d7c8b9-q2w3e",
    "store",
    labels={"app": "billing"},
    statuses=[running()],
    owner=("ReplicaSet", "billing-5f6d7c8b9"),
)
LOG_KEY = "store/billing-5f6d7c8b9-q2w3e/app"
TIMEOUT_LOG = {LOG_KEY: "ERROR call failed: dial tcp inventory.stock.svc.cluster.local:9000: i/o timeout\n"}
INVENTORY = obj(
    "Service",
    "inventory",
    "stock",
    api="v1",
    spec={"selector": {"app": "inventory"}, "ports": [{"port": 9000, "targetPort": 9100}]},
)
NAMESPACES = [
    obj("Namespace", name, None, api="v1", labels={"kubernetes.io/metadata.name": name, "tier": tier})
    for name, tier in (("store", "web"), ("stock", "data"), ("edge", "web"))
]


def policy(name: str, ns: str, selector: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return obj(
        "NetworkPolicy",
        name,
        ns,
        api=NET,
        spec={"podSelector": selector, "policyTypes": ["Ingress"], **spec},
        creationTimestamp=at(12),
    )


def from_namespace(name: str, port: int = 9100) -> list[dict[str, Any]]:
    selector = {"matchLabels": {"kubernetes.io/metadata.name": name}}
    return [{"from": [{"namespaceSelector": selector}], "ports": [{"port": port}]}]


def test_dependency_policy_that_admits_other_namespaces_only_is_the_cause_of_the_timeouts() -> None:
    deny = policy("deny-all", "stock", {})
    only_edge = policy(
        "allow-edge", "stock", {"matchLabels": {"app": "inventory"}}, ingress=from_namespace("edge")
    )
    findings = run([CALLER, INVENTORY, deny, only_edge, *NAMESPACES], scope(workload="billing"), TIMEOUT_LOG)
    [finding] = by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    assert "NetworkPolicy stock/deny-all, allow-edge selects the inventory pods" in finding.title
    assert "admits no traffic from store/billing on port 9100" in finding.title
    assert "i/o timeout" in finding.title
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE and finding.severity is Severity.CRITICAL
    assert finding.change is Trigger.CONFIG_CHANGE  # created 12 min before
    # The caller's own timeout finding is attributed to the network, not to the dependency.
    [logs] = by_prefix(findings, "eks:pod-log-errors:")
    assert "inventory.stock" in logs.title and logs.cause_hint is CauseCategory.NETWORK_FAILURE


def test_dependency_policy_admitting_the_callers_namespace_or_port_is_not_blamed() -> None:
    admits = policy("allow-store", "stock", {}, ingress=from_namespace("store"))
    findings = run([CALLER, INVENTORY, admits, *NAMESPACES], scope(workload="billing"), TIMEOUT_LOG)
    assert not by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    # A policy that opens another port only does refuse the one called.
    other_port = policy("allow-store-metrics", "stock", {}, ingress=from_namespace("store", port=9400))
    findings = run([CALLER, INVENTORY, other_port, *NAMESPACES], scope(workload="billing"), TIMEOUT_LOG)
    assert by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    # A policy selecting other pods of the namespace does not guard the dependency.
    elsewhere = policy("deny-reports", "stock", {"matchLabels": {"app": "reports"}})
    findings = run([CALLER, INVENTORY, elsewhere, *NAMESPACES], scope(workload="billing"), TIMEOUT_LOG)
    assert not by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")


def test_dependency_named_by_the_environment_without_a_log_line() -> None:
    deployment = obj(
        "Deployment",
        "billing",
        "store",
        spec={
            "selector": {"matchLabels": {"app": "billing"}},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "env": [{"name": "INVENTORY_URL", "value": "http://inventory.stock:9000/v2"}],
                        }
                    ]
                }
            },
        },
    )
    deny = policy("deny-all", "stock", {})
    findings = run([CALLER, deployment, INVENTORY, deny, *NAMESPACES], scope(workload="billing"))
    [finding] = by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    assert "billing is configured to call it" in finding.title
    assert finding.change is Trigger.CONFIG_CHANGE
    # A long-standing policy on a dependency the logs do not show failing is only a warning.
    old = {**deny, "metadata": {**deny["metadata"], "creationTimestamp": at(60 * 24 * 90)}}
    findings = run([CALLER, deployment, INVENTORY, old, *NAMESPACES], scope(workload="billing"))
    [quiet] = by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    assert quiet.severity is Severity.WARNING and quiet.change is None and quiet.relevance < 0.6


def test_scan_of_the_callers_namespace_reads_the_dependencys_policies() -> None:
    deny = policy("deny-all", "stock", {})
    with KubeStub([CALLER, INVENTORY, deny, *NAMESPACES], TIMEOUT_LOG) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), scope(namespace="store", workload="billing"), Budget.of(10))
    assert [p["metadata"]["name"] for p in gathered.state.kind("NetworkPolicy")] == ["deny-all"]
    assert any(s["metadata"]["name"] == "inventory" for s in gathered.state.kind("Service"))


def test_a_dependency_the_alert_names_refused_by_default_deny_names_the_allow_policy_selecting_nothing() -> (
    None
):
    # The allow policy still selects app=inventory; the pods (and the Service) moved to the
    # app.kubernetes.io/name label, so only the default deny selects them.
    relabelled = obj(
        "Service",
        "inventory",
        "stock",
        api="v1",
        spec={
            "selector": {"app.kubernetes.io/name": "inventory"},
            "ports": [{"port": 9000, "targetPort": 9100}],
        },
    )
    deny = policy("default-deny-ingress", "stock", {})
    allow = policy(
        "allow-billing", "stock", {"matchLabels": {"app": "inventory"}}, ingress=from_namespace("store")
    )
    objects = [CALLER, relabelled, deny, allow, *NAMESPACES]
    the_scope = scope(namespace="store", workload="billing")
    endpoints = (Endpoint("inventory.stock.svc", ""),)
    findings, _ = analyze(ClusterState.of(objects), the_scope, load_signatures(), endpoints)
    [finding] = by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    assert (
        "stock/default-deny-ingress" in finding.title and "the alert says these calls fail" in finding.title
    )
    assert "allow-billing would admit them but its podSelector app=inventory selects none" in finding.title
    assert finding.severity is Severity.CRITICAL and finding.cause_hint is CauseCategory.NETWORK_FAILURE
    # Without the alert naming it, nothing ties the dependency to the alert.
    findings, _ = analyze(ClusterState.of(objects), the_scope, load_signatures())
    assert not by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    # The scanner reads the dependency's namespace because the alert names it.
    with KubeStub(objects, {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), the_scope, Budget.of(10), endpoints=endpoints)
    assert {o["metadata"]["name"] for o in gathered.state.kind("NetworkPolicy")} == {
        "default-deny-ingress",
        "allow-billing",
    }


def test_a_timeout_naming_a_local_service_without_a_port_is_checked_against_its_policy() -> None:
    """`Connection timeout to ledger!`: the Service of that name in the caller's namespace, on its
    port; the alert names both workloads and the caller is its subject; the policy's admitted pods
    are named against the caller's labels."""
    caller = pod(
        "web-6d7c8b9a5-r5t6y",
        "shop",
        labels={"app": "web", "tier": "frontend"},
        statuses=[running()],
        owner=("ReplicaSet", "web-6d7c8b9a5"),
    )
    callee = pod(
        "ledger-7c9d8f6b5-m2x8z",
        "shop",
        labels={"app": "ledger", "tier": "backend"},
        statuses=[running()],
        owner=("ReplicaSet", "ledger-7c9d8f6b5"),
    )
    service = obj(
        "Service", "ledger", "shop", api="v1", spec={"selector": {"app": "ledger"}, "ports": [{"port": 7000}]}
    )
    guard = policy(
        "ledger-ingress",
        "shop",
        {"matchLabels": {"app": "ledger"}},
        ingress=[
            {"from": [{"podSelector": {"matchLabels": {"tier": "backend"}}}], "ports": [{"port": 7000}]}
        ],
    )
    logs = {"shop/web-6d7c8b9a5-r5t6y/app": "ERROR: Connection timeout to ledger!\n"}
    objects = [callee, caller, service, guard]
    findings = run(objects, scope(namespace="shop", workload="web", service="ledger"), logs)
    [refused] = by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")
    assert "NetworkPolicy shop/ledger-ingress selects the ledger pods" in refused.title
    assert "from shop/web on port 7000" in refused.title
    assert "it admits only pods tier=backend" in refused.title and "tier=frontend" in refused.title
    assert refused.cause_hint is CauseCategory.NETWORK_FAILURE
    # A word after "to" that names no Service is not a dependency.
    quiet = run(
        objects,
        scope(namespace="shop", workload="web"),
        {"shop/web-6d7c8b9a5-r5t6y/app": "timeout to upstream\n"},
    )
    assert not by_prefix(quiet, "eks:networkpolicy-denies-ingress-from:")
