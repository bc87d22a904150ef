"""Candidate causes, the first failure among them, and what each cites.

- **Candidates**: the cause categories the findings support, best first (`ranking.category_scores`),
  a change that fits one making it more likely.
- **The first failure**: when the best-scored cause is commonly the louder consequence of another
  (`CauseKind.follows`: throttled retries after a TLS failure) and that other began at least `LEAD`
  earlier (or no later, when its evidence is a change that produces it, or when the louder one is
  generic: a specific failure explains "a dependency is failing" from the minute it shows), with
  real weight of its own, the other is the cause. The other may be elsewhere (the certificate of a
  service two hops away, in another namespace): its findings are then only weakly tied to the
  alert, and the consequence it explains ties them (`Relevance.NEAR`).
- **Its evidence**: each agreeing agent's strongest findings for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from agents.master.chain import target_names, touches, workloads
from agents.master.ranking import (
    AGREEMENT_SHARE,
    MIN_CATEGORY_SCORE,
    MIN_CITED,
    MIN_SUPPORT,
    CategoryScore,
    category_scores,
    seen_at,
    support,
    supports,
    trigger_candidates,
)
from shared.causes import CAUSES
from shared.contracts import AlertContext, Finding, Severity
from shared.relevance import Relevance

BOOSTING_CHANGE = Relevance.UNSURE  # relevance of a change that makes the causes it fits more likely
EVIDENCE_PER_AGENT = 3
# A cause that began at least this much before a louder one it explains is the cause, if it weighs
# at least this share of the louder one.
LEAD = timedelta(minutes=2)
FOLLOW_SHARE = 0.25
# An alert naming nothing: its one warned cause stands when the next weighs at most this share of it.
RIVAL_SHARE = 0.5


@dataclass(frozen=True)
class Candidates:
    first: CategoryScore  # the cause: the first failure that explains the others
    runner_up: CategoryScore | None  # the closest other, for the confidence
    # The findings as rated for the cause: an earlier failure elsewhere that explains the louder
    # consequence is tied to the alert through it.
    findings: tuple[Finding, ...] = ()


def candidate_causes(ctx: AlertContext, findings: Sequence[Finding]) -> Candidates | None:
    """The cause and its runner-up, or None when no category has enough support (or only an info
    finding from a single source)."""
    boosting = {
        c.finding.change
        for c in trigger_candidates(findings, ctx)
        if c.finding.relevance >= BOOSTING_CHANGE and c.finding.change is not None
    }
    categories = category_scores(findings, ctx, boosting)
    top = categories[0] if categories and categories[0].score >= MIN_CATEGORY_SCORE else None
    if top is None and not target_names(ctx):
        top = _unrivalled(categories)
    if top is None or (top.best.severity is Severity.INFO and len(top.agents) < 2):
        return None
    first = first_failure(categories, top)
    rated = tuple(findings)
    if first is top:
        rated = _tied_by_consequence(findings, top)
        if rated != tuple(findings):
            elsewhere = [c for c in category_scores(rated, ctx, boosting) if c.category is not top.category]
            first = first_failure([top, *elsewhere], top)
            rated = rated if first is not top else tuple(findings)
    runner_up = top if first is not top else (categories[1] if len(categories) > 1 else None)
    return Candidates(first, runner_up, rated)


def _unrivalled(categories: Sequence[CategoryScore]) -> CategoryScore | None:
    """For an alert that names nothing the scanners could rate against (a person's "payments are
    failing", a monitor on a queue), every finding is middling and no cause reaches the usual score:
    the one cause the findings point at with warnings, when no other comes within `RIVAL_SHARE` of it,
    is still the cause (at the low confidence its score gives)."""
    warned = [c for c in categories if c.best.severity is not Severity.INFO]
    if not warned or (len(warned) > 1 and warned[1].score > RIVAL_SHARE * warned[0].score):
        return None
    return warned[0]


def _tied_by_consequence(findings: Sequence[Finding], top: CategoryScore) -> tuple[Finding, ...]:
    """`findings`, with the weakly tied ones (counted, not citable) of a cause the top one commonly
    follows rated `Relevance.NEAR`: when that cause began first, the louder consequence ties it to
    the alert. Categories already citable are left as they are."""
    follows = CAUSES[top.category].follows
    citable = {f.cause_hint for f in findings if f.relevance >= MIN_CITED}
    return tuple(
        f.model_copy(update={"relevance": Relevance.NEAR})
        if f.cause_hint in follows
        and f.cause_hint not in citable
        and f.severity is not Severity.INFO
        and MIN_SUPPORT <= f.relevance < MIN_CITED
        else f
        for f in findings
    )


def first_failure(categories: Sequence[CategoryScore], top: CategoryScore) -> CategoryScore:
    """The cause that began first and explains the others (see the module's docstring)."""
    began = seen_at(top.best)
    if began is None:
        return top
    earlier = []
    for c in categories:
        at = seen_at(c.best)
        if (
            c.category in CAUSES[top.category].follows
            and c.best.severity is not Severity.INFO
            and c.score >= FOLLOW_SHARE * top.score
            and at is not None
            and at <= began - _lead(c, top)
        ):
            earlier.append((at, -c.score, c.category.value, c))
    return min(earlier, key=lambda e: e[:3])[3] if earlier else top


def _lead(candidate: CategoryScore, top: CategoryScore) -> timedelta:
    """How much earlier a cause must have begun to explain a louder one: `LEAD`, or nothing when
    its evidence is itself a change that commonly produces it (a node taken away by a Spot
    interruption: the pods it evicted go Pending that same minute, not minutes later), or when the
    louder one is generic (a name lookup failing explains "a dependency is unreachable" from the
    minute both show), or names what the earlier one is about."""
    change = candidate.best.change
    if change is not None and change in CAUSES[candidate.category].triggers:
        return timedelta(0)
    if CAUSES[top.category].specificity < 1.0:
        return timedelta(0)
    # Connected: the louder one names what the earlier one is about (a Service with no active
    # endpoint, its pods failing readiness): it follows at once, not minutes later.
    return timedelta(0) if touches(top.best, workloads(candidate.best)) else LEAD


def cited(ctx: AlertContext, findings: Sequence[Finding], cause: CategoryScore) -> list[str]:
    """The ids the cause cites: per agreeing agent, up to `EVIDENCE_PER_AGENT` of its citable
    findings for it that weigh at least half its best one (and a share of the cause's best)."""
    evidence: list[str] = []
    for agent in cause.agents:
        own = sorted(
            (
                f
                for f in findings
                if f.agent == agent and supports(f, cause.category) and f.relevance >= MIN_CITED
            ),
            key=lambda f: (-support(f, ctx), f.id),
        )
        floor = max(0.5 * support(own[0], ctx), AGREEMENT_SHARE * support(cause.best, ctx))
        evidence.extend(f.id for f in own[:EVIDENCE_PER_AGENT] if support(f, ctx) >= floor)
    return evidence
