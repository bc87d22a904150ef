"""The Kubernetes stand-in serves the kinds an alert can be about beyond workloads (Ingress and
IngressClass, NetworkPolicy, CronJob, PodDisruptionBudget, PersistentVolume, StorageClass,
admission webhooks) and the Gateway API CRDs, read through the official client's typed APIs as
a real cluster answers them; a cluster without the Gateway API CRDs answers 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sandbox.http import ServedApp
from sandbox.kube import FakeKubeApi

pytestmark = pytest.mark.functional

TOKEN = "kube-kinds-token"


def _m(api: str, kind: str, name: str, ns: str | None = "shop", **body: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": meta, **body}


OBJECTS: list[dict[str, Any]] = [
    _m(
        "networking.k8s.io/v1",
        "Ingress",
        "storefront",
        spec={
            "ingressClassName": "alb",
            "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {
                        "paths": [
                            {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}
                        ]
                    },
                }
            ],
        },
    ),
    _m("networking.k8s.io/v1", "IngressClass", "alb", None, spec={"controller": "ingress.k8s.aws/alb"}),
    _m(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "default-deny-egress",
        spec={"podSelector": {}, "policyTypes": ["Egress"]},
    ),
    _m(
        "batch/v1",
        "CronJob",
        "nightly-report",
        spec={"schedule": "0 3 * * *", "suspend": True, "jobTemplate": {"spec": {"template": {}}}},
    ),
    _m(
        "policy/v1",
        "PodDisruptionBudget",
        "web",
        spec={"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
        status={"currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 2},
    ),
    _m(
        "v1",
        "PersistentVolume",
        "pvc-0d1e",
        None,
        spec={"capacity": {"storage": "10Gi"}, "storageClassName": "gp3"},
        status={"phase": "Released"},
    ),
    {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3"},
        "provisioner": "ebs.csi.aws.com",
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "kyverno-resource-validating-webhook-cfg"},
        "webhooks": [
            {
                "name": "validate.kyverno.svc-fail",
                "clientConfig": {"service": {"name": "kyverno-svc", "namespace": "kyverno"}},
            }
        ],
    },
    _m("gateway.networking.k8s.io/v1", "GatewayClass", "eg", None, spec={"controllerName": "x/y"}),
    _m(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        "public",
        "edge",
        spec={"gatewayClassName": "eg", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    ),
]


def _api_client(url: str) -> client.ApiClient:
    cfg = client.Configuration()
    cfg.host = url
    cfg.api_key = {"BearerToken": TOKEN}
    cfg.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(cfg)


@pytest.fixture(scope="module")
def api() -> Iterator[client.ApiClient]:
    with ServedApp(FakeKubeApi(OBJECTS, {}, token=TOKEN).app) as served:
        yield _api_client(served.url)


def test_networking_kinds_through_the_typed_client(api: client.ApiClient) -> None:
    networking = client.NetworkingV1Api(api)
    [ingress] = networking.list_namespaced_ingress("shop").items
    path = ingress.spec.rules[0].http.paths[0]
    assert path.backend.service.name == "web" and path.path_type == "ImplementationSpecific"
    assert ingress.spec.tls[0].secret_name == "shop-tls"
    assert [c.metadata.name for c in networking.list_ingress_class().items] == ["alb"]
    [policy] = networking.list_namespaced_network_policy("shop").items
    assert policy.spec.policy_types == ["Egress"]


def test_batch_policy_storage_and_admission_kinds(api: client.ApiClient) -> None:
    [cron] = client.BatchV1Api(api).list_namespaced_cron_job("shop").items
    assert cron.spec.suspend is True and cron.spec.schedule == "0 3 * * *"
    [pdb] = client.PolicyV1Api(api).list_namespaced_pod_disruption_budget("shop").items
    assert pdb.status.disruptions_allowed == 0 and pdb.spec.min_available == 2
    [pv] = client.CoreV1Api(api).list_persistent_volume().items
    assert pv.status.phase == "Released" and pv.metadata.namespace is None
    [sc] = client.StorageV1Api(api).list_storage_class().items
    assert sc.provisioner == "ebs.csi.aws.com" and sc.volume_binding_mode == "Immediate"
    admission = client.AdmissionregistrationV1Api(api)
    [config] = admission.list_validating_webhook_configuration().items
    hook = config.webhooks[0]
    assert hook.failure_policy == "Fail" and hook.client_config.service.port == 443
    assert admission.list_mutating_webhook_configuration().items == []


def test_gateway_api_group_is_served_whole_once_installed(api: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api)
    classes = custom.list_cluster_custom_object("gateway.networking.k8s.io", "v1", "gatewayclasses")
    assert classes["kind"] == "GatewayClassList" and classes["items"][0]["metadata"]["name"] == "eg"
    gateways = custom.list_cluster_custom_object("gateway.networking.k8s.io", "v1", "gateways")
    assert gateways["items"][0]["metadata"]["namespace"] == "edge"
    routes = custom.list_namespaced_custom_object("gateway.networking.k8s.io", "v1", "shop", "httproutes")
    assert routes["kind"] == "HTTPRouteList" and routes["items"] == []
    grants = custom.list_cluster_custom_object("gateway.networking.k8s.io", "v1beta1", "referencegrants")
    assert grants["items"] == []


def test_a_cluster_without_the_gateway_crds_answers_404() -> None:
    with ServedApp(FakeKubeApi([OBJECTS[0]], {}, token=TOKEN).app) as served:
        custom = client.CustomObjectsApi(_api_client(served.url))
        with pytest.raises(ApiException) as missing:
            custom.list_cluster_custom_object("gateway.networking.k8s.io", "v1", "gateways")
        assert missing.value.status == 404
        groups = {g.name for g in client.ApisApi(_api_client(served.url)).get_api_versions().groups}
        assert "networking.k8s.io" in groups and "gateway.networking.k8s.io" not in groups
