"""Kinds the scanner has no reader for, found through the API server's discovery: the sandbox's
Kubernetes stand-in on loopback (the official client on the wire) serving a CRD the scenario
defines, and the aggregated discovery document a kube-apiserver 1.30+ answers with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest

from agents.common.base import Budget
from agents.eks.agent import EksScanner
from agents.eks.discover import aggregated, read_discovered, unread
from agents.eks.reader import KubeReader
from agents.eks.state import ClusterState
from sandbox import http, kube
from sandbox.alert_context import build_alert_context
from shared.config import load_config
from shared.errors import SourceError

pytestmark = pytest.mark.functional

TOKEN = "functional-discovery-token"
NOW = datetime.now(UTC)


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "targetgroupbindings.elbv2.k8s.aws"},
    "spec": {
        "group": "elbv2.k8s.aws",
        "scope": "Namespaced",
        "names": {"kind": "TargetGroupBinding", "plural": "targetgroupbindings", "shortNames": ["tgb"]},
        "versions": [{"name": "v1beta1", "served": True, "storage": True}],
    },
}
SCALED = {
    "apiVersion": "keda.sh/v1alpha1",
    "kind": "ScaledObject",
    "metadata": {"name": "orders-worker", "namespace": "orders"},
    "spec": {"scaleTargetRef": {"name": "orders-worker"}},
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "ScaledObjectCheckFailed",
                "message": "ScaledObject doesn't have correct scaleTargetRef specification",
                "lastTransitionTime": ts(30),
            }
        ]
    },
}
OTHER_NAMESPACE = {**SCALED, "metadata": {"name": "elsewhere", "namespace": "billing"}}
BINDING = {
    "apiVersion": "elbv2.k8s.aws/v1beta1",
    "kind": "TargetGroupBinding",
    "metadata": {"name": "orders-tgb", "namespace": "orders"},
    "spec": {
        "serviceRef": {"name": "orders", "port": 80},
        "targetGroupARN": "arn:aws:elasticloadbalancing:x",
    },
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    api = kube.FakeKubeApi(token=TOKEN)
    served = http.ServedApp(api.app, name="fake-kube-discovery")
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


def test_discovered_kinds_are_read_in_the_alerts_namespace(fake: Any) -> None:
    fake.load([CRD, SCALED, OTHER_NAMESPACE, BINDING], {})
    result = EksScanner(load_config(), "eks").run(
        alert(namespace="orders", deployment="orders-worker"), Budget.of(20)
    )
    [finding] = [f for f in result.findings if f.id.startswith("eks:status:")]
    assert finding.title.startswith(
        "ScaledObject orders/orders-worker: Ready=False ScaledObjectCheckFailed: ScaledObject doesn't have"
    )
    listed = [r for r in fake.requests if "scaledobjects" in r or "targetgroupbindings" in r]
    # In the alert's namespace, at the version the CRD serves (its plural, not a guess).
    assert any(r.startswith("GET /apis/keda.sh/v1alpha1/namespaces/orders/scaledobjects") for r in listed)
    assert any(
        r.startswith("GET /apis/elbv2.k8s.aws/v1beta1/namespaces/orders/targetgroupbindings") for r in listed
    )
    # Across namespaces too, but what lives elsewhere and does not point at orders is left out.
    assert not any("billing" in r for r in listed)
    assert not any(f.resources[0].startswith("billing/") for f in result.findings if f.resources)
    assert "1 ScaledObject" in result.notes[0] and "1 TargetGroupBinding" in result.notes[0]
    # One discovery per investigation; high-volume groups are not asked.
    assert sum(1 for r in fake.requests if r.split("?")[0] == "GET /apis") == 1
    assert not any(r.startswith("GET /apis/events.k8s.io/v1") for r in fake.requests)


def test_the_stand_in_serves_a_crd_as_the_api_server_does(fake: Any) -> None:
    fake.load([CRD, BINDING], {})
    base = os.environ["KUBERNETES_BASE_URL"]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    groups = httpx.get(f"{base}/apis", headers=headers).json()
    [group] = [g for g in groups["groups"] if g["name"] == "elbv2.k8s.aws"]
    assert group["preferredVersion"] == {"groupVersion": "elbv2.k8s.aws/v1beta1", "version": "v1beta1"}
    listing = httpx.get(f"{base}/apis/elbv2.k8s.aws/v1beta1", headers=headers).json()
    [entry] = [r for r in listing["resources"] if r["name"] == "targetgroupbindings"]
    assert entry["kind"] == "TargetGroupBinding" and entry["namespaced"] and entry["shortNames"] == ["tgb"]
    crds = httpx.get(f"{base}/apis/apiextensions.k8s.io/v1/customresourcedefinitions", headers=headers).json()
    assert [c["metadata"]["name"] for c in crds["items"]] == ["targetgroupbindings.elbv2.k8s.aws"]


def test_aggregated_discovery_document_is_understood() -> None:
    document = {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "items": [
            {
                "metadata": {"name": "external-secrets.io"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {
                                "resource": "externalsecrets",
                                "responseKind": {"group": "", "version": "", "kind": "ExternalSecret"},
                                "scope": "Namespaced",
                                "verbs": ["get", "list", "watch"],
                                "subresources": [{"subresource": "status"}],
                            },
                            {
                                "resource": "clustersecretstores",
                                "responseKind": {"kind": "ClusterSecretStore"},
                                "scope": "Cluster",
                                "verbs": ["get", "list"],
                            },
                        ],
                    },
                    {
                        "version": "v1beta1",
                        "resources": [
                            {
                                "resource": "externalsecrets",
                                "responseKind": {"kind": "ExternalSecret"},
                                "scope": "Namespaced",
                                "verbs": ["get", "list"],
                            }
                        ],
                    },
                ],
            },
            {
                "metadata": {"name": "apps"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {
                                "resource": "deployments",
                                "responseKind": {"kind": "Deployment"},
                                "scope": "Namespaced",
                                "verbs": ["get", "list"],
                            }
                        ],
                    }
                ],
            },
        ],
    }
    found = {(s.api_version, s.kind, s.namespaced) for s in unread(aggregated(document))}
    # The preferred version once per resource; kinds a fixed reader covers are left to it.
    assert found == {
        ("external-secrets.io/v1", "ExternalSecret", True),
        ("external-secrets.io/v1", "ClusterSecretStore", False),
    }


class _Reader:
    """Answers discovery with two custom kinds; lists one of them, refuses the other (RBAC)."""

    def get_json(self, path: str, budget: Budget, accept: str = "") -> tuple[int, Any]:
        if path == "/apis":
            return 200, {
                "kind": "APIGroupList",
                "groups": [
                    {"name": g, "preferredVersion": {"version": "v1"}, "versions": [{"version": "v1"}]}
                    for g in ("keda.sh", "argoproj.io", "coordination.k8s.io")
                ],
            }
        kinds = {
            "/apis/keda.sh/v1": ("ScaledObject", "scaledobjects"),
            "/apis/argoproj.io/v1": ("Rollout", "rollouts"),
        }
        if path not in kinds:
            return 404, None
        kind, plural = kinds[path]
        return 200, {
            "kind": "APIResourceList",
            "resources": [{"name": plural, "kind": kind, "namespaced": True, "verbs": ["get", "list"]}],
        }

    def list(self, resource: Any, budget: Budget, **_: Any) -> tuple[list[dict[str, Any]], bool]:
        if resource.plural == "rollouts":
            raise SourceError(f"Kubernetes list Rollout in orders: HTTP 403 {resource.plural} is forbidden")
        return [{"metadata": {"name": "orders-worker", "namespace": "orders"}}], False


def test_a_kind_refused_by_rbac_is_noted_and_the_others_are_read() -> None:
    state = ClusterState(namespaces=["orders"])
    notes = read_discovered(cast(KubeReader, _Reader()), Budget.of(20), state)
    assert [o["metadata"]["name"] for o in state.kind("ScaledObject")] == ["orders-worker"]
    assert state.kind("ScaledObject")[0]["apiVersion"] == "keda.sh/v1"
    assert any("rollouts.argoproj.io" in n and "RBAC" in n for n in notes)
    assert state.kind("Rollout") == []


def test_an_object_in_its_controllers_namespace_deploying_into_the_alerts_is_read(fake: Any) -> None:
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "orders-worker", "namespace": "argocd"},
        "spec": {"destination": {"namespace": "orders"}},
        "status": {
            "operationState": {
                "phase": "Failed",
                "message": "objects failed to apply: x509: certificate signed by unknown authority",
            }
        },
    }
    unrelated = {
        **app,
        "metadata": {"name": "billing-api", "namespace": "argocd"},
        "spec": {"destination": {"namespace": "billing"}},
    }
    fake.load([app, unrelated], {})
    result = EksScanner(load_config(), "eks").run(
        alert(namespace="orders", deployment="orders-worker"), Budget.of(20)
    )
    [finding] = [f for f in result.findings if f.id.startswith("eks:status:")]
    assert finding.title.startswith("Application argocd/orders-worker: operationState.phase=Failed")
    assert finding.relevance >= 0.9 and finding.cause_hint is not None
