"""The Kubernetes stand-in through the official `kubernetes` client, as the EKS scanner uses it:
lists and gets of every kind a scenario holds, selectors, paging, pod logs, and the API server's
errors (404 Status, 400 for a missing previous log, 401 for a wrong token, 403 on writes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sandbox.http import ServedApp
from sandbox.kube import FakeKubeApi

pytestmark = pytest.mark.functional

TOKEN = "kube-s3cret"


def pod(name: str, ns: str = "shop", *, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    spec = extra.pop("spec", {"nodeName": "node-a", "containers": [{"name": "app", "image": "shop/app:v2"}]})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels or {},
            "creationTimestamp": "2026-11-22T20:00:00Z",
        },
        "spec": spec,
        "status": extra.pop("status", {"phase": "Running"}),
        **extra,
    }


def event(name: str, ns: str, kind: str, obj: str, type_: str, reason: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": kind, "name": obj, "namespace": ns},
        "type": type_,
        "reason": reason,
        "message": f"{reason} on {obj}",
        "count": 3,
        "firstTimestamp": "2026-11-22T21:30:00Z",
        "lastTimestamp": "2026-11-22T21:38:00Z",
    }


OBJECTS: list[dict[str, Any]] = [
    pod(
        "checkout-7d9f-x2k4p",
        labels={"app": "checkout", "tier": "web"},
        status={
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "app",
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                }
            ],
        },
    ),
    pod("checkout-7d9f-m9t7c", labels={"app": "checkout", "tier": "web"}),
    pod("frontend-5c4b-q8m2n", labels={"app": "frontend"}, status={"phase": "Pending"}),
    pod("batch-1", ns="jobs", labels={"app": "batch"}),
    pod(
        "two-containers",
        labels={"app": "sidecar"},
        spec={"containers": [{"name": "app"}, {"name": "proxy"}], "initContainers": [{"name": "init"}]},
    ),
    pod(
        "starting",
        labels={"app": "new"},
        status={
            "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}]
        },
    ),
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "checkout", "namespace": "shop", "labels": {"app": "checkout"}},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "checkout"}}}},
        "status": {"replicas": 2, "readyReplicas": 0},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "checkout-7d9f",
            "namespace": "shop",
            "labels": {"app": "checkout"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"}],
        },
        "spec": {"replicas": 2},
    },
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a", "labels": {"role": "worker"}}},
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-b"}, "spec": {"unschedulable": True}},
    event("checkout.1", "shop", "Pod", "checkout-7d9f-x2k4p", "Warning", "BackOff"),
    event("checkout.2", "shop", "Pod", "checkout-7d9f-m9t7c", "Normal", "Pulled"),
    event("batch.1", "jobs", "Job", "nightly", "Warning", "BackoffLimitExceeded"),
    {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
        "status": {
            "currentReplicas": 10,
            "desiredReplicas": 10,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 96}}}
            ],
            "conditions": [{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas"}],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-db-0", "namespace": "shop"},
        "spec": {"storageClassName": "gp3"},
        "status": {"phase": "Pending"},
    },
    {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "nightly", "namespace": "jobs"},
        "spec": {"backoffLimit": 2},
        "status": {
            "failed": 3,
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
        },
    },
    {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"replicas": 2},
    },
]
LOGS = {
    "shop/checkout-7d9f-x2k4p/app": "2026-11-22T21:39:00Z INFO started\nheap 71%\nheap 93%\n",
    "shop/checkout-7d9f-x2k4p/app/previous": (
        "INFO started\nWARN heap 95%\nERROR java.lang.OutOfMemoryError: Java heap space\n"
    ),
    "shop/two-containers/proxy": "proxy up\n",
}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    api = FakeKubeApi(OBJECTS, LOGS, token=TOKEN)
    with ServedApp(api.app) as served:
        yield served.url


def api_client(url: str, token: str | None = TOKEN) -> client.ApiClient:
    cfg = client.Configuration()
    cfg.host = url
    if token:
        cfg.api_key = {"BearerToken": token}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(cfg)


@pytest.fixture(scope="module")
def core(url: str) -> client.CoreV1Api:
    return client.CoreV1Api(api_client(url))


@pytest.fixture(scope="module")
def apps(url: str) -> client.AppsV1Api:
    return client.AppsV1Api(api_client(url))


def names(listing: Any) -> list[str]:
    return [item.metadata.name for item in listing.items]


def test_pods_list_namespaced_and_across_namespaces_with_list_metadata(core: client.CoreV1Api) -> None:
    shop = core.list_namespaced_pod("shop")
    assert sorted(names(shop)) == [
        "checkout-7d9f-m9t7c",
        "checkout-7d9f-x2k4p",
        "frontend-5c4b-q8m2n",
        "starting",
        "two-containers",
    ]
    assert shop.kind == "PodList" and shop.api_version == "v1" and shop.metadata.resource_version
    assert "batch-1" in names(core.list_pod_for_all_namespaces())
    crashing = core.read_namespaced_pod("checkout-7d9f-x2k4p", "shop")
    status = crashing.status.container_statuses[0]
    assert status.restart_count == 4 and status.last_state.terminated.exit_code == 137
    assert status.image == "shop/app:v2"  # filled from the spec, as the server always sends it


def test_label_selectors_follow_the_api_server_semantics(core: client.CoreV1Api) -> None:
    def select(selector: str) -> set[str]:
        return set(names(core.list_namespaced_pod("shop", label_selector=selector)))

    assert select("app=checkout") == {"checkout-7d9f-x2k4p", "checkout-7d9f-m9t7c"}
    assert select("app==frontend") == {"frontend-5c4b-q8m2n"}
    assert select("app in (frontend, sidecar)") == {"frontend-5c4b-q8m2n", "two-containers"}
    assert select("app notin (checkout,frontend,sidecar,new)") == set()
    assert select("tier") == {"checkout-7d9f-x2k4p", "checkout-7d9f-m9t7c"}
    assert select("!tier,app!=new") == {"frontend-5c4b-q8m2n", "two-containers"}
    with pytest.raises(ApiException) as bad:
        core.list_namespaced_pod("shop", label_selector="app in ()")
    assert bad.value.status == 400 and json.loads(bad.value.body)["reason"] == "BadRequest"


def test_field_selectors_on_pods_nodes_and_events(core: client.CoreV1Api) -> None:
    assert names(core.list_namespaced_pod("shop", field_selector="status.phase=Pending")) == [
        "frontend-5c4b-q8m2n"
    ]
    assert "batch-1" in names(core.list_pod_for_all_namespaces(field_selector="spec.nodeName=node-a"))
    assert names(core.list_node(field_selector="spec.unschedulable=true")) == ["node-b"]
    warnings = core.list_event_for_all_namespaces(field_selector="type=Warning")
    assert {e.reason for e in warnings.items} == {"BackOff", "BackoffLimitExceeded"}
    shop = core.list_namespaced_event(
        "shop", field_selector="involvedObject.name=checkout-7d9f-m9t7c,type!=Warning"
    )
    assert [e.reason for e in shop.items] == ["Pulled"]
    with pytest.raises(ApiException) as bad:
        core.list_namespaced_pod("shop", field_selector="status.hostIP=10.0.0.1")
    assert bad.value.status == 400 and "field label not supported: status.hostIP" in bad.value.body


def test_workloads_nodes_hpas_pvcs_and_jobs(url: str, apps: client.AppsV1Api, core: client.CoreV1Api) -> None:
    assert names(apps.list_namespaced_deployment("shop")) == ["checkout"]
    deployment = apps.read_namespaced_deployment("checkout", "shop")
    assert deployment.spec.selector.match_labels == {"app": "checkout"}  # always set on a real object
    replica_set = apps.list_replica_set_for_all_namespaces(label_selector="app=checkout").items[0]
    owner = replica_set.metadata.owner_references[0]
    assert owner.name == "checkout" and owner.uid == deployment.metadata.uid
    assert names(core.list_node()) == ["node-a", "node-b"]
    hpa = client.AutoscalingV2Api(api_client(url)).list_namespaced_horizontal_pod_autoscaler("shop").items[0]
    assert hpa.status.current_replicas == hpa.spec.max_replicas == 10
    assert hpa.status.current_metrics[0].resource.current.average_utilization == 96
    v1 = client.AutoscalingV1Api(api_client(url)).read_namespaced_horizontal_pod_autoscaler(
        "checkout", "shop"
    )
    assert (
        v1.spec.target_cpu_utilization_percentage == 70 and v1.status.current_cpu_utilization_percentage == 96
    )
    pvc = core.list_persistent_volume_claim_for_all_namespaces().items[0]
    assert (pvc.metadata.name, pvc.status.phase) == ("data-db-0", "Pending")
    job = client.BatchV1Api(api_client(url)).read_namespaced_job("nightly", "jobs")
    assert job.status.failed == 3 and job.status.conditions[0].reason == "BackoffLimitExceeded"
    note = client.EventsV1Api(api_client(url)).list_namespaced_event("jobs").items[0]
    assert note.note == "BackoffLimitExceeded on nightly" and note.regarding.kind == "Job"


def test_namespaces_are_derived_from_the_objects(core: client.CoreV1Api) -> None:
    listed = set(names(core.list_namespace()))
    assert {"shop", "jobs", "default", "kube-system"} <= listed
    assert core.read_namespace("jobs").status.phase == "Active"


def test_custom_kinds_are_listed_under_their_group(url: str) -> None:
    custom = client.CustomObjectsApi(api_client(url))
    listed = custom.list_namespaced_custom_object("argoproj.io", "v1alpha1", "shop", "rollouts")
    assert listed["kind"] == "RolloutList" and listed["items"][0]["metadata"]["name"] == "checkout"
    groups = {g.name for g in client.ApisApi(api_client(url)).get_api_versions().groups}
    assert {"apps", "batch", "autoscaling", "argoproj.io"} <= groups


def test_limit_and_continue_page_through_everything_once(core: client.CoreV1Api) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=2, _continue=token)
        seen += [f"{p.metadata.namespace}/{p.metadata.name}" for p in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 6 - len(seen)
    assert pages == 3 and len(seen) == len(set(seen)) == 6


def test_a_continue_token_from_before_a_reload_is_expired() -> None:
    api = FakeKubeApi(OBJECTS, LOGS)
    with ServedApp(api.app) as served:
        core = client.CoreV1Api(api_client(served.url, None))
        token = core.list_pod_for_all_namespaces(limit=1).metadata._continue
        api.load(OBJECTS, LOGS)
        with pytest.raises(ApiException) as expired:
            core.list_pod_for_all_namespaces(limit=1, _continue=token)
    assert expired.value.status == 410 and json.loads(expired.value.body)["reason"] == "Expired"


def test_pod_logs_previous_tail_and_timestamps(core: client.CoreV1Api) -> None:
    previous = core.read_namespaced_pod_log(
        "checkout-7d9f-x2k4p", "shop", container="app", previous=True, tail_lines=1
    )
    assert previous == "ERROR java.lang.OutOfMemoryError: Java heap space\n"
    current = core.read_namespaced_pod_log("checkout-7d9f-x2k4p", "shop", timestamps=True)
    assert current.splitlines()[1] == "2026-11-22T21:39:00.000000000Z heap 71%"
    assert core.read_namespaced_pod_log("checkout-7d9f-x2k4p", "shop", limit_bytes=5) == "2026-"


def test_pod_log_errors_are_the_api_servers(core: client.CoreV1Api) -> None:
    def refused(name: str, **kwargs: Any) -> tuple[int, str]:
        with pytest.raises(ApiException) as e:
            core.read_namespaced_pod_log(name, "shop", **kwargs)
        return e.value.status, json.loads(e.value.body)["message"]

    assert refused("checkout-7d9f-m9t7c", container="app", previous=True) == (
        400,
        'previous terminated container "app" in pod "checkout-7d9f-m9t7c" not found',
    )
    assert refused("two-containers") == (
        400,
        "a container name must be specified for pod two-containers, choose one of: [app proxy] "
        "or one of the init containers: [init]",
    )
    assert refused("two-containers", container="nope") == (
        400,
        "container nope is not valid for pod two-containers",
    )
    assert refused("starting") == (
        400,
        'container "app" in pod "starting" is waiting to start: ContainerCreating',
    )
    assert refused("gone") == (404, 'pods "gone" not found')
    assert core.read_namespaced_pod_log("two-containers", "shop", container="proxy") == "proxy up\n"


def test_not_found_is_a_status_object_and_an_api_exception(apps: client.AppsV1Api) -> None:
    with pytest.raises(ApiException) as missing:
        apps.read_namespaced_deployment("payments", "shop")
    body = json.loads(missing.value.body)
    assert missing.value.status == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "payments" not found',
        "reason": "NotFound",
        "details": {"name": "payments", "group": "apps", "kind": "deployments"},
        "code": 404,
    }


def test_a_wrong_or_missing_token_is_401_and_writes_are_forbidden(url: str, core: client.CoreV1Api) -> None:
    for token in ("wrong", None):
        with pytest.raises(ApiException) as denied:
            client.CoreV1Api(api_client(url, token)).list_namespaced_pod("shop")
        assert denied.value.status == 401 and json.loads(denied.value.body)["reason"] == "Unauthorized"
    assert client.VersionApi(api_client(url, None)).get_code().major == "1"  # /version is public
    with pytest.raises(ApiException) as forbidden:
        core.delete_namespaced_pod("checkout-7d9f-x2k4p", "shop")
    assert (
        forbidden.value.status == 403
        and "cannot delete resource" in json.loads(forbidden.value.body)["message"]
    )
    assert core.read_namespaced_pod("checkout-7d9f-x2k4p", "shop").metadata.name == "checkout-7d9f-x2k4p"


def test_discovery_names_each_resource_and_its_scope(url: str) -> None:
    resources = client.CoreV1Api(api_client(url)).get_api_resources().resources
    scope = {r.name: r.namespaced for r in resources}
    assert scope["pods"] and scope["events"] and not scope["nodes"] and not scope["namespaces"]
    assert "pods/log" in scope
    apps_resources = client.AppsV1Api(api_client(url)).get_api_resources()
    assert {r.kind for r in apps_resources.resources} >= {
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
    }


def test_served_app_restarts_and_frees_its_port() -> None:
    served = ServedApp(FakeKubeApi(OBJECTS, LOGS).app)
    first = served.start()
    assert served.start() == first  # already running: same server
    assert client.VersionApi(api_client(first, None)).get_code().minor == "31"
    served.stop()
    served.stop()  # twice is fine
    with pytest.raises(Exception):  # noqa: B017 - any connection error: nothing listens any more
        httpx.get(f"{first}/version", timeout=1)
    second = served.start()
    try:
        assert httpx.get(f"{second}/version", timeout=1).json()["major"] == "1"
    finally:
        served.stop()


def test_served_app_reports_an_app_that_cannot_start() -> None:
    async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "no"})

    served = ServedApp(broken, start_timeout=5)
    with pytest.raises(RuntimeError, match="uvicorn exited"):
        served.start()
    assert not served.running
