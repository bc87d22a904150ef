"""A claim Pending on an external (CSI) provisioner whose controller is down: the finding names the
controller and its crashing container instead of asking whether it runs, and the scan reads that
controller (and its pods) from its own namespace although the alert names another."""

from __future__ import annotations

from typing import Any

from eks_builders import by_prefix, event, obj, pod, run, scope, waiting
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.reader import KubeReader
from shared.contracts import CauseCategory, Severity

DRIVER = "blockstore.csi.example.com"
LABELS = {"app": "blockstore-csi-controller"}


def controller(
    name: str, ready: int, sidecar: bool = True, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    containers = [{"name": "plugin", "image": f"registry.example/{name}:v1"}]
    if sidecar:
        containers.append(
            {"name": "csi-provisioner", "image": "registry.k8s.io/sig-storage/csi-provisioner:v5.1.0"}
        )
    return obj(
        "Deployment",
        name,
        "storage-system",
        spec={
            "replicas": 2,
            "selector": {"matchLabels": labels or LABELS},
            "template": {"metadata": {"labels": labels or LABELS}, "spec": {"containers": containers}},
        },
        status={"readyReplicas": ready},
    )


CRASHING = pod(
    "blockstore-csi-controller-7f8e9d-abcde",
    "storage-system",
    labels=LABELS,
    statuses=[
        waiting("CrashLoopBackOff", name="plugin", restarts=40, last={"reason": "Error", "exitCode": 2})
    ],
)
CLAIM = obj(
    "PersistentVolumeClaim",
    "data-db-2",
    api="v1",
    spec={"storageClassName": "fast"},
    status={"phase": "Pending"},
    creationTimestamp="2026-11-22T21:00:00Z",
)
WAITING = event(
    "PersistentVolumeClaim",
    "data-db-2",
    "ExternalProvisioning",
    f"Waiting for a volume to be created either by the external provisioner '{DRIVER}' or manually",
    type_="Normal",
    count=90,
    first=30,
)
USER = pod(
    "db-2",
    phase="Pending",
    statuses=[],
)
USER["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-2"}}]
OTHER = controller("filestore-csi-controller", 0, labels={"app": "filestore"})


def test_pending_claim_names_its_provisioners_crashing_controller() -> None:
    findings = run(
        [CLAIM, WAITING, USER, controller("blockstore-csi-controller", 0), OTHER, CRASHING],
        scope(workload="db"),
    )
    [claim] = by_prefix(findings, "eks:pvc-pending:")
    assert f"waiting for the external provisioner {DRIVER}" in claim.title
    assert (
        "its controller Deployment storage-system/blockstore-csi-controller has 0/2 ready, "
        "container plugin CrashLoopBackOff" in claim.title
    )
    crash = "container plugin CrashLoopBackOff, 40 restarts, last exit code 2"
    assert any(crash in e.excerpt for e in claim.evidence)
    assert "filestore" not in claim.title and "is it running?" not in claim.title
    assert claim.cause_hint is CauseCategory.STORAGE_FAILURE and claim.severity is Severity.CRITICAL
    assert "storage-system/Deployment/blockstore-csi-controller" in claim.resources


def test_a_healthy_or_unknown_controller_leaves_the_question_open() -> None:
    healthy = run([CLAIM, WAITING, USER, controller("blockstore-csi-controller", 2)], scope(workload="db"))
    [claim] = by_prefix(healthy, "eks:pvc-pending:")
    assert "is it running?" in claim.title
    # A controller without the provisioner sidecar is not the driver's.
    plain = run(
        [CLAIM, WAITING, USER, controller("blockstore-csi-controller", 0, sidecar=False)],
        scope(workload="db"),
    )
    assert "is it running?" in by_prefix(plain, "eks:pvc-pending:")[0].title


def test_scan_reads_the_provisioners_controller_and_pods_from_their_namespace() -> None:
    objects = [CLAIM, WAITING, USER, controller("blockstore-csi-controller", 0), OTHER, CRASHING]
    with KubeStub(objects, {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), scope(namespace="shop", workload="db"), Budget.of(10))
    assert [d["metadata"]["name"] for d in gathered.state.kind("Deployment")] == ["blockstore-csi-controller"]
    assert any(p["metadata"]["name"] == CRASHING["metadata"]["name"] for p in gathered.state.pods)


CRASH_LOG = (
    'I1207 driver.go:84] "Driver Information" Driver="blockstore"\n'
    'W1207 cloud.go:40] "retrying instance identity" err="timeout"\n'
    'E1207 main.go:154] "Could not reach the storage API" err="dial tcp 10.9.0.1:443: i/o timeout"\n'
    "panic: could not reach the storage API at 10.9.0.1:443\n"
    "\n"
    "goroutine 1 [running]:\n"
    "main.main()\n"
    "\t/go/src/example/cmd/main.go:155 +0xf27\n"
)


def test_the_crashing_controllers_last_error_line_is_named_on_the_claim() -> None:
    logs = {"storage-system/blockstore-csi-controller-7f8e9d-abcde/plugin/previous": CRASH_LOG}
    objects = [CLAIM, WAITING, USER, controller("blockstore-csi-controller", 0), CRASHING]
    [claim] = by_prefix(run(objects, scope(workload="db"), logs), "eks:pvc-pending:")
    assert "container plugin CrashLoopBackOff: panic: could not reach the storage API" in claim.title
    assert "goroutine" not in claim.title and "main.go:155" not in claim.title


def test_scan_reads_the_crashing_controllers_previous_log() -> None:
    objects = [CLAIM, WAITING, USER, controller("blockstore-csi-controller", 0), CRASHING]
    key = "storage-system/blockstore-csi-controller-7f8e9d-abcde/plugin/previous"
    with KubeStub(objects, {key: CRASH_LOG}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), scope(namespace="shop", workload="db"), Budget.of(10))
    assert "panic: could not reach" in gathered.state.logs.get(key, "")
