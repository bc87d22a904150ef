"""The cause seen by another source on the very pod or node its evidence is about.

When the cause's evidence comes from one pod or node (a pod's proxy cannot get a certificate, a
node's filesystem is full) and another source reports, on that same pod or node, a louder category
that commonly follows the cause (`CauseKind.follows`: the pod's readiness probe fails) or the same
failure in its own words (`CauseKind.seen_as`: the kubelet's DiskPressure on the full node), the two
are one failure seen twice: the other source's finding is cited with the cause. The link is the
object itself, so a finding the scanner could not tie to the alert (`Relevance.SUPPORTING`) counts.
The alert's workload is named by every finding; the exact pod or node is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.candidates import FOLLOW_SHARE
from agents.master.ranking import MIN_SUPPORT, CategoryScore, category_scores, seen_at, support
from shared.causes import CAUSES
from shared.contracts import AlertContext, Finding, Severity

PER_AGENT = 1
# A pod of a workload: `-<template hash>-<5 chars>`, a StatefulSet's `-<n>`, a DaemonSet's `-<5 chars>`.
_POD = re.compile(r"^[a-z0-9][a-z0-9\-]*-(?:[a-z0-9]{6,10}-[a-z0-9]{5}|[a-z0-9]{5}|\d{1,3})$")


def objects_of(finding: Finding) -> set[str]:
    """`namespace/pod` for each pod and `Node/name` for each node a finding's resources name."""
    out = set()
    for resource in finding.resources:
        if resource.startswith("/"):
            continue
        parts = resource.split("/")
        if len(parts) == 2 and parts[0] == "Node":
            out.add(resource)
        elif len(parts) == 3 and parts[1] == "Pod":
            out.add(f"{parts[0]}/{parts[2]}")
        elif len(parts) == 2 and _POD.match(parts[1]) and any(c.isdigit() for c in parts[1]):
            out.add(f"{parts[0]}/{parts[1]}")
    return out


def same_pod(
    ctx: AlertContext, findings: Sequence[Finding], cause: CategoryScore, cited: Sequence[str]
) -> list[str]:
    """Ids of other agents' findings of a category that follows the cause or is how they see it,
    about a pod or node of the cause's cited evidence, strongest first, at most `PER_AGENT` per agent."""
    kind = CAUSES[cause.category]
    related = {c for c, k in CAUSES.items() if cause.category in k.follows} | kind.seen_as
    ids = set(cited)
    own = [f for f in findings if f.id in ids and f.cause_hint is cause.category]
    objects = set().union(*(objects_of(f) for f in own)) if own else set()
    agents = {f.agent for f in own}
    if not related or not objects:
        return []
    taken: dict[str, int] = {}
    out: list[str] = []
    for finding in sorted(findings, key=lambda f: (-support(f, ctx), f.id)):
        if (
            finding.id in ids
            or finding.agent in agents
            or finding.cause_hint not in related
            or finding.relevance < MIN_SUPPORT
            or taken.get(finding.agent, 0) >= PER_AGENT
            or not objects & objects_of(finding)
        ):
            continue
        out.append(finding.id)
        taken[finding.agent] = taken.get(finding.agent, 0) + 1
    return out


def first_on_same_object(
    ctx: AlertContext, findings: Sequence[Finding], top: CategoryScore
) -> CategoryScore | None:
    """A cause that `top` commonly follows, seen on the same pod or node as `top`'s best finding and
    beginning no later, with at least `FOLLOW_SHARE` of its weight: the louder symptom (a readiness
    probe failing) and its explanation (the proxy in that pod cannot get its certificate) began
    together on one object, and the explanation is the cause. None when there is none."""
    objects = objects_of(top.best)
    began = seen_at(top.best)
    if not objects or began is None:
        return None
    follows = CAUSES[top.category].follows
    scores = category_scores(findings, ctx)
    base = next((c for c in scores if c.category is top.category), top)
    for candidate in scores:
        at = seen_at(candidate.best)
        if (
            candidate.category in follows
            and candidate.best.severity is not Severity.INFO
            and candidate.score >= FOLLOW_SHARE * base.score
            and at is not None
            and at <= began
            and objects & objects_of(candidate.best)
        ):
            return candidate
    return None
