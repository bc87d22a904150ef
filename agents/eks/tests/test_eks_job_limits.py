"""A CronJob's run killed at its deadline after its CPU limit was cut: the failed Job's finding
names the limit, the one of the last run that finished, and is CPU starvation after a config change;
with the same limit as before, the limit is named but no cause is claimed."""

from __future__ import annotations

from typing import Any

from eks_builders import at, by_prefix, obj, run, scope

from shared.contracts import CauseCategory, Trigger

CRON = ("CronJob", "feature-backfill")


def job(name: str, cpu: str, *, created: float, failed: bool) -> dict[str, Any]:
    container = {"name": "backfill", "image": "r/backfill:1", "resources": {"limits": {"cpu": cpu}}}
    condition = (
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "Job was active longer"}
        if failed
        else {"type": "Complete", "status": "True"}
    )
    return obj(
        "Job",
        name,
        "recs",
        api="batch/v1",
        spec={"activeDeadlineSeconds": 3600, "template": {"spec": {"containers": [container]}}},
        status={"conditions": [{**condition, "lastTransitionTime": at(3)}], "failed": 1 if failed else 0},
        creationTimestamp=at(created),
        ownerReferences=[{"apiVersion": "batch/v1", "kind": CRON[0], "name": CRON[1], "controller": True}],
    )


def test_deadline_exceeded_after_the_cpu_limit_was_cut_is_cpu_starvation() -> None:
    jobs = [
        job("feature-backfill-2", "500m", created=63, failed=True),
        job("feature-backfill-1", "2", created=1500, failed=False),
    ]
    [finding] = by_prefix(run(jobs, scope(namespace="recs", workload="feature-backfill")), "eks:job-failed:")
    assert "CPU limit 500m (2 in the last successful run, feature-backfill-1)" in finding.title
    assert finding.cause_hint is CauseCategory.CPU_SATURATION and finding.change is Trigger.CONFIG_CHANGE


def test_deadline_exceeded_with_an_unchanged_limit_names_it_without_a_cause() -> None:
    jobs = [
        job("feature-backfill-2", "2", created=63, failed=True),
        job("feature-backfill-1", "2", created=1500, failed=False),
    ]
    [finding] = by_prefix(run(jobs, scope(namespace="recs", workload="feature-backfill")), "eks:job-failed:")
    assert "container backfill CPU limit 2" in finding.title and "last successful" not in finding.title
    assert finding.cause_hint is None and finding.change is None
