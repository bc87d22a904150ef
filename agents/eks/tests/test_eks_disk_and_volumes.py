"""A node's full disk seen from the workload it evicts, and pods that wait on their volume: what the
report's cause category is (a full disk, a storage failure), not only what the pod looks like."""

from __future__ import annotations

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.reader import KubeReader
from shared.contracts import CauseCategory

NODE = "ip-10-1-7-88.ec2.internal"
LOW_DISK = (
    "The node was low on resource: ephemeral-storage. Threshold quantity: 2096082009, available: 1719348Ki. "
    "Container search was using 1386Mi, request is 0, has larger consumption of ephemeral-storage. "
)


def pressured_node() -> dict:
    conditions = [
        {"type": "Ready", "status": "True"},
        {"type": "DiskPressure", "status": "True", "reason": "KubeletHasDiskPressure"},
    ]
    return obj("Node", NODE, None, api="v1", status={"conditions": conditions})


def test_evictions_for_ephemeral_storage_on_a_node_under_disk_pressure_are_a_full_disk() -> None:
    evicted = pod(
        "search-7b5d9c6f8-n4lxq",
        node=NODE,
        phase="Failed",
        reason="Evicted",
        message=LOW_DISK,
        owner=("ReplicaSet", "search-7b5d9c6f8"),
    )
    findings = run([pressured_node(), evicted], scope(namespace="shop", workload="search"))
    [node] = by_prefix(findings, "eks:node-disk-pressure:")
    assert node.cause_hint is CauseCategory.DISK_FULL
    [eviction] = by_prefix(findings, "eks:pod-evicted:")
    assert eviction.cause_hint is CauseCategory.DISK_FULL and "ephemeral-storage" in eviction.title
    # An alert about the node itself: its condition is the node's failure.
    findings = run([pressured_node(), evicted], scope(node=NODE))
    [node] = by_prefix(findings, "eks:node-disk-pressure:")
    assert node.cause_hint is CauseCategory.NODE_FAILURE


def _evicted_search() -> dict:
    return pod(
        "search-7b5d9c6f8-n4lxq",
        node=NODE,
        phase="Failed",
        reason="Evicted",
        message=LOW_DISK,
        owner=("ReplicaSet", "search-7b5d9c6f8"),
    )


def _writer(name: str, ns: str, env: list[dict] | None = None, created: float = 60 * 24 * 9) -> dict:
    return pod(
        name,
        ns,
        node=NODE,
        statuses=[running()],
        containers=[{"name": "app", "image": "repo/app:v1", "env": env or []}],
        created=created,
    )


def test_a_node_under_disk_pressure_names_the_pod_still_running_there_that_logs_verbosely() -> None:
    conditions = [
        {"type": "Ready", "status": "True"},
        {"type": "DiskPressure", "status": "True", "lastTransitionTime": at(15)},
    ]
    node = obj("Node", NODE, None, api="v1", status={"conditions": conditions})
    chatty = _writer("reconciler-5d6f7a8b9-qwert", "billing", [{"name": "LOG_LEVEL", "value": "TRACE"}])
    quiet = _writer("metrics-agent-abcde", "monitoring")
    findings = run([node, _evicted_search(), chatty, quiet], scope(namespace="shop", workload="search"))
    [finding] = by_prefix(findings, "eks:node-disk-pressure:")
    assert "still running there: billing/reconciler-5d6f7a8b9-qwert (LOG_LEVEL=TRACE" in finding.title
    assert "metrics-agent" not in finding.title
    assert finding.cause_hint is CauseCategory.DISK_FULL
    # A pod started shortly before the pressure began is named too; an old quiet one never.
    fresh = _writer("importer-6c5b4a3d2-zxcvb", "batch", created=90)
    [finding] = by_prefix(
        run([node, _evicted_search(), fresh, quiet], scope(namespace="shop", workload="search")),
        "eks:node-disk-pressure:",
    )
    assert "batch/importer-6c5b4a3d2-zxcvb (started" in finding.title


def test_scan_lists_every_pod_on_the_pressured_node_that_hosts_the_alerts_pods() -> None:
    node = pressured_node()
    hosted = pod(
        "search-7b5d9c6f8-abcde", node=NODE, statuses=[running()], owner=("ReplicaSet", "search-7b5d9c6f8")
    )
    elsewhere = _writer("reconciler-5d6f7a8b9-qwert", "billing", [{"name": "LOG_LEVEL", "value": "TRACE"}])
    far = pod("other-1", "billing", node="ip-10-9-9-9.ec2.internal", statuses=[running()])
    with KubeStub([node, hosted, elsewhere, far], {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), scope(namespace="shop", workload="search"), Budget.of(10))
    names = {p["metadata"]["name"] for p in gathered.state.pods}
    assert "reconciler-5d6f7a8b9-qwert" in names and "other-1" not in names


