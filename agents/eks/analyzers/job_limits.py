"""A Job that ran past its deadline (DeadlineExceeded) on less CPU than the last run that finished:
its containers' CPU limit was lowered between the two runs of the same CronJob (or the same Job
name's template), so the work that fitted the deadline no longer does. The limit is named either
way: a Job killed at its deadline with a CPU limit is the first thing to compare with its usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.eks import objects as o
from agents.eks.objects import Obj
from agents.eks.quantity import parse_quantity


@dataclass(frozen=True)
class DeadlineLimits:
    text: str  # `container backfill CPU limit 500m (2 in the last successful run, feature-backfill-29411040)`
    lowered: bool  # the limit is lower than in the last run that completed


def _cpu_limits(job: Obj) -> dict[str, Any]:
    template = (o.spec(job).get("template") or {}).get("spec") or {}
    limits = {}
    for container in template.get("containers") or []:
        cpu = (((container or {}).get("resources") or {}).get("limits") or {}).get("cpu")
        if cpu is not None:
            limits[str(container.get("name", "?"))] = cpu
    return limits


def _last_completed(jobs: list[Obj], job: Obj) -> Obj | None:
    """The newest Job of the same CronJob that completed, created before `job`."""
    owner = o.owner(job)
    if owner is None or owner[0] != "CronJob":
        return None
    created = str(o.meta(job).get("creationTimestamp", ""))
    done = [
        j
        for j in jobs
        if o.namespace(j) == o.namespace(job)
        and o.owner(j) == owner
        and j is not job
        and str(o.meta(j).get("creationTimestamp", "")) < created
        and o.conditions(j).get("Complete", {}).get("status") == "True"
    ]
    return max(done, key=lambda j: str(o.meta(j).get("creationTimestamp", "")), default=None)


def deadline_limits(jobs: list[Obj], job: Obj) -> DeadlineLimits | None:
    """The CPU limits of a Job failed with DeadlineExceeded, against its last completed sibling's."""
    failed = o.conditions(job).get("Failed", {})
    if failed.get("reason") != "DeadlineExceeded":
        return None
    limits = _cpu_limits(job)
    if not limits:
        return None
    before = _last_completed(jobs, job)
    previous = _cpu_limits(before) if before is not None else {}
    parts, lowered = [], False
    for container, cpu in list(limits.items())[:3]:
        text = f"container {container} CPU limit {cpu}"
        was = previous.get(container)
        now_q, was_q = parse_quantity(cpu), parse_quantity(was) if was is not None else None
        if before is not None and (
            was is None or (now_q is not None and was_q is not None and now_q < was_q)
        ):
            lowered = True
            text += (
                f" ({was} in the last successful run, {o.name(before)})"
                if was is not None
                else f" (none in the last successful run, {o.name(before)})"
            )
        parts.append(text)
    deadline = o.spec(job).get("activeDeadlineSeconds")
    suffix = f", activeDeadlineSeconds {deadline}" if deadline else ""
    return DeadlineLimits("; ".join(parts) + suffix, lowered)
