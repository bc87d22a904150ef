"""A rollback step undoes the rollout that was the change: the Deployment it rolled out, which may be
a dependency's rather than the alert's own; with no rollout named, the alert's workload."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts import CauseCategory, Finding, Hints, RiskClass, Severity, Trigger
from shared.next_steps import next_steps

HINTS = Hints(namespace="shop", workload="storefront")


def change(*resources: str) -> Finding:
    return Finding(
        id="eks:rollout-pricing",
        agent="eks",
        severity=Severity.WARNING,
        title="Deployment pricing/pricing revision 12, rolled out 9 min before the alert",
        resources=resources,
        first_seen=datetime(2026, 12, 7, 21, 0, tzinfo=UTC),
        change=Trigger.DEPLOY,
    )


def rollbacks(change: Finding | None) -> list[tuple[str, str | None]]:
    steps = next_steps(CauseCategory.BAD_DEPLOY, Trigger.DEPLOY, HINTS, change)
    return [
        (s.text, s.command)
        for s in steps
        if s.risk is RiskClass.NEEDS_APPROVAL and "undo" in (s.command or "")
    ]


def test_the_rollback_names_the_deployment_the_change_rolled_out() -> None:
    by_replicaset = rollbacks(
        change("pricing/ReplicaSet/pricing-7f6d9c8b54", "pricing/ReplicaSet/pricing-5b8c7d6f91")
    )
    by_deployment = rollbacks(change("pricing/Deployment/pricing"))
    expected = [
        ("Roll back pricing to the previous revision", "kubectl -n pricing rollout undo deployment/pricing")
    ]
    assert by_replicaset == by_deployment == expected


def test_without_a_rollout_named_the_rollback_is_the_alerts_workload() -> None:
    expected = [
        (
            "Roll back storefront to the previous revision",
            "kubectl -n shop rollout undo deployment/storefront",
        )
    ]
    assert rollbacks(change()) == expected
    assert rollbacks(change("shop/ConfigMap/storefront-config")) == expected


def test_a_resource_name_that_is_not_a_kubernetes_name_never_reaches_a_command() -> None:
    steps = rollbacks(change("pricing/Deployment/pricing; rm -rf /"))
    assert steps == [
        (
            "Roll back storefront to the previous revision",
            "kubectl -n shop rollout undo deployment/storefront",
        )
    ]
