"""An HPA whose scale target no longer exists (renamed, moved) beside the alert's workload that no
HPA scales: the orphaned HPA is why the workload does not scale, and the finding says so."""

from __future__ import annotations

from eks_builders import at, by_prefix, obj, pod, run, running, scope

from shared.contracts import CauseCategory, Severity
from shared.relevance import Relevance


def hpa(name: str, target: str) -> dict:
    return obj(
        "HorizontalPodAutoscaler",
        name,
        api="autoscaling/v2",
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 2,
            "maxReplicas": 20,
        },
        status={
            "currentReplicas": 0,
            "desiredReplicas": 0,
            "conditions": [
                {
                    "type": "AbleToScale",
                    "status": "False",
                    "reason": "FailedGetScale",
                    "message": f'deployments/scale.apps "{target}" not found',
                    "lastTransitionTime": at(150),
                }
            ],
        },
    )


WEB = obj(
    "Deployment",
    "storefront",
    creationTimestamp=at(60 * 24 * 40),
    spec={"replicas": 2, "selector": {"matchLabels": {"app": "storefront"}}},
    status={"readyReplicas": 2},
)
WEB_POD = pod(
    "storefront-6c5d4b3a2-k8j7h",
    labels={"app": "storefront"},
    statuses=[running()],
    owner=("ReplicaSet", "storefront-6c5d4b3a2"),
)


def test_orphaned_hpa_beside_the_alerts_unscaled_workload_is_about_the_alert() -> None:
    findings = run(
        [hpa("storefront-v1", "storefront-v1"), WEB, WEB_POD],
        scope(namespace="shop", pod=WEB_POD["metadata"]["name"]),
    )
    [finding] = by_prefix(findings, "eks:hpa-target-missing:")
    assert finding.relevance >= Relevance.DIRECT and finding.severity is Severity.CRITICAL
    assert "no HPA scales the alert's Deployment shop/storefront, which stays at 2 replicas" in finding.title
    assert "FailedGetScale" in finding.title and finding.cause_hint is CauseCategory.SCALING_LIMIT
    assert finding.first_seen is not None  # since the controller's condition changed


def test_orphaned_hpa_unrelated_to_the_alerts_workload_is_not_about_it() -> None:
    # No shared name and the workload is older than the HPA's last scale: another app's leftover.
    leftover = hpa("report-batch", "report-batch")
    leftover["status"]["lastScaleTime"] = at(60 * 24 * 30)
    findings = run([leftover, WEB, WEB_POD], scope(namespace="shop", pod=WEB_POD["metadata"]["name"]))
    [finding] = by_prefix(findings, "eks:hpa-target-missing:")
    assert finding.relevance < Relevance.DIRECT and "no HPA scales" not in finding.title
    # The same leftover, last scaled before the workload was created: the workload replaced its target.
    leftover["status"]["lastScaleTime"] = at(60 * 24 * 60)
    findings = run([leftover, WEB, WEB_POD], scope(namespace="shop", pod=WEB_POD["metadata"]["name"]))
    [renamed] = by_prefix(findings, "eks:hpa-target-missing:")
    assert renamed.relevance >= Relevance.DIRECT


def test_orphaned_hpa_is_not_about_a_workload_that_has_its_own_hpa() -> None:
    objects = [hpa("storefront-v1", "storefront-v1"), hpa("storefront", "storefront"), WEB, WEB_POD]
    findings = run(objects, scope(namespace="shop", pod=WEB_POD["metadata"]["name"]))
    [finding] = by_prefix(findings, "eks:hpa-target-missing:")
    assert finding.relevance < Relevance.DIRECT and "no HPA scales" not in finding.title
