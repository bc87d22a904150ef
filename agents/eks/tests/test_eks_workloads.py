"""Deployments, StatefulSets, DaemonSets, ReplicaSets with FailedCreate, failed Jobs."""

from __future__ import annotations

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope

from shared.contracts import CauseCategory, Severity, Trigger

TEMPLATE = {"template": {"spec": {"containers": [{"name": "app", "image": "repo/checkout:v2.3.0"}]}}}


def deployment(
    name: str = "checkout",
    *,
    replicas: int = 2,
    ready: int = 2,
    updated: int | None = None,
    conditions: list[dict[str, str]] | None = None,
    generation: int = 5,
    observed: int = 5,
) -> dict:
    return obj(
        "Deployment",
        name,
        spec={"replicas": replicas, **TEMPLATE},
        generation=generation,
        status={
            "replicas": replicas,
            "readyReplicas": ready,
            "observedGeneration": observed,
            "updatedReplicas": replicas if updated is None else updated,
            "conditions": conditions or [],
        },
    )


def test_ready_below_desired_is_critical_when_none_are_ready() -> None:
    [finding] = by_prefix(run([deployment(ready=0)]), "eks:deployment-unavailable:")
    assert finding.severity is Severity.CRITICAL
    assert "0/2 replicas ready" in finding.title and "checkout:v2.3.0" in finding.title
    [finding] = by_prefix(run([deployment(replicas=3, ready=2)]), "eks:deployment-unavailable:")
    assert finding.severity is Severity.WARNING


def test_healthy_deployment_gives_nothing() -> None:
    assert run([deployment()]) == []


def test_progress_deadline_exceeded() -> None:
    stuck = deployment(
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "checkout-7d9f8c6b5" has timed out progressing.',
                "lastTransitionTime": at(20),
            }
        ]
    )
    [finding] = by_prefix(run([stuck]), "eks:deployment-progress-deadline:")
    assert finding.severity is Severity.CRITICAL and "ProgressDeadlineExceeded" in finding.title


def test_rollout_in_progress_is_a_deploy_change() -> None:
    rolling = deployment(replicas=3, ready=3, updated=1, generation=6, observed=6)
    [finding] = by_prefix(run([rolling]), "eks:deployment-rollout:")
    assert finding.change is Trigger.DEPLOY and "1/3 replicas updated" in finding.title


def test_statefulset_and_daemonset_below_desired() -> None:
    sts = obj("StatefulSet", "db", spec={"replicas": 3, **TEMPLATE}, status={"readyReplicas": 1})
    ds = obj(
        "DaemonSet",
        "log-shipper",
        "observability",
        spec=TEMPLATE,
        status={"desiredNumberScheduled": 4, "numberReady": 3},
    )
    findings = run([sts, ds])
    assert "1/3 replicas ready" in by_prefix(findings, "eks:statefulset-unavailable:shop/db")[0].title
    assert (
        "3/4 replicas ready"
        in by_prefix(findings, "eks:daemonset-unavailable:observability/log-shipper")[0].title
    )


def test_replicaset_failed_create_by_quota_is_unschedulable() -> None:
    rs = obj(
        "ReplicaSet",
        "feature-extractor-8f9a7b6c5",
        "ml-batch",
        ownerReferences=[{"kind": "Deployment", "name": "feature-extractor", "controller": True}],
    )
    quota = event(
        "ReplicaSet",
        "feature-extractor-8f9a7b6c5",
        "FailedCreate",
        'Error creating: pods "feature-extractor-8f9a7b6c5-x9z8w" is forbidden: exceeded quota: '
        "compute-quota, requested: limits.cpu=2, used: limits.cpu=16, limited: limits.cpu=16",
        ns="ml-batch",
        count=22,
    )
    [finding] = by_prefix(run([rs, quota]), "eks:replicaset-failedcreate:")
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE
    assert "exceeded quota: compute-quota" in finding.title and "feature-extractor" in finding.title
    assert "Error creating" not in finding.title


def test_admission_denial_is_bad_config_even_from_the_deployment_condition_alone() -> None:
    denied = deployment(
        conditions=[
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": 'admission webhook "policy.example.com" denied the request: '
                "image must come from the company registry",
            }
        ]
    )
    [finding] = by_prefix(run([denied]), "eks:replicaset-failedcreate:")
    assert finding.cause_hint is CauseCategory.BAD_CONFIG and "admission webhook" in finding.title


def test_failed_job_in_window_is_reported_and_old_unrelated_ones_are_not() -> None:
    recent = obj(
        "Job",
        "export-29371140",
        api="batch/v1",
        ownerReferences=[{"kind": "CronJob", "name": "export", "controller": True}],
        status={
            "failed": 3,
            "startTime": at(30),
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastTransitionTime": at(10),
                }
            ],
        },
    )
    [finding] = by_prefix(run([recent]), "eks:job-failed:")
    assert "BackoffLimitExceeded" in finding.title and "CronJob export" in finding.title
    old = obj(
        "Job",
        "report-1",
        "analytics",
        api="batch/v1",
        status={
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "DeadlineExceeded",
                    "lastTransitionTime": at(300),
                }
            ]
        },
    )
    assert by_prefix(run([old], scope(namespace="shop", workload="checkout")), "eks:job-failed:") == []


def test_workload_relevance_comes_from_its_pods_on_the_alert_node() -> None:
    ds = obj(
        "DaemonSet",
        "log-shipper",
        "observability",
        spec=TEMPLATE,
        status={"desiredNumberScheduled": 3, "numberReady": 2},
    )
    shipper = pod(
        "log-shipper-x7k2p",
        "observability",
        owner=("DaemonSet", "log-shipper"),
        node="ip-10-0-2-88.ec2.internal",
        statuses=[running(ready=False)],
    )
    findings = run([ds, shipper], scope(node="ip-10-0-2-88.ec2.internal"))
    assert by_prefix(findings, "eks:daemonset-unavailable:")[0].relevance >= 0.85
