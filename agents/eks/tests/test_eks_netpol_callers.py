"""The alert is about the pods a NetworkPolicy cuts off: the finding names the caller whose traffic
is dropped (a workload configured to call them), and stays silent when a policy admits that caller."""

from __future__ import annotations

from typing import Any

from eks_builders import by_prefix, obj, pod, run, running, scope

from shared.contracts import CauseCategory

NET = "networking.k8s.io/v1"
LEDGER = pod(
    "ledger-6d5c4b3a2-k8m2n",
    labels={"app": "ledger"},
    statuses=[running()],
    owner=("ReplicaSet", "ledger-6d5c4b3a2"),
)
CHECKOUT = pod(
    "checkout-7d9f8c6b5-x2k4p",
    labels={"app": "checkout"},
    statuses=[running()],
    owner=("ReplicaSet", "checkout-7d9f8c6b5"),
)
CHECKOUT_DEPLOYMENT = obj(
    "Deployment",
    "checkout",
    spec={
        "selector": {"matchLabels": {"app": "checkout"}},
        "template": {
            "metadata": {"labels": {"app": "checkout"}},
            "spec": {
                "containers": [
                    {"name": "app", "env": [{"name": "LEDGER_URL", "value": "http://ledger.shop.svc:8080"}]}
                ]
            },
        },
    },
)
SERVICE = obj(
    "Service",
    "ledger",
    api="v1",
    spec={"selector": {"app": "ledger"}, "ports": [{"port": 8080, "targetPort": 8080}]},
)


def policy(name: str, ingress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": {"app": "ledger"}}, "policyTypes": ["Ingress"]}
    if ingress is not None:
        spec["ingress"] = ingress
    return obj("NetworkPolicy", name, api=NET, spec=spec)


def test_the_policy_cutting_off_the_alerts_pods_names_the_caller_it_denies() -> None:
    only_payments = policy(
        "ledger-from-payments", [{"from": [{"podSelector": {"matchLabels": {"app": "payments"}}}]}]
    )
    objects = [LEDGER, CHECKOUT, CHECKOUT_DEPLOYMENT, SERVICE, only_payments]
    findings = run(objects, scope(namespace="shop", workload="ledger"))
    [refused] = by_prefix(findings, "eks:networkpolicy-denies-ingress-from:shop/checkout")
    assert (
        "shop/ledger-from-payments" in refused.title
        and "admits no traffic from shop/checkout" in refused.title
    )
    assert refused.cause_hint is CauseCategory.NETWORK_FAILURE and refused.relevance >= 0.5
    admits = policy(
        "ledger-from-checkout", [{"from": [{"podSelector": {"matchLabels": {"app": "checkout"}}}]}]
    )
    findings = run([*objects, admits], scope(namespace="shop", workload="ledger"))
    assert not by_prefix(findings, "eks:networkpolicy-denies-ingress-from:")


def test_the_allow_policy_meant_for_the_alerts_pods_that_selects_none_of_them_is_named() -> None:
    deny = obj(
        "NetworkPolicy", "default-deny-ingress", api=NET, spec={"podSelector": {}, "policyTypes": ["Ingress"]}
    )
    meant = obj(
        "NetworkPolicy",
        "allow-checkout-to-ledger",
        api=NET,
        spec={
            "podSelector": {"matchLabels": {"app": "ledger-api"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "checkout"}}}]}],
        },
    )
    objects = [LEDGER, CHECKOUT, CHECKOUT_DEPLOYMENT, SERVICE, deny, meant]
    [refused] = by_prefix(
        run(objects, scope(namespace="shop", workload="ledger")), "eks:networkpolicy-denies-ingress-from:"
    )
    assert (
        "allow-checkout-to-ledger would admit them but its podSelector app=ledger-api selects none"
        in refused.title
    )
