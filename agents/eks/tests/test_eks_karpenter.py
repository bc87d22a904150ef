"""Karpenter: NodePool limits reached, NodePools not ready, launches that failed, and the nodes its
disruption (consolidation, drift, interruption) takes away."""

from __future__ import annotations

from typing import Any

from eks_builders import by_prefix, event, obj, pod, run, running, scope

from agents.eks.quantity import parse_quantity
from shared.contracts import CauseCategory, Severity

LIMIT_MESSAGE = 'Failed to schedule pod, all available instance types exceed limits for nodepool: "batch"'


def nodepool(
    name: str = "batch",
    limits: dict[str, str] | None = None,
    used: dict[str, str] | None = None,
    **status: Any,
) -> dict[str, Any]:
    return obj(
        "NodePool",
        name,
        None,
        api="karpenter.sh/v1",
        spec={"limits": limits or {"cpu": "64", "memory": "256Gi"}, "template": {"spec": {}}},
        status={"resources": used or {"cpu": "16", "memory": "64Gi", "nodes": "2"}, **status},
    )


def pending(name: str = "worker-5c4b3a2d1-q9w8e") -> dict[str, Any]:
    waiting = pod(name, phase="Pending", owner=("ReplicaSet", name.rsplit("-", 1)[0]))
    del waiting["spec"]["nodeName"]
    return waiting


def test_quantities_compare_as_numbers() -> None:
    assert parse_quantity("500m") == 0.5
    assert parse_quantity("2Gi") == 2 * 1024**3
    assert parse_quantity("1e3") == 1000
    assert parse_quantity("lots") is None


def test_nodepool_at_its_cpu_limit_is_why_the_pods_stay_pending() -> None:
    full = nodepool(used={"cpu": "64", "memory": "200Gi", "nodes": "8"})
    waiting = pending()
    said = event("Pod", "worker-5c4b3a2d1-q9w8e", "FailedScheduling", LIMIT_MESSAGE, count=7)
    [finding] = by_prefix(run([full, waiting, said], scope(workload="worker")), "eks:nodepool-limit-reached:")
    assert finding.title.startswith("Karpenter NodePool batch has reached its limits (cpu 64 of limit 64")
    assert "shop/worker-5c4b3a2d1-q9w8e" in finding.title and "exceed limits" in finding.title
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE and finding.severity is Severity.CRITICAL
    assert "NodePool/batch" in finding.resources


def test_karpenter_message_alone_names_the_pool_when_nodepools_are_not_read() -> None:
    said = event(
        "Pod",
        "worker-5c4b3a2d1-q9w8e",
        "FailedScheduling",
        'Failed to schedule pod, incompatible with nodepool "gpu", did not tolerate a taint; '
        'all available instance types exceed limits for nodepool "general"',
    )
    [finding] = by_prefix(run([pending(), said], scope(workload="worker")), "eks:nodepool-limit-reached:")
    assert "NodePool general has reached its limits" in finding.title
    assert "gpu" not in finding.id


def test_a_pool_with_room_and_no_limit_message_is_not_blamed() -> None:
    roomy = nodepool(used={"cpu": "20", "memory": "80Gi"})
    said = event(
        "Pod", "worker-5c4b3a2d1-q9w8e", "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu."
    )
    assert not by_prefix(run([roomy, pending(), said], scope(workload="worker")), "eks:nodepool-")


def test_nodepool_whose_nodeclass_is_not_ready_launches_nothing() -> None:
    broken = nodepool(
        conditions=[
            {
                "type": "NodeClassReady",
                "status": "False",
                "reason": "NodeClassNotReady",
                "message": 'EC2NodeClass "default" not ready: SubnetsReady=False',
            },
            {"type": "Ready", "status": "False", "reason": "UnhealthyDependents"},
        ]
    )
    [finding] = by_prefix(run([broken, pending()], scope(workload="worker")), "eks:nodepool-not-ready:")
    assert "NodeClassReady=False" in finding.title and "SubnetsReady=False" in finding.title
    assert not by_prefix(run([broken], scope(workload="worker")), "eks:nodepool-not-ready:")


def test_launch_failure_of_a_deleted_nodeclaim_is_read_from_its_event() -> None:
    ice = event(
        "NodeClaim",
        "batch-x7k2p",
        "InsufficientCapacityError",
        "NodeClaim batch-x7k2p event: creating instance, insufficient capacity, all requested instance "
        "types were unavailable during launch",
        ns=None,
        count=3,
    )
    [finding] = by_prefix(run([ice, pending()], scope(workload="worker")), "eks:nodeclaim-launch-failed:")
    assert "NodePool batch" in finding.title and "NodeClaim batch-x7k2p" in finding.title
    assert "insufficient capacity" in finding.title and "1 pod(s) Pending" in finding.title
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE
    nodeclass = event(
        "NodeClaim",
        "batch-a1b2c",
        "NodeClassNotReady",
        'NodeClaim batch-a1b2c event: resolving node class, EC2NodeClass "default" is not ready',
        ns=None,
    )
    [finding] = by_prefix(
        run([nodeclass, pending()], scope(workload="worker")), "eks:nodeclaim-launch-failed:"
    )
    assert finding.cause_hint is CauseCategory.NODE_FAILURE


def test_consolidation_names_why_karpenter_took_the_node() -> None:
    node_name = "ip-10-0-7-12.ec2.internal"
    node = obj(
        "Node",
        node_name,
        None,
        api="v1",
        spec={"taints": [{"key": "karpenter.sh/disrupted", "effect": "NoSchedule"}]},
        status={"conditions": [{"type": "Ready", "status": "True"}]},
    )
    terminating = event(
        "Node", node_name, "DisruptionTerminating", "Disrupting Node: Underutilized", ns=None, type_="Normal"
    )
    mine = pod("worker-5c4b3a2d1-aaaaa", node=node_name, statuses=[running()])
    [finding] = by_prefix(run([node, terminating, mine], scope(workload="worker")), "eks:node-interrupted:")
    assert "being disrupted by Karpenter" in finding.title and "Underutilized" in finding.title
    assert finding.cause_hint is CauseCategory.NODE_FAILURE
    # Nothing of the alert's on it: a voluntary disruption is no cause.
    [elsewhere] = by_prefix(run([node, terminating], scope(workload="other")), "eks:node-interrupted:")
    assert elsewhere.cause_hint is None
