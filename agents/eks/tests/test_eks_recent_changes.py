"""What changed in the cluster just before the alert, beyond rollouts and ConfigMaps: objects of the
alert's namespace created or edited within the lookback, as change findings that say what they
select and what they now allow; a workload scaled down by hand."""

from __future__ import annotations

from typing import Any

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope

from agents.eks.analyzers.recent_changes import policy_rules
from shared.contracts import CauseCategory, Severity, Trigger
from shared.relevance import Relevance

PAYMENTS = scope(namespace="payments", workload="payments-api")


def payments_api(env: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    return [
        obj(
            "Deployment",
            "payments-api",
            "payments",
            spec={
                "replicas": 2,
                "selector": {"matchLabels": {"app": "payments-api"}},
                "template": {
                    "metadata": {"labels": {"app": "payments-api"}},
                    "spec": {
                        "containers": [{"name": "api", "image": "repo/payments-api:12", "env": env or []}]
                    },
                },
            },
            status={"replicas": 2, "readyReplicas": 2},
        ),
        pod("payments-api-6c9b8d7f5-hx2qp", "payments", statuses=[running()], labels={"app": "payments-api"}),
    ]


def policy(name: str, created: float, spec: dict[str, Any]) -> dict[str, Any]:
    return obj(
        "NetworkPolicy",
        name,
        "payments",
        api="networking.k8s.io/v1",
        creationTimestamp=at(created),
        spec=spec,
    )


LOCKDOWN = {
    "podSelector": {},
    "policyTypes": ["Egress"],
    "egress": [
        {"to": [{"namespaceSelector": {}}]},
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
    ],
}
DATABASE = obj(
    "Service",
    "payments-db",
    "payments",
    api="v1",
    spec={"type": "ExternalName", "externalName": "payments-db.cluster-c7xk.eu-west-1.rds.amazonaws.com"},
)
JDBC = [
    {
        "name": "SPRING_DATASOURCE_URL",
        "value": "jdbc:postgresql://payments-db.payments.svc.cluster.local:5432/pay",
    }
]


def test_policy_rules_in_words() -> None:
    text = policy_rules(policy("egress-lockdown", 20, LOCKDOWN))
    assert text.startswith("egress only to any namespace")
    assert "pods k8s-app=kube-dns on UDP/53, TCP/53" in text
    assert "no ipBlock" in text
    deny_all = policy("default-deny", 5, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    assert policy_rules(deny_all) == "denies all egress; denies all ingress"


def test_an_egress_lockdown_applied_minutes_ago_denies_the_database_the_pods_are_configured_for() -> None:
    findings = run([policy("egress-lockdown", 26, LOCKDOWN), DATABASE, *payments_api(JDBC)], PAYMENTS)
    [found] = by_prefix(findings, "eks:networkpolicy-changed:")
    assert "NetworkPolicy payments/egress-lockdown created 24 min before the alert" in found.title
    assert "selecting the payments-api pods" in found.title
    assert "denies egress to payments-db.payments.svc.cluster.local:5432" in found.title
    assert "rds.amazonaws.com" in found.title and "SPRING_DATASOURCE_URL" in found.title
    assert found.change is Trigger.CONFIG_CHANGE and found.cause_hint is CauseCategory.NETWORK_FAILURE
    assert found.severity is Severity.WARNING and found.relevance >= Relevance.NEAR
    assert "payments/NetworkPolicy/egress-lockdown" in found.resources


def test_a_policy_that_allows_the_configured_destination_is_a_change_without_a_cause() -> None:
    open_egress = {**LOCKDOWN, "egress": [*LOCKDOWN["egress"], {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}
    [found] = by_prefix(
        run([policy("egress-lockdown", 26, open_egress), DATABASE, *payments_api(JDBC)], PAYMENTS),
        "eks:networkpolicy-changed:",
    )
    assert "denies egress" not in found.title and found.cause_hint is None
    assert found.change is Trigger.CONFIG_CHANGE


def test_an_old_policy_is_no_change_and_one_for_other_pods_is_context() -> None:
    assert not by_prefix(
        run([policy("egress-lockdown", 60 * 24 * 30, LOCKDOWN), *payments_api()], PAYMENTS),
        "eks:networkpolicy-changed:",
    )
    others = {"podSelector": {"matchLabels": {"app": "ledger"}}, "policyTypes": ["Ingress"]}
    [found] = by_prefix(
        run([policy("ledger-ingress", 10, others), *payments_api()], PAYMENTS), "eks:networkpolicy-changed:"
    )
    assert found.severity is Severity.INFO and found.relevance < Relevance.SUPPORTING


def test_a_pdb_and_an_hpa_changed_name_what_they_select() -> None:
    pdb = obj(
        "PodDisruptionBudget",
        "payments-api",
        "payments",
        api="policy/v1",
        managedFields=[{"manager": "kubectl-client-side-apply", "operation": "Update", "time": at(15)}],
        spec={"minAvailable": "100%", "selector": {"matchLabels": {"app": "payments-api"}}},
        status={"disruptionsAllowed": 0},
    )
    hpa = obj(
        "HorizontalPodAutoscaler",
        "payments-api",
        "payments",
        api="autoscaling/v2",
        creationTimestamp=at(30),
        spec={
            "scaleTargetRef": {"kind": "Deployment", "name": "payments-api"},
            "minReplicas": 2,
            "maxReplicas": 3,
        },
    )
    findings = run([pdb, hpa, *payments_api()], PAYMENTS)
    [budget] = by_prefix(findings, "eks:poddisruptionbudget-changed:")
    assert "changed 13 min before the alert" in budget.title and "minAvailable 100%" in budget.title
    assert "0 disruption(s) allowed" in budget.title and "payments-api pods" in budget.title
    [scaler] = by_prefix(findings, "eks:horizontalpodautoscaler-changed:")
    assert "between 2 and 3 replicas" in scaler.title and scaler.change is Trigger.CONFIG_CHANGE


def test_a_deployment_scaled_down_by_hand_is_a_config_change_and_by_its_hpa_is_not() -> None:
    rs = obj(
        "ReplicaSet",
        "payments-api-6c9b8d7f5",
        "payments",
        creationTimestamp=at(60 * 24 * 3),
        annotations={"deployment.kubernetes.io/revision": "7"},
        ownerReferences=[{"kind": "Deployment", "name": "payments-api", "controller": True}],
    )
    scaled = event(
        "Deployment",
        "payments-api",
        "ScalingReplicaSet",
        "Scaled down replica set payments-api-6c9b8d7f5 from 6 to 2",
        ns="payments",
        type_="Normal",
        first=20,
        last=20,
    )
    [by_hand] = by_prefix(run([rs, scaled, *payments_api()], PAYMENTS), "eks:deployment-scaled:")
    assert "scaled down from 6 to 2 replicas" in by_hand.title
    assert by_hand.change is Trigger.CONFIG_CHANGE and by_hand.severity is Severity.WARNING
    hpa = obj(
        "HorizontalPodAutoscaler",
        "payments-api",
        "payments",
        api="autoscaling/v2",
        creationTimestamp=at(60 * 24 * 90),
    )
    hpa["spec"] = {"scaleTargetRef": {"kind": "Deployment", "name": "payments-api"}, "maxReplicas": 6}
    [automatic] = by_prefix(run([rs, scaled, hpa, *payments_api()], PAYMENTS), "eks:deployment-scaled:")
    assert automatic.change is None and "HorizontalPodAutoscaler" in automatic.title


def test_a_statefulset_scaled_down_by_hand() -> None:
    sts = obj(
        "StatefulSet",
        "payments-ledger",
        "payments",
        managedFields=[
            {
                "manager": "kubectl",
                "operation": "Update",
                "time": at(9),
                "fieldsV1": {"f:spec": {"f:replicas": {}}},
            }
        ],
        spec={"replicas": 1},
        status={"replicas": 3, "readyReplicas": 3},
    )
    scope_ = scope(namespace="payments", workload="payments-ledger")
    [found] = by_prefix(run([sts], scope_), "eks:statefulset-scaled:")
    assert "replicas set to 1 (from 3) by kubectl" in found.title and found.change is Trigger.CONFIG_CHANGE


def test_a_change_does_not_hide_the_warnings_about_its_object() -> None:
    def service(created: float) -> dict[str, Any]:
        return obj(
            "Service",
            "payments-public",
            "payments",
            api="v1",
            creationTimestamp=at(created),
            spec={"type": "LoadBalancer", "selector": {"app": "payments-api"}, "ports": [{"port": 443}]},
        )

    failed = event(
        "Service", "payments-public", "SyncLoadBalancerFailed", "Error syncing load balancer", ns="payments"
    )
    old = run([service(60 * 24 * 30), failed, *payments_api()], PAYMENTS)
    new = run([service(20), failed, *payments_api()], PAYMENTS)
    assert not by_prefix(old, "eks:service-changed:") and by_prefix(new, "eks:service-changed:")
    assert {f.id for f in old} <= {f.id for f in new}
