"""Pods evicted by a node taken away (a Spot interruption) go Pending in the same minute: the
interruption, a change that produces node failures, is the cause although it did not lead by
minutes; a node problem that is no such change must still lead."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger


def test_the_interruption_not_the_pending_is_the_cause_when_both_began_together() -> None:
    pending = finding(
        "eks:pod-pending:shop/checkout-7d9f8c6b5-x2k4p",
        Severity.CRITICAL,
        "Pending (Unschedulable): pod shop/checkout-7d9f8c6b5-x2k4p: 0/5 nodes are available",
        relevance=0.95,
        at=ago(10),
        cause=CauseCategory.UNSCHEDULABLE,
    )
    interrupted = finding(
        "eks:node-interrupted:spot-a1b2c",
        Severity.CRITICAL,
        "Karpenter NodeClaim spot-a1b2c interrupted: SpotInterrupted",
        relevance=0.9,
        at=ago(10),
        cause=CauseCategory.NODE_FAILURE,
        change=Trigger.INFRASTRUCTURE,
    )
    report = synthesize(oom_ctx(), [ok("eks", pending, interrupted)])
    assert report.cause.category is CauseCategory.NODE_FAILURE
    # A node problem that is not itself the change producing it must lead by minutes.
    quiet = interrupted.model_copy(update={"change": None})
    report = synthesize(oom_ctx(), [ok("eks", pending, quiet)])
    assert report.cause.category is CauseCategory.UNSCHEDULABLE
