"""The EKS scanner's `run()` over the sandbox's Kubernetes API (uvicorn on loopback, the official
client on the wire) for the object families beyond workloads: a fail-closed webhook whose backend
pods (in another namespace, no Endpoints object) are not ready, Gateway API routes once the CRDs
are served, and a cluster without them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.common.base import Budget
from agents.eks.agent import EksScanner
from sandbox import http, kube
from sandbox.alert_context import build_alert_context
from shared.config import load_config
from shared.contracts import AgentStatus, CauseCategory

pytestmark = pytest.mark.functional

TOKEN = "functional-kinds-token"
NOW = datetime.now(UTC)


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name: str, ns: str, labels: dict[str, str], *, ready: bool, **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "creationTimestamp": ts(600)},
        "spec": {
            "nodeName": "ip-10-0-1-42.ec2.internal",
            "containers": [{"name": "app", "image": "r/app:v1"}],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {"name": "app", "ready": ready, "restartCount": 0, "state": {"running": {}}}
            ],
            **status,
        },
    }


CHECKOUT = [
    {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "checkout-7d9f8c6b5",
            "namespace": "shop",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout", "controller": True}
            ],
        },
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "checkout"}}},
        "status": {"replicas": 1},
    },
    pod("checkout-7d9f8c6b5-x2k4p", "shop", {"app": "checkout"}, ready=True),
    {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "checkout-7d9f8c6b5.1", "namespace": "shop"},
        "involvedObject": {"kind": "ReplicaSet", "name": "checkout-7d9f8c6b5", "namespace": "shop"},
        "type": "Warning",
        "reason": "FailedCreate",
        "message": 'Error creating: Internal error occurred: failed calling webhook "mpod.opa.example.com": '
        'failed to call webhook: Post "https://opa.opa.svc:443/v1/admit?timeout=10s": '
        "dial tcp 10.100.3.7:443: connect: connection refused",
        "count": 9,
        "firstTimestamp": ts(15),
        "lastTimestamp": ts(1),
    },
]
WEBHOOK = [
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "opa-mutating"},
        "webhooks": [
            {
                "name": "mpod.opa.example.com",
                "failurePolicy": "Fail",
                "clientConfig": {"service": {"name": "opa", "namespace": "opa", "path": "/v1/admit"}},
                "rules": [
                    {
                        "operations": ["CREATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                    }
                ],
            }
        ],
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "opa", "namespace": "opa"},
        "spec": {"selector": {"app": "opa"}, "ports": [{"port": 443, "targetPort": 8443}]},
    },
    pod("opa-5b6c7d8e9-q1w2e", "opa", {"app": "opa"}, ready=False),
]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    api = kube.FakeKubeApi(token=TOKEN)
    served = http.ServedApp(api.app, name="fake-kube-kinds")
    url = served.start()
    monkeypatch.setenv("KUBERNETES_BASE_URL", url)
    monkeypatch.setenv("KUBERNETES_TOKEN", TOKEN)
    try:
        yield api
    finally:
        served.stop()


def alert(**labels: str) -> Any:
    return build_alert_context(
        platform="alertmanager",
        channel="C0",
        text="",
        labels={"alertname": "Kube", **labels},
        received_at=NOW,
    )


def test_webhook_backend_pods_not_ready_in_another_namespace(fake: Any) -> None:
    fake.load([*CHECKOUT, *WEBHOOK], {})
    result = EksScanner(load_config(), "eks").run(
        alert(namespace="shop", deployment="checkout"), Budget.of(20)
    )
    assert result.status is AgentStatus.OK, result.errors
    [hook] = [f for f in result.findings if f.id.startswith("eks:webhook-backend-down:")]
    assert "its Service opa/opa has no ready endpoints (1 not ready: opa-5b6c7d8e9-q1w2e)" in hook.title
    assert hook.cause_hint is CauseCategory.DEPENDENCY_FAILURE
    assert result.findings[0].cause_hint is CauseCategory.DEPENDENCY_FAILURE
    assert any("/namespaces/opa/pods?" in r and "labelSelector=app%3Dopa" in r for r in fake.requests)
    assert any(r.startswith("GET /api/v1/namespaces/opa/services/opa") for r in fake.requests)


def test_gateway_api_served_and_not_served(fake: Any) -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "public", "namespace": "edge"}],
            "rules": [{"backendRefs": [{"name": "checkout", "port": 8080}]}],
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"selector": {"app": "checkout"}, "ports": [{"port": 8080}]},
    }
    fake.load([route, service, *CHECKOUT[1:2]], {})
    result = EksScanner(load_config(), "eks").run(
        alert(namespace="shop", httproute="checkout"), Budget.of(20)
    )
    [missing] = [f for f in result.findings if f.id.startswith("eks:httproute-gateway-missing:")]
    assert "Gateway edge/public, which does not exist" in missing.title
    assert not any("gateway.networking.k8s.io not served" in n for n in result.notes)
    fake.load([service, *CHECKOUT[1:2]], {})
    result = EksScanner(load_config(), "eks").run(
        alert(namespace="shop", deployment="checkout"), Budget.of(20)
    )
    assert result.status is not AgentStatus.ERROR and not result.errors
    assert any("gateway.networking.k8s.io not served" in n for n in result.notes)


def test_karpenter_launch_failure_and_certificate_read_through_the_api(fake: Any) -> None:
    waiting = pod("checkout-7d9f8c6b5-p3n4d", "shop", {"app": "checkout"}, ready=False, phase="Pending")
    del waiting["spec"]["nodeName"]
    waiting["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "checkout-7d9f8c6b5", "controller": True}
    ]
    launch = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "general-x7k2p.181c2d3e4f5a6b70", "namespace": "default"},
        "involvedObject": {"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim", "name": "general-x7k2p"},
        "type": "Warning",
        "reason": "InsufficientCapacityError",
        "message": "NodeClaim general-x7k2p event: creating instance, insufficient capacity, all requested "
        "instance types were unavailable during launch",
        "count": 4,
        "firstTimestamp": ts(12),
        "lastTimestamp": ts(1),
    }
    expired = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "checkout-tls", "namespace": "shop"},
        "spec": {"secretName": "checkout-tls", "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"}},
        "status": {
            "notAfter": ts(30),
            "conditions": [{"type": "Ready", "status": "False", "reason": "Expired"}],
        },
    }
    fake.load([waiting, launch, expired, *CHECKOUT[:2]], {})
    result = EksScanner(load_config(), "eks").run(
        alert(namespace="shop", deployment="checkout"), Budget.of(20)
    )
    [capacity] = [f for f in result.findings if f.id.startswith("eks:nodeclaim-launch-failed:")]
    assert "NodePool general" in capacity.title and capacity.cause_hint is CauseCategory.UNSCHEDULABLE
    [cert] = [f for f in result.findings if f.id.startswith("eks:certificate-expired:")]
    assert "its ClusterIssuer letsencrypt does not exist" in cert.title
