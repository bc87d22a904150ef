"""Spot capacity is named where it explains the loss: a NotReady node whose capacity label says
Spot, and an interruption whose events (not only the one shown) say it was a Spot reclaim."""

from __future__ import annotations

from eks_builders import by_prefix, event, obj, pod, run, running, scope

NODE = "ip-10-0-5-23.ec2.internal"


def node(capacity: str) -> dict:
    ready = {
        "type": "Ready",
        "status": "Unknown",
        "reason": "NodeStatusUnknown",
        "message": "Kubelet stopped",
    }
    return obj(
        "Node",
        NODE,
        None,
        api="v1",
        status={"conditions": [ready]},
        labels={"eks.amazonaws.com/capacityType": capacity},
    )


def test_a_spot_node_gone_not_ready_says_it_runs_on_spot() -> None:
    mine = pod("ws-gateway-5d9f8b7c6a-9tq4z", node=NODE, statuses=[running(ready=False)])
    [spot] = by_prefix(run([node("SPOT"), mine], scope(workload="ws-gateway")), "eks:node-notready:")
    assert "a Spot instance (eks.amazonaws.com/capacityType=SPOT)" in spot.title
    [on_demand] = by_prefix(
        run([node("ON_DEMAND"), mine], scope(workload="ws-gateway")), "eks:node-notready:"
    )
    assert "spot" not in on_demand.title.lower()


def test_an_interruption_told_by_a_spot_event_says_spot_whichever_event_is_quoted() -> None:
    events = [
        event(
            "NodeClaim",
            "general-7hq4k",
            "SpotInterrupted",
            "Spot interruption warning was triggered",
            ns=None,
        ),
        event(
            "NodeClaim",
            "general-7hq4k",
            "TerminatingOnInterruption",
            "Interruption triggered termination for the NodeClaim",
            ns=None,
        ),
    ]
    pending = pod(
        "typeahead-5f7d9c8b6-vnm4t", phase="Pending", created=5, owner=("ReplicaSet", "typeahead-5f7d9c8b6")
    )
    [found] = by_prefix(run([pending, *events], scope(workload="typeahead")), "eks:node-interrupted:")
    assert "spot" in found.title.lower()
    # Without a Spot event or label, nothing says Spot.
    [plain] = by_prefix(run([pending, events[1]], scope(workload="typeahead")), "eks:node-interrupted:")
    assert "spot" not in plain.title.lower()
