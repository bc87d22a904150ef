"""Corroboration across agents: once the cause is chosen, what the other sources show of the same
failure on the same path is cited with it.

For each agent nothing is cited from yet, its strongest finding that is about a thing on the path
(the failing dependency or the object the cited evidence names, by name; the target's own workload,
by its resources) and shows the same failure (`shared.causes.shows_the_same`: the cause itself, how
another source reports it, or the louder consequence it produces) is cited: an EKS FailedCreate that
names the webhook host the cited log line fails to verify, the kubelet's DiskPressure on the node
whose disk is full. A warning the source could not classify (a metric's rise) counts when it names
the dependency or object itself. Findings about other things, and changes, are never cited here.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.master.chain import Path, about, dependencies_in, touches
from agents.master.names import same_as_any
from agents.master.ranking import MIN_CITED, MIN_SUPPORT, support
from shared.causes import shows_the_same
from shared.contracts import AlertContext, CauseCategory, Finding, Severity, Trigger

MIN_NAME = 4


def on_the_path(findings: Sequence[Finding], path: Path, cited: Sequence[str]) -> tuple[str, ...]:
    """The names of the things on the path other than the target: what the cited evidence names
    (its hosts and Services, its objects) and what the target depends on."""
    ids = set(cited)
    own = [f for f in findings if f.id in ids]
    target = {t.lower() for t in path.target}
    names: list[str] = [n for d in path.dependencies for n in d.names]
    names += [n for d in dependencies_in(own, path.target) for n in d.names]
    for f in own:
        if f.change not in (None, Trigger.NONE):
            continue
        for resource in f.resources:
            if resource.startswith("/") or resource.startswith("Namespace/"):
                continue
            name = resource.rsplit("/", 1)[-1]
            # Not the target itself, its pods or its parts (`names.same_thing`).
            if name.lower() not in target and not same_as_any(name, target):
                names.append(name)
    return tuple(
        dict.fromkeys(
            n for n in names if len(n) >= MIN_NAME and n.lower() not in target and not same_as_any(n, target)
        )
    )


def _about(finding: Finding, path: Path) -> bool:
    """About the target itself, by its resources (its workload, its pods)."""
    return bool(path.target) and about(finding, path.target)


def corroborate(
    ctx: AlertContext,
    findings: Sequence[Finding],
    category: CauseCategory,
    path: Path,
    cited: Sequence[str],
) -> list[str]:
    """Ids to cite, one per agent not cited yet (see the module's docstring)."""
    ids = set(cited)
    agents = {f.agent for f in findings if f.id in ids}
    same = shows_the_same(category)
    names = on_the_path(findings, path, cited)
    out: dict[str, str] = {}
    for f in sorted(findings, key=lambda f: (-support(f, ctx), f.id)):
        if (
            f.agent in agents
            or f.agent in out
            or f.id in ids
            or f.change not in (None, Trigger.NONE)
            or f.relevance < MIN_SUPPORT
            or f.severity is Severity.INFO
        ):
            continue
        if f.cause_hint is None:
            # A source that could not classify what it saw (a metric's rise, a log's errors) shows
            # the failure when it names the dependency or object, or is about the target itself.
            if (names and touches(f, names)) or (f.relevance >= MIN_CITED and _about(f, path)):
                out[f.agent] = f.id
            continue
        if f.cause_hint not in same:
            continue
        if (names and touches(f, names)) or _about(f, path):
            out[f.agent] = f.id
    return list(out.values())
