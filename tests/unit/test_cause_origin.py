"""A trigger inferred from the cause when no change is on its path: said as inferred, and with no
step to undo a change nobody saw."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger
from shared.render import posted_text, render_slack

ATTACH = (
    "FailedAttachVolume: pod shop/checkout-7d9f8c6b5-x2k4p: AttachVolume.Attach failed for volume "
    '"pvc-4f1c" : rpc error: code = DeadlineExceeded desc = context deadline exceeded'
)


def _attach_failure() -> object:
    return finding(
        "eks:pod-volume:shop/checkout",
        Severity.CRITICAL,
        ATTACH,
        relevance=0.95,
        at=ago(12),
        cause=CauseCategory.STORAGE_FAILURE,
        resources=("shop/Pod/checkout-7d9f8c6b5-x2k4p",),
    )


def test_with_no_change_on_its_path_the_trigger_is_the_causes_usual_origin_said_as_inferred() -> None:
    report = synthesize(oom_ctx(), [ok("eks", _attach_failure())])

    assert report.cause.category is CauseCategory.STORAGE_FAILURE
    assert report.cause.trigger is Trigger.INFRASTRUCTURE
    assert "No change was found on its path; this usually follows an infrastructure change." in (
        report.cause.summary
    )
    text = posted_text(render_slack(report))
    assert "infrastructure (inferred: no change on its path)" in text
    assert not any("Check the infrastructure change" in step.text for step in report.next_steps)


def test_a_change_seen_on_the_path_is_the_trigger_and_not_said_as_inferred() -> None:
    upgrade = finding(
        "eks:nodegroup-update:shop/ng-general",
        Severity.WARNING,
        "Node group ng-general updated: AMI release 1.30.4-20241109 rolled to its nodes",
        relevance=0.9,
        at=ago(20),
        change=Trigger.INFRASTRUCTURE,
        resources=("shop/Pod/checkout-7d9f8c6b5-x2k4p",),
    )
    report = synthesize(oom_ctx(), [ok("eks", _attach_failure(), upgrade)])

    assert report.cause.trigger is Trigger.INFRASTRUCTURE
    assert "No change was found" not in report.cause.summary
    assert "(inferred" not in posted_text(render_slack(report))
