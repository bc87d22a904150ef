"""Volumes a pod waits for: the finding names the claim, its volume and the node holding it."""

from __future__ import annotations

from typing import Any

from eks_builders import by_prefix, event, obj, pod, run, running, scope

from shared.contracts import CauseCategory, Severity

OLD_NODE, NEW_NODE = "ip-10-0-1-17.ec2.internal", "ip-10-0-2-88.ec2.internal"
PV = "pvc-3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b"


def claim_pod(name: str, node: str, **extra: Any) -> dict[str, Any]:
    made = pod(name, node=node, owner=("StatefulSet", "orders-db"), **extra)
    made["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-orders-db-0"}}]
    return made


def storage() -> list[dict[str, Any]]:
    pvc = obj(
        "PersistentVolumeClaim",
        "data-orders-db-0",
        api="v1",
        spec={"accessModes": ["ReadWriteOnce"], "volumeName": PV, "storageClassName": "gp3"},
        status={"phase": "Bound"},
    )
    pv = obj(
        "PersistentVolume",
        PV,
        None,
        api="v1",
        spec={
            "accessModes": ["ReadWriteOnce"],
            "claimRef": {"namespace": "shop", "name": "data-orders-db-0"},
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0a1b2c3d4e5f6a7b8"},
        },
        status={"phase": "Bound"},
    )
    attachment = obj(
        "VolumeAttachment",
        "csi-4c5d6e7f8a9b",
        None,
        api="storage.k8s.io/v1",
        spec={"attacher": "ebs.csi.aws.com", "nodeName": OLD_NODE, "source": {"persistentVolumeName": PV}},
        status={"attached": True},
    )
    return [pvc, pv, attachment]


def test_multi_attach_names_the_claim_the_volume_and_the_node_holding_it() -> None:
    waiting = claim_pod("orders-db-0", NEW_NODE, phase="Pending", statuses=[])
    multi = event(
        "Pod",
        "orders-db-0",
        "FailedAttachVolume",
        f'Multi-Attach error for volume "{PV}" Volume is already exclusively attached to one node and '
        "can't be attached to another",
        count=9,
    )
    [finding] = by_prefix(
        run([*storage(), waiting, multi], scope(pod="orders-db-0")), "eks:claim-volume-multi-attach:"
    )
    assert finding.title.startswith("Multi-Attach error: PersistentVolumeClaim shop/data-orders-db-0")
    assert f"still attached to node {OLD_NODE}" in finding.title and NEW_NODE in finding.title
    assert {
        "shop/PersistentVolumeClaim/data-orders-db-0",
        f"PersistentVolume/{PV}",
        f"Node/{OLD_NODE}",
        "shop/Pod/orders-db-0",
    } <= set(finding.resources)
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE and finding.severity is Severity.CRITICAL


def test_the_holder_is_the_other_pod_using_the_claim_when_no_attachment_was_read() -> None:
    waiting = claim_pod("orders-db-0", NEW_NODE, phase="Pending", statuses=[])
    stale = claim_pod("orders-db-0-old", OLD_NODE, statuses=[running()])
    multi = event(
        "Pod",
        "orders-db-0",
        "FailedAttachVolume",
        f'Multi-Attach error for volume "{PV}" Volume is already used by pod(s) orders-db-0-old',
    )
    pvc, pv, _ = storage()
    [finding] = by_prefix(
        run([pvc, pv, waiting, stale, multi], scope(pod="orders-db-0")), "eks:claim-volume-multi"
    )
    assert f"Node/{OLD_NODE}" in finding.resources and "pod orders-db-0-old" in finding.title


def test_mount_timeout_is_traced_from_the_pod_volume_to_the_claim() -> None:
    waiting = claim_pod("orders-db-0", NEW_NODE, phase="Pending", statuses=[])
    timeout = event(
        "Pod",
        "orders-db-0",
        "FailedMount",
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data "
        "kube-api-access-8xk2p]: timed out waiting for the condition",
    )
    [finding] = by_prefix(
        run([*storage(), waiting, timeout], scope(pod="orders-db-0")), "eks:claim-volume-failedmount:"
    )
    assert "PersistentVolumeClaim shop/data-orders-db-0" in finding.title and "timed out" in finding.title
    assert f"PersistentVolume/{PV}" in finding.resources


def test_a_missing_configmap_volume_is_configuration_not_storage() -> None:
    waiting = pod("checkout-7d9f8c6b5-x2k4p", phase="Pending", statuses=[], created=30)
    missing = event(
        "Pod",
        "checkout-7d9f8c6b5-x2k4p",
        "FailedMount",
        'MountVolume.SetUp failed for volume "settings" : configmap "checkout-settings" not found',
        count=12,
    )
    findings = run([waiting, missing], scope(pod="checkout-7d9f8c6b5-x2k4p"))
    assert not by_prefix(findings, "eks:claim-volume-")
    [stuck] = by_prefix(findings, "eks:pod-volume:")
    assert stuck.cause_hint is CauseCategory.BAD_CONFIG and 'configmap "checkout-settings"' in stuck.title
