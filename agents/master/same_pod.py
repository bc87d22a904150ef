"""A louder consequence seen on the very pod the cause was seen on.

When the cause's best evidence comes from one pod (its proxy cannot get a certificate, its process
cannot reach the database) and another source reports a louder category that commonly follows that
cause (`CauseKind.follows`: the pod's readiness probe fails, its calls are throttled) on that same
pod, the two are one failure seen twice: the other source's finding is cited with the cause. The
alert's workload is named by every finding; the exact pod is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.ranking import MIN_CITED, CategoryScore, support
from shared.causes import CAUSES
from shared.contracts import AlertContext, Finding

PER_AGENT = 1
# A pod of a workload: `-<template hash>-<5 chars>`, a StatefulSet's `-<n>`, a DaemonSet's `-<5 chars>`.
_POD = re.compile(r"^[a-z0-9][a-z0-9\-]*-(?:[a-z0-9]{6,10}-[a-z0-9]{5}|[a-z0-9]{5}|\d{1,3})$")


def pods_of(finding: Finding) -> set[str]:
    """`namespace/pod` for each pod a finding's resources name (`orders/Pod/x`, `orders/x`)."""
    out = set()
    for resource in finding.resources:
        if resource.startswith("/"):
            continue
        parts = resource.split("/")
        if len(parts) == 3 and parts[1] == "Pod":
            out.add(f"{parts[0]}/{parts[2]}")
        elif len(parts) == 2 and _POD.match(parts[1]) and any(c.isdigit() for c in parts[1]):
            out.add(f"{parts[0]}/{parts[1]}")
    return out


def same_pod(
    ctx: AlertContext, findings: Sequence[Finding], cause: CategoryScore, cited: Sequence[str]
) -> list[str]:
    """Ids of other agents' findings of a category that follows the cause, about the pod of the
    cause's best finding, strongest first, at most `PER_AGENT` per agent."""
    louder = {category for category, kind in CAUSES.items() if cause.category in kind.follows}
    pods = pods_of(cause.best)
    if not louder or not pods:
        return []
    taken: dict[str, int] = {}
    out: list[str] = []
    for finding in sorted(findings, key=lambda f: (-support(f, ctx), f.id)):
        if (
            finding.id in cited
            or finding.agent == cause.best.agent
            or finding.cause_hint not in louder
            or finding.relevance < MIN_CITED
            or taken.get(finding.agent, 0) >= PER_AGENT
            or not pods & pods_of(finding)
        ):
            continue
        out.append(finding.id)
        taken[finding.agent] = taken.get(finding.agent, 0) + 1
    return out
