"""NetworkPolicy peers that select namespaces by their own labels (read from the Namespace
objects), with a podSelector beside them, and ingress rules that admit no namespace."""

from __future__ import annotations

from typing import Any

from eks_builders import by_prefix, obj, pod, run, running, scope

from agents.eks.collect import affected_pods
from agents.eks.state import ClusterState
from shared.contracts import CauseCategory

NET = "networking.k8s.io/v1"
CHECKOUT = pod(
    "checkout-7d9f8c6b5-x2k4p",
    labels={"app": "checkout"},
    statuses=[running()],
    owner=("ReplicaSet", "checkout-7d9f8c6b5"),
)
LOGS = {
    "shop/checkout-7d9f8c6b5-x2k4p/app": "ERROR could not connect to ledger.finance.svc.cluster.local:8443: "
    "i/o timeout\n"
}


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return obj("Namespace", name, None, api="v1", labels=labels)


def egress_to(peer: dict[str, Any]) -> dict[str, Any]:
    return obj(
        "NetworkPolicy",
        "checkout-egress",
        api=NET,
        spec={
            "podSelector": {"matchLabels": {"app": "checkout"}},
            "policyTypes": ["Egress"],
            "egress": [
                {"ports": [{"port": 53, "protocol": "UDP"}]},
                {"to": [peer], "ports": [{"port": 8443}]},
            ],
        },
    )


LEDGER = obj(
    "Service", "ledger", "finance", api="v1", spec={"selector": {"app": "ledger"}, "ports": [{"port": 8443}]}
)
PEER = {
    "namespaceSelector": {"matchLabels": {"team": "finance"}},
    "podSelector": {"matchLabels": {"app": "ledger"}},
}


def test_namespace_selector_on_a_label_the_namespace_lacks_denies_the_dependency() -> None:
    unlabelled = namespace("finance", owner="payments")
    findings = run([egress_to(PEER), LEDGER, unlabelled, CHECKOUT], scope(workload="checkout"), LOGS)
    [finding] = by_prefix(findings, "eks:networkpolicy-denies-egress:")
    assert (
        "checkout-egress" in finding.title
        and "egress to ledger.finance.svc.cluster.local:8443" in finding.title
    )
    assert "namespace finance" in finding.title and "lacks the label team=finance" in finding.title
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE
    # The pod's own log of those timeouts is the policy's doing, not the dependency's.
    [log] = by_prefix(findings, "eks:pod-log-errors:")
    assert log.cause_hint is CauseCategory.NETWORK_FAILURE


def test_namespace_with_the_label_and_matching_pods_is_allowed() -> None:
    labelled = namespace("finance", team="finance")
    assert not by_prefix(
        run([egress_to(PEER), LEDGER, labelled, CHECKOUT], scope(workload="checkout"), LOGS),
        "eks:networkpolicy-denies",
    )
    # The namespace matches but the podSelector beside it selects other pods: still denied.
    other_pods = {**PEER, "podSelector": {"matchLabels": {"app": "ledger-v2"}}}
    assert by_prefix(
        run([egress_to(other_pods), LEDGER, labelled, CHECKOUT], scope(workload="checkout"), LOGS),
        "eks:networkpolicy-denies-egress:",
    )


def test_without_the_namespace_labels_nothing_is_claimed() -> None:
    assert not by_prefix(
        run([egress_to(PEER), LEDGER, CHECKOUT], scope(workload="checkout"), LOGS), "eks:networkpolicy-denies"
    )
    # Namespaces that carry only their names: a cluster that labels none tells nothing.
    bare = [namespace("finance"), namespace("shop")]
    assert not by_prefix(
        run([egress_to(PEER), LEDGER, *bare, CHECKOUT], scope(workload="checkout"), LOGS),
        "eks:networkpolicy-denies",
    )


def test_ingress_rules_that_admit_no_namespace_deny_every_caller() -> None:
    policy = obj(
        "NetworkPolicy",
        "allow-from-gateway",
        api=NET,
        spec={
            "podSelector": {"matchLabels": {"app": "checkout"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"role": "edge"}}}]}],
        },
    )
    namespaces = [namespace("shop"), namespace("ingress-nginx", team="platform")]
    [finding] = by_prefix(
        run([policy, *namespaces, CHECKOUT], scope(workload="checkout")), "eks:networkpolicy-denies-ingress:"
    )
    assert "'role': 'edge'" in finding.title and "no Namespace has those labels" in finding.title
    namespaces[1]["metadata"]["labels"]["role"] = "edge"
    assert not by_prefix(
        run([policy, *namespaces, CHECKOUT], scope(workload="checkout")), "eks:networkpolicy-"
    )


def test_an_init_container_waiting_on_a_dependency_egress_denied_names_the_policy() -> None:
    """`host:5432 - no response` from a wait-for-db init container: a call that got no answer,
    checked against the namespace-wide default-deny egress policy; the scan reads that container."""
    initializing = pod(
        "router-64c9b7d5f8-4nq8r",
        "ship",
        phase="Pending",
        labels={"app": "router"},
        statuses=[
            {
                "name": "app",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
        ],
        owner=("ReplicaSet", "router-64c9b7d5f8"),
        initContainerStatuses=[
            {"name": "wait-for-db", "ready": False, "restartCount": 0, "state": {"running": {}}}
        ],
    )
    deny = obj(
        "NetworkPolicy",
        "deny-egress",
        "ship",
        api=NET,
        spec={
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
        },
    )
    db = obj("Service", "pg", "data", api="v1", spec={"selector": {"app": "pg"}, "ports": [{"port": 5432}]})
    logs = {"ship/router-64c9b7d5f8-4nq8r/wait-for-db": "pg.data.svc.cluster.local:5432 - no response\n"}
    the_scope = scope(namespace="ship", workload="router")
    [finding] = by_prefix(run([deny, db, initializing], the_scope, logs), "eks:networkpolicy-denies-egress:")
    assert "deny-egress" in finding.title and "pg.data.svc.cluster.local:5432" in finding.title
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE
    [(_, containers)] = affected_pods(ClusterState.of([initializing]), the_scope, 3)
    assert containers[0][0] == "wait-for-db"
