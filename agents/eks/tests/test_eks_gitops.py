"""What a GitOps controller applied just before is a change: Argo CD's sync operation and Flux's
last attempted revision, with the revision and, when the apply failed, the controller's words."""

from __future__ import annotations

from agents.eks.tests.eks_builders import at, by_prefix, obj, run, scope
from shared.contracts import Trigger

FAILED = (
    'one or more objects failed to apply, reason: Deployment.apps "payments-api" is invalid: '
    'spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or '
    "equal to cpu limit of 1"
)


def application(name: str, started_minutes_ago: float, phase: str, message: str = "") -> dict:
    return obj(
        "Application",
        name,
        "payments",
        api="argoproj.io/v1alpha1",
        spec={"destination": {"namespace": "payments"}},
        status={
            "operationState": {
                "operation": {"sync": {"revision": "4f2c9e1b7a3d"}},
                "phase": phase,
                "message": message,
                "startedAt": at(started_minutes_ago),
                "syncResult": {"revision": "4f2c9e1b7a3d"},
            }
        },
    )


def test_an_argo_sync_just_before_is_a_config_change_with_its_revision_and_failure() -> None:
    findings = run([application("payments-api", 31, "Failed", FAILED)], scope(namespace="payments"))
    [sync] = by_prefix(findings, "eks:gitops-sync:")
    assert sync.change is Trigger.CONFIG_CHANGE
    assert "Application payments/payments-api applied revision 4f2c9e1b7a3d: Failed" in sync.title
    assert "must be less than or equal to cpu limit" in sync.title


def test_a_sync_days_old_is_not_just_before() -> None:
    findings = run([application("payments-api", 3 * 24 * 60, "Succeeded")], scope(namespace="payments"))
    assert by_prefix(findings, "eks:gitops-sync:") == []


def test_a_flux_release_that_failed_its_last_attempted_revision_is_a_change() -> None:
    release = obj(
        "HelmRelease",
        "billing",
        "payments",
        api="helm.toolkit.fluxcd.io/v2",
        status={
            "lastAttemptedRevision": "2.4.1",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": "Helm upgrade failed: timed out waiting for the condition",
                    "lastTransitionTime": at(12),
                }
            ],
        },
    )
    [sync] = by_prefix(run([release], scope(namespace="payments")), "eks:gitops-sync:")
    assert sync.change is Trigger.CONFIG_CHANGE
    assert "applied revision 2.4.1: UpgradeFailed (Helm upgrade failed" in sync.title