def test_a_pod_the_scheduler_cannot_bind_volumes_for_is_a_storage_failure() -> None:
    pending = pod(
        "label-studio-6f8d7c9b5-xk2rp",
        ns="annotation",
        phase="Pending",
        node="",
        owner=("ReplicaSet", "label-studio-6f8d7c9b5"),
        conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
    )
    timeout = event(
        "Pod",
        "label-studio-6f8d7c9b5-xk2rp",
        "FailedScheduling",
        'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded',
        ns="annotation",
        count=12,
        first=25,
    )
    findings = run([pending, timeout], scope(namespace="annotation", workload="label-studio"))
    [finding] = by_prefix(findings, "eks:pod-pending:")
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE and "VolumeBinding" in finding.title
    cpu = event(
        "Pod",
        "label-studio-6f8d7c9b5-xk2rp",
        "FailedScheduling",
        "0/3 nodes are available: 3 Insufficient cpu.",
        ns="annotation",
        count=12,
        first=25,
    )
    findings = run([pending, cpu], scope(namespace="annotation", workload="label-studio"))
    [finding] = by_prefix(findings, "eks:pod-pending:")
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE


def test_a_failed_volume_the_alert_names_is_its_cause_with_the_controllers_reason() -> None:
    pv = obj(
        "PersistentVolume",
        "reports-archive-nfs",
        None,
        api="v1",
        spec={"persistentVolumeReclaimPolicy": "Delete", "nfs": {"server": "fs.internal", "path": "/x"}},
        status={"phase": "Failed"},
    )
    failed_delete = event(
        "PersistentVolume",
        "reports-archive-nfs",
        "VolumeFailedDelete",
        'error getting deleter volume plugin for volume "reports-archive-nfs": '
        "no deletable volume plugin matched",
        ns=None,
    )
    [finding] = by_prefix(run([pv, failed_delete], scope(workload="reports-archive-nfs")), "eks:pv-failed:")
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE and finding.relevance >= 0.9
    assert "no deletable volume plugin matched" in finding.title
    # Not named by the alert and bound to no claim in scope: low.
    [other] = by_prefix(run([pv, failed_delete], scope(workload="checkout")), "eks:pv-failed:")
    assert other.relevance < 0.5


def test_an_attach_error_names_the_cloud_volume_and_the_clouds_answer() -> None:
    pv = obj(
        "PersistentVolume",
        "pvc-8e7d",
        None,
        api="v1",
        spec={
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0c9a1b2d3e4f56789"},
            "claimRef": {"namespace": "shop", "name": "data-broker-1"},
        },
        status={"phase": "Bound"},
    )
    message = (
        'rpc error: code = Internal desc = Could not attach volume "vol-0c9a1b2d3e4f56789" to node "i-0a": '
        'could not attach volume "vol-0c9a1b2d3e4f56789" to node "i-0a": operation error EC2: AttachVolume, '
        "https response error StatusCode: 400, RequestID: 5b7c, api error InvalidParameterValue: "
        "Invalid value '/dev/xvdba' for unixDevice. Attachment point /dev/xvdba is already in use"
    )
    attachment = obj(
        "VolumeAttachment",
        "csi-3f9e",
        None,
        api="storage.k8s.io/v1",
        spec={
            "attacher": "ebs.csi.aws.com",
            "nodeName": "ip-10-0-2-88",
            "source": {"persistentVolumeName": "pvc-8e7d"},
        },
        status={"attached": False, "attachError": {"message": message}},
    )
    broker = pod("broker-1", phase="Pending")
    broker["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-broker-1"}}]
    [finding] = by_prefix(run([pv, attachment, broker], scope(pod="broker-1")), "eks:volume-attach-failed:")
    assert (
        "vol-0c9a1b2d3e4f56789" in finding.title
        and "Attachment point /dev/xvdba is already in use" in finding.title
    )
    assert (
        finding.cause_hint is CauseCategory.STORAGE_FAILURE and "pod broker-1 waits for it" in finding.title
    )
