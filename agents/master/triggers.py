"""Triggers through connections: the change that set the cause off, chosen only among changes on
the path (`chain.on_path`) that fit the cause (`shared.causes`), with every other agent's report of
the same change (a rollout and its announcement in chat)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from agents.master.ceilings import before_the_load, ceilings_lowered
from agents.master.chain import Path, finding_text, linked, on_path, subjects, touches, workloads
from agents.master.decision import announced, cited_text
from agents.master.named_thing import changed_what_the_evidence_names
from agents.master.names import mentions
from agents.master.ranking import (
    MIN_CITED,
    SAME_CHANGE,
    TriggerCandidate,
    same_change,
    seen_at,
    trigger_candidates,
)
from agents.master.set_off import set_off_by
from shared.causes import CAUSES, fits
from shared.contracts import AlertContext, CauseCategory, Finding, Trigger
from shared.relevance import Relevance

MIN_TRIGGER_SCORE = 0.1
APPLIED_WITHIN = timedelta(minutes=15)
# A change that names what the cause's own evidence names (someone announced smtp-relay moved; the
# errors are lookups of smtp-relay) is relevant whatever the alert named: it counts this much.
NAMED_BY_THE_EVIDENCE = Relevance.NEAR


def triggers(
    ctx: AlertContext,
    findings: Sequence[Finding],
    category: CauseCategory,
    path: Path,
    cited: Sequence[str],
    connected: frozenset[str] = frozenset(),
) -> list[TriggerCandidate]:
    """The chosen change first, then one finding per other agent reporting the same change; empty
    when no change on the path fits the cause. `connected` are changes tied to the target by what
    the evidence names (`connections`): on the path, whatever they are to."""
    rated = linked(named_by_evidence(findings, cited), path)
    sharing = taking_the_shared_limit(rated, cited, category) | connected
    rated = [
        f.model_copy(update={"relevance": NAMED_BY_THE_EVIDENCE})
        if f.id in sharing and f.relevance < NAMED_BY_THE_EVIDENCE
        else f
        for f in rated
    ]
    candidates = [
        c
        for c in trigger_candidates(announcements_of(rated), ctx, category)
        if c.score >= MIN_TRIGGER_SCORE
        and c.finding.change is not None
        and fits(c.finding.change, category)
        and (on_path(c.finding, path) or c.finding.id in sharing)
    ]
    # A ceiling lowered before the window (dormant until load rose to it) is on the path too.
    relevant = frozenset(
        f.id for f in rated if f.id in sharing or (touches(f, path.target) and on_path(f, path))
    )
    candidates = before_the_load(candidates, ceilings_lowered(rated, ctx, category, relevant))
    if not candidates:
        return []
    best = (
        changed_what_the_evidence_names(candidates, cited_text(rated, cited), path.target)
        or set_off_by(candidates, category)
        or first_applied(candidates, category)
    )
    chosen = [best]
    agents = {best.finding.agent}
    for candidate in candidates:
        if (
            candidate is not best
            and candidate.finding.agent not in agents
            and candidate.finding.relevance >= MIN_CITED
            # What someone announced says what the change was: cited even when it weighs less.
            and (candidate.score >= 0.5 * best.score or announced(candidate.finding))
            and same_change(best, candidate)
        ):
            chosen.append(candidate)
            agents.add(candidate.finding.agent)
    return chosen


def taking_the_shared_limit(
    findings: Sequence[Finding], cited: Sequence[str], category: CauseCategory
) -> set[str]:
    """Ids of the changes that take more of a limit the target shares with other clients of its
    server (`CauseKind.shared_limit`: another client's pool raised), when the cause's own evidence
    shows that limit reached. They are on the path whoever they are to."""
    shared = CAUSES[category].shared_limit
    if shared is None or not shared.evidence.search(cited_text(findings, cited)):
        return set()
    return {
        f.id for f in findings if f.change is Trigger.CONFIG_CHANGE and shared.change.search(finding_text(f))
    }


def announcements_of(findings: Sequence[Finding]) -> list[Finding]:
    """`findings`, with each change announced in chat that names the workload a source saw change
    the same way, within `same_change`'s window (`storefront-web 2026.12.07-1 is rolling out` and
    the rollout of storefront-web), rated as relevant as that change: it is the same change, said
    by a person, whatever the chat scanner could tell about it from the alert alone."""
    observed = [f for f in findings if f.change not in (None, Trigger.NONE) and not announced(f)]
    out = []
    for f in findings:
        if announced(f) and f.change not in (None, Trigger.NONE):
            at = seen_at(f)
            same = [
                o.relevance
                for o in observed
                if o.change is f.change
                and (names := workloads(o))
                and touches(f, names)
                and at is not None
                and (o_at := seen_at(o)) is not None
                and abs((at - o_at).total_seconds()) <= SAME_CHANGE.total_seconds()
            ]
            if same and max(same) > f.relevance:
                f = f.model_copy(update={"relevance": max(same)})
        out.append(f)
    return out


def first_applied(candidates: Sequence[TriggerCandidate], category: CauseCategory) -> TriggerCandidate:
    """The best candidate, unless a change of the cause's primary kind began shortly before it (within
    `APPLIED_WITHIN`) with at least half its weight: then the later change only applied that one."""
    best = candidates[0]
    primary = CAUSES[category].primary
    if primary is None or best.finding.change is primary or best.at is None:
        return best
    for c in candidates[1:]:
        if (
            c.finding.change is primary
            and c.at is not None
            and best.at - APPLIED_WITHIN <= c.at <= best.at
            and c.score >= 0.5 * best.score
        ):
            return c
    return best


def named_by_evidence(findings: Sequence[Finding], cited: Sequence[str]) -> list[Finding]:
    """`findings`, with each weakly relevant change that names a service or host the cited evidence
    names counted as relevant (`NAMED_BY_THE_EVIDENCE`): the alert named the workload that failed,
    the change named what it failed to reach. So is a change to the workload the cited evidence is
    about (its pods fail their probe; someone patched its probe in chat), when the alert named
    nothing that tied the change to it."""
    ids = set(cited)
    text = cited_text(findings, cited)
    about = {s for f in findings if f.id in ids for s in subjects(f)}
    out = []
    for f in findings:
        names = [r for r in f.resources if len(r) >= 4 and "/" not in r]
        if (
            f.change not in (None, Trigger.NONE)
            and f.id not in ids
            and f.relevance < NAMED_BY_THE_EVIDENCE
            and (any(mentions(text, n) for n in names) or touches(f, about))
        ):
            f = f.model_copy(update={"relevance": NAMED_BY_THE_EVIDENCE})
        out.append(f)
    return out
