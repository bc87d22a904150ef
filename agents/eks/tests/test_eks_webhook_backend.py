"""A fail-closed webhook whose backend controller was scaled to zero: the finding names the
controller and its state (read from the webhook Service's namespace although the alert names
another), and the workload's HPA at its ceiling with most replicas never created is not the
limit: the webhook blocking their creation is."""

from __future__ import annotations

from datetime import timedelta

from eks_builders import NOW, at, by_prefix, event, obj, run, scope
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.reader import KubeReader
from shared.contracts import CauseCategory, Severity

SELECTOR = {"app.kubernetes.io/name": "policy-engine"}
WEBHOOK = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "policy-engine-webhook"},
    "webhooks": [
        {
            "name": "mutate.pods.policy.example",
            "failurePolicy": "Fail",
            "clientConfig": {"service": {"name": "policy-engine-svc", "namespace": "policy", "port": 443}},
            "rules": [
                {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
            ],
        }
    ],
}
SERVICE = obj(
    "Service", "policy-engine-svc", "policy", api="v1", spec={"selector": SELECTOR, "ports": [{"port": 443}]}
)
ENDPOINTS = obj("Endpoints", "policy-engine-svc", "policy", api="v1")


def controller(replicas: int) -> dict:
    return obj(
        "Deployment",
        "policy-engine",
        "policy",
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": SELECTOR},
            "template": {"metadata": {"labels": SELECTOR}},
        },
        status={},
    )


UNRELATED = obj(
    "Deployment",
    "metrics-agent",
    "policy",
    spec={"replicas": 1, "template": {"metadata": {"labels": {"app": "metrics-agent"}}}},
    status={"readyReplicas": 0},
)
REJECTED = event(
    "ReplicaSet",
    "orders-5b6c7d8e9",
    "FailedCreate",
    'Error creating: Internal error occurred: failed calling webhook "mutate.pods.policy.example": '
    'no endpoints available for service "policy-engine-svc"',
    count=30,
)


def test_webhook_finding_names_the_backend_controller_scaled_to_zero() -> None:
    findings = run(
        [WEBHOOK, SERVICE, ENDPOINTS, controller(0), UNRELATED, REJECTED], scope(workload="orders")
    )
    [finding] = by_prefix(findings, "eks:webhook-backend-down:")
    assert "its Deployment policy/policy-engine is scaled to 0 replicas" in finding.title
    assert "policy/Deployment/policy-engine" in finding.resources
    assert "metrics-agent" not in finding.title
    assert finding.cause_hint is CauseCategory.DEPENDENCY_FAILURE


def test_the_webhook_failed_from_when_its_backend_became_unavailable() -> None:
    """The backend went down before the first rejection was logged: that moment is when the
    webhook's failure began, so the rejections (and every log line of them) follow it."""
    down = controller(2)
    down["status"] = {"conditions": [{"type": "Available", "status": "False", "lastTransitionTime": at(40)}]}
    [finding] = by_prefix(
        run([WEBHOOK, SERVICE, ENDPOINTS, down, REJECTED], scope(workload="orders")),
        "eks:webhook-backend-down:",
    )
    assert finding.first_seen == NOW - timedelta(minutes=40)
    [later] = by_prefix(
        run([WEBHOOK, SERVICE, ENDPOINTS, controller(2), REJECTED], scope(workload="orders")),
        "eks:webhook-backend-down:",
    )
    assert later.first_seen == NOW - timedelta(minutes=10)  # the first rejection, nothing earlier known


def test_scan_reads_the_backend_controller_of_a_webhook_without_endpoints() -> None:
    objects = [WEBHOOK, SERVICE, ENDPOINTS, controller(0), UNRELATED, REJECTED]
    with KubeStub(objects, {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), scope(namespace="shop", workload="orders"), Budget.of(10))
    # Only the controller the Service selects is kept from the other namespace.
    assert [d["metadata"]["name"] for d in gathered.state.kind("Deployment")] == ["policy-engine"]


def hpa_at_max(ready: int) -> list[dict]:
    hpa = obj(
        "HorizontalPodAutoscaler",
        "orders",
        api="autoscaling/v2",
        spec={
            "scaleTargetRef": {"kind": "Deployment", "name": "orders"},
            "minReplicas": 2,
            "maxReplicas": 10,
        },
        status={
            "currentReplicas": 10,
            "desiredReplicas": 10,
            "conditions": [{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas"}],
        },
    )
    failure = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"}
    orders = obj(
        "Deployment",
        "orders",
        spec={"replicas": 10},
        status={"replicas": ready, "readyReplicas": ready, "conditions": [failure] if ready < 10 else []},
    )
    return [hpa, orders]


def test_hpa_at_max_whose_replicas_were_never_created_is_not_the_limit() -> None:
    [starved] = by_prefix(run(hpa_at_max(3), scope(workload="orders")), "eks:hpa-at-max:")
    assert "only 3 of them ready, the rest not created (FailedCreate)" in starved.title
    assert starved.severity is Severity.WARNING and starved.relevance < 0.9
    [limited] = by_prefix(run(hpa_at_max(10), scope(workload="orders")), "eks:hpa-at-max:")
    assert limited.severity is Severity.CRITICAL and limited.relevance >= 0.9
    assert "only" not in limited.title
