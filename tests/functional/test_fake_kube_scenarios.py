"""Every project scenario's cluster, served by the Kubernetes stand-in, reads back whole through
the official client: the client validates fields the API server always sends, so one manifest
a scenario wrote partially would make a whole LIST unreadable to the EKS scanner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from sandbox.http import ServedApp
from sandbox.kube import FakeKubeApi
from sandbox.scenario import load_scenario

pytestmark = pytest.mark.functional

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("examples/scenarios/*.yaml"), *ROOT.glob("tests/scenarios/*.yaml")])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeKubeApi, client.ApiClient]]:
    api = FakeKubeApi(token="t")
    with ServedApp(api.app) as app:
        cfg = client.Configuration()
        cfg.host = app.url
        cfg.api_key = {"BearerToken": "t"}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
        yield api, client.ApiClient(cfg)


def lister(kind: str, api: client.ApiClient) -> Callable[[], Any] | None:
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    return {
        "Pod": core.list_pod_for_all_namespaces,
        "Event": core.list_event_for_all_namespaces,
        "Node": core.list_node,
        "Service": core.list_service_for_all_namespaces,
        "Endpoints": core.list_endpoints_for_all_namespaces,
        "ConfigMap": core.list_config_map_for_all_namespaces,
        "Secret": core.list_secret_for_all_namespaces,
        "PersistentVolumeClaim": core.list_persistent_volume_claim_for_all_namespaces,
        "PersistentVolume": core.list_persistent_volume,
        "ResourceQuota": core.list_resource_quota_for_all_namespaces,
        "Deployment": apps.list_deployment_for_all_namespaces,
        "ReplicaSet": apps.list_replica_set_for_all_namespaces,
        "StatefulSet": apps.list_stateful_set_for_all_namespaces,
        "DaemonSet": apps.list_daemon_set_for_all_namespaces,
        "Job": batch.list_job_for_all_namespaces,
        "CronJob": batch.list_cron_job_for_all_namespaces,
        "HorizontalPodAutoscaler": client.AutoscalingV2Api(
            api
        ).list_horizontal_pod_autoscaler_for_all_namespaces,
        "NetworkPolicy": client.NetworkingV1Api(api).list_network_policy_for_all_namespaces,
    }.get(kind)


@pytest.mark.skipif(not FILES, reason="no scenario files in the project")
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_object_of_the_scenario_reads_back_through_the_official_client(
    path: Path, served: tuple[FakeKubeApi, client.ApiClient]
) -> None:
    fake, api = served
    resolved = load_scenario(path).resolve(datetime.now(UTC).replace(microsecond=0))
    fake.load(list(resolved.kube_objects), dict(resolved.pod_logs))
    expected: dict[str, set[str]] = {}
    for obj in resolved.kube_objects:
        meta = obj["metadata"]
        expected.setdefault(obj["kind"], set()).add(f"{meta.get('namespace', '')}/{meta['name']}")
    for kind, keys in expected.items():
        list_all = lister(kind, api)
        if list_all is None:
            continue
        items = list_all().items
        assert {f"{i.metadata.namespace or ''}/{i.metadata.name}" for i in items} == keys, kind
    core = client.CoreV1Api(api)
    for key, text in resolved.pod_logs.items():
        namespace, pod, container, *previous = key.split("/")
        log = core.read_namespaced_pod_log(pod, namespace, container=container, previous=bool(previous))
        assert log.splitlines() == text.splitlines(), key
