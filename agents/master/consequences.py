"""The louder consequences a cause explains, cited as its evidence.

When the cause is one another category commonly follows (`CauseKind.follows`: a dependency
unreachable after a NetworkPolicy refuses the caller, pods Pending after their node was taken
away), the findings of that other category that name what the cause's own evidence names (the
refused Service, the interrupted node) show the cause at work from another source: they are cited
with it. The alert's own target is named by every finding, so it does not count.

The same cause seen by another source is cited too when it names what the cause's best finding
names (a client's log line failing to verify the certificate of the host whose Certificate
expired), however weakly that source tied it to the alert: what it names ties it."""

from __future__ import annotations

from collections.abc import Sequence

from agents.master.chain import dependencies_in, target_names, touches
from agents.master.names import same_as_any
from agents.master.ranking import MIN_CITED, MIN_SUPPORT, CategoryScore, support
from shared.causes import CAUSES
from shared.contracts import AlertContext, Finding

PER_AGENT = 2
MIN_NAME = 4


def _subject_names(ctx: AlertContext, finding: Finding) -> set[str]:
    """The names of the objects a finding cites, other than the alert's own target's."""
    hints = ctx.hints
    own = [n.lower() for n in (hints.workload, hints.pod, hints.service) if n]
    names = set()
    for resource in finding.resources:
        name = resource.rsplit("/", 1)[-1].lower()
        # The target's own objects (its pods, its parts: `names.same_thing`), not a neighbour whose
        # name begins with the target's (`payments-db` beside `payments`).
        if len(name) < MIN_NAME or name in own or same_as_any(name, own):
            continue
        names.add(name)
    return names


def consequences(
    ctx: AlertContext, findings: Sequence[Finding], cause: CategoryScore, cited: Sequence[str]
) -> list[str]:
    """Ids of other agents' findings of a category that follows the cause and that name what the
    cause's best finding names, strongest first, at most `PER_AGENT` per agent."""
    louder = {category for category, kind in CAUSES.items() if cause.category in kind.follows}
    names = _subject_names(ctx, cause.best)
    if not louder or not names:
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
        ):
            continue
        text = f"{finding.title}\n{finding.detail}".lower()
        if any(name in text for name in names):
            out.append(finding.id)
            taken[finding.agent] = taken.get(finding.agent, 0) + 1
    return out


def corroboration(
    ctx: AlertContext, findings: Sequence[Finding], cause: CategoryScore, cited: Sequence[str]
) -> list[str]:
    """Ids of the strongest finding of the cause's own category from each agent not cited yet that
    names a thing the cause's best finding names (a Service by its DNS name, a host, a resource)."""
    target = target_names(ctx)
    names = _subject_names(ctx, cause.best) | {
        n for dep in dependencies_in([cause.best], target) for n in dep.names
    }
    names = {n for n in names if len(n) >= MIN_NAME}
    if not names:
        return []
    agents = {f.agent for f in findings if f.id in cited}
    out: dict[str, str] = {}
    for finding in sorted(findings, key=lambda f: (-support(f, ctx), f.id)):
        if (
            finding.agent in agents
            or finding.agent in out
            or finding.cause_hint is not cause.category
            or finding.relevance < MIN_SUPPORT
            or finding.change is not None
        ):
            continue
        if touches(finding, names):
            out[finding.agent] = finding.id
    return list(out.values())
