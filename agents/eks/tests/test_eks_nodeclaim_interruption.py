"""Karpenter reports a Spot interruption on the NodeClaim, whose Node is deleted two minutes later:
the interruption is found from the claim's events and tied to the alert's pods recreated after it."""

from __future__ import annotations

from eks_builders import by_prefix, event, obj, pod, run, scope

from shared.contracts import CauseCategory, Severity, Trigger

PENDING = pod(
    "ledger-sync-7c8d9e0f1-b2n3m",
    phase="Pending",
    created=9,
    owner=("ReplicaSet", "ledger-sync-7c8d9e0f1"),
    conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
)


def claim_events(claim: str) -> list[dict]:
    return [
        event(
            "NodeClaim",
            claim,
            "SpotInterrupted",
            "Spot interruption warning was triggered",
            ns=None,
            first=10,
        ),
        event(
            "NodeClaim",
            claim,
            "TerminatingOnInterruption",
            "Interruption triggered termination for the NodeClaim",
            ns=None,
            first=10,
        ),
    ]


def test_interruption_of_a_deleted_nodeclaim_is_tied_to_the_pods_it_evicted() -> None:
    findings = run([PENDING, *claim_events("batch-spot-k2j4h")], scope(workload="ledger-sync"))
    [found] = by_prefix(findings, "eks:node-interrupted:")
    assert found.title.startswith("Karpenter NodeClaim batch-spot-k2j4h interrupted")
    assert "the alert's pods were recreated after it: ledger-sync-7c8d9e0f1-b2n3m" in found.title
    assert found.cause_hint is CauseCategory.NODE_FAILURE and found.change is Trigger.INFRASTRUCTURE
    assert found.severity is Severity.CRITICAL


def test_a_claim_still_there_is_reported_by_its_node() -> None:
    claim = obj(
        "NodeClaim",
        "batch-spot-k2j4h",
        None,
        api="karpenter.sh/v1",
        status={"nodeName": "ip-10-1-2-3.ec2.internal"},
    )
    findings = run([PENDING, claim, *claim_events("batch-spot-k2j4h")], scope(workload="ledger-sync"))
    [found] = by_prefix(findings, "eks:node-interrupted:")
    assert "(node ip-10-1-2-3.ec2.internal)" in found.title
    assert "Node/ip-10-1-2-3.ec2.internal" in found.resources
