"""Scoring findings, cause categories and candidate triggers. Pure and deterministic.

Scanners emit many low-relevance findings; the rules here keep that noise from winning:
- a finding counts towards a cause only when it is relevant to the alert (`MIN_SUPPORT`);
- each agent contributes its single best finding to a category (plus a small, bounded bonus for
  more), so a chatty scanner cannot outvote the others, and agreement across sources wins;
- a change can be the trigger only if it happened before the alert, inside the window, and is
  relevant; the closest one that fits the cause (`shared.causes`) is preferred.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.causes import NOT_A_CAUSE, dormant_cause, fits, specificity
from shared.contracts import AlertContext, CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance

# Relevance a finding needs to support a cause or be a trigger; to be cited, and count its agent as agreeing.
MIN_SUPPORT = Relevance.SUPPORTING
MIN_CITED = Relevance.CITABLE
MIN_CATEGORY_SCORE = 0.2
# An agent agrees with a cause (and is cited) when its best finding for it weighs at least this share
# of the cause's strongest finding: a faint echo in a noisy source is not agreement.
AGREEMENT_SHARE = 0.25
SEVERITY_WEIGHT = {Severity.CRITICAL: 1.0, Severity.WARNING: 0.7, Severity.INFO: 0.35}


def seen_at(finding: Finding) -> datetime | None:
    """When a finding's observation began: first_seen, else the earliest evidence time, else last_seen."""
    if finding.first_seen is not None:
        return finding.first_seen
    times = [e.at for e in finding.evidence if e.at is not None]
    return min(times) if times else finding.last_seen


def minutes_before(ctx: AlertContext, at: datetime) -> float:
    return (ctx.anchor - at).total_seconds() / 60


# Closeness to the alert: full weight for what began in the `CLOSE_MINUTES` before it (or just
# after), tapering to `HOUR_FACTOR` at an hour before, then halving over the next two hours.
CLOSE_MINUTES = 15
HOUR_FACTOR = 0.85


def time_factor(finding: Finding, ctx: AlertContext) -> float:
    """How close to the alert a finding's observation began: 1.0 from `CLOSE_MINUTES` before the
    alert to 10 minutes after it, tapering linearly to `HOUR_FACTOR` an hour before, and less when
    it began long before, ended before the window, or only began well after the alert."""
    at = seen_at(finding)
    if at is None:
        return 0.85
    if finding.last_seen is not None and finding.last_seen < ctx.window_start:
        return 0.4
    before = minutes_before(ctx, at)
    if before < -10:
        return 0.6
    if before <= CLOSE_MINUTES:
        return 1.0
    if before <= 60:
        return 1.0 - (1.0 - HOUR_FACTOR) * (before - CLOSE_MINUTES) / (60 - CLOSE_MINUTES)
    return max(0.5, HOUR_FACTOR / (1.0 + (before - 60) / 120))


def score(finding: Finding, ctx: AlertContext) -> float:
    return SEVERITY_WEIGHT[finding.severity] * finding.relevance * time_factor(finding, ctx)


def support(finding: Finding, ctx: AlertContext) -> float:
    """How much a finding weighs for its cause hint: like `score`, but relevance squared, so that a
    pile of half-relevant findings cannot add up to one that names the alert's own workload."""
    return SEVERITY_WEIGHT[finding.severity] * finding.relevance**2 * time_factor(finding, ctx)


def supports(finding: Finding, category: CauseCategory) -> bool:
    return finding.cause_hint is category and finding.relevance >= MIN_SUPPORT


@dataclass(frozen=True)
class CategoryScore:
    category: CauseCategory
    score: float
    agents: tuple[str, ...]  # agents with a citable supporting finding, strongest first
    best: Finding


def category_scores(
    findings: Sequence[Finding], ctx: AlertContext, fitting_triggers: Iterable[Trigger] = ()
) -> list[CategoryScore]:
    """Categories with support, best first. Each agent adds its best finding's `support`, and up to
    two more findings add a fifth of theirs each; a fitting trigger before the alert adds 15%."""
    per_agent: dict[CauseCategory, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    citable: dict[CauseCategory, dict[str, float]] = defaultdict(dict)
    best: dict[CauseCategory, tuple[float, Finding]] = {}
    # In id order, and replaced only by a strictly better score: ties go to the smallest id.
    for finding in sorted(findings, key=lambda f: f.id):
        hint = finding.cause_hint
        if hint is None or hint in NOT_A_CAUSE or not supports(finding, hint):
            continue
        value = support(finding, ctx)
        per_agent[hint][finding.agent].append(value)
        if finding.relevance < MIN_CITED:
            continue  # it adds weight, but a cause is stated only from findings that can be cited
        citable[hint][finding.agent] = max(value, citable[hint].get(finding.agent, 0.0))
        if hint not in best or value > best[hint][0]:
            best[hint] = (value, finding)
    triggers = set(fitting_triggers)
    out = []
    for category, agents in per_agent.items():
        if category not in best:
            continue
        total = 0.0
        floor = AGREEMENT_SHARE * best[category][0]
        strengths = [(v, a) for a, v in citable[category].items() if v >= floor]
        for values in agents.values():
            values.sort(reverse=True)
            total += values[0] + sum(0.2 * v for v in values[1:3])
        total *= specificity(category)
        if any(fits(t, category) for t in triggers):
            total *= 1.15
        ordered = tuple(a for _, a in sorted(strengths, key=lambda s: (-s[0], s[1])))
        out.append(CategoryScore(category, round(total, 6), ordered, best[category][1]))
    out.sort(key=lambda c: (-c.score, c.category.value))
    return out


@dataclass(frozen=True)
class TriggerCandidate:
    finding: Finding
    at: datetime | None  # None: the source saw the change but not when (a selector that matches nothing)
    score: float


UNDATED_PROXIMITY = 0.5  # an undated change may be old: it counts, but less than a recent dated one
MIN_UNDATED_RELEVANCE = Relevance.NEAR


def change_proximity(minutes: float) -> float:
    """1.0 within 15 min before the alert, halving by about an hour further back."""
    return 1.0 if minutes <= 15 else 1.0 / (1.0 + (minutes - 15) / 45)


def trigger_candidates(
    findings: Sequence[Finding], ctx: AlertContext, category: CauseCategory | None = None
) -> list[TriggerCandidate]:
    """Changes that could have set the alert off, best first: before the anchor (a 2 min allowance
    for clock skew), inside the window, relevant; weighted by closeness and fit with `category`.
    A change without a time counts only when highly relevant, and at half weight."""
    out = []
    for finding in findings:
        if finding.change is None or finding.change is Trigger.NONE or finding.relevance < MIN_SUPPORT:
            continue
        at = seen_at(finding)
        if at is None:
            if finding.relevance < MIN_UNDATED_RELEVANCE:
                continue
            proximity = UNDATED_PROXIMITY
        elif at > ctx.anchor + timedelta(minutes=2) or (
            at < ctx.window_start and not _dormant_fit(finding, category, ctx.window_start - at)
        ):
            continue
        elif at < ctx.window_start:
            proximity = UNDATED_PROXIMITY  # dormant until now: how long ago tells little
        else:
            proximity = change_proximity(max(0.0, minutes_before(ctx, at)))
        fit = 1.0
        if category is not None and category not in NOT_A_CAUSE:
            fit = 1.0 if fits(finding.change, category) else 0.35
        out.append(TriggerCandidate(finding, at, round(finding.relevance * proximity * fit, 6)))
    # Equal scores: the closer change first (undated last), then the id for determinism.
    out.sort(key=lambda c: (-c.score, -(c.at.timestamp() if c.at else 0.0), c.finding.id))
    return out


def _dormant_fit(finding: Finding, category: CauseCategory | None, before_window: timedelta) -> bool:
    """A change made before the window that can have lain dormant until now, for this cause
    (`CauseKind.dormant`: a trust policy tightened, then a new Ingress reconciled)."""
    dormant = dormant_cause(" ".join([finding.title, finding.detail]))
    return dormant is not None and dormant[0] is category and before_window <= dormant[1]


SAME_CHANGE = timedelta(minutes=15)  # two reports of one kind of change this close are one change


def same_change(a: TriggerCandidate, b: TriggerCandidate) -> bool:
    """Two findings describe one change (a chat announcement and the rollout it announced)."""
    if a.finding.change is not b.finding.change:
        return False
    if a.at is None or b.at is None:
        return a.at is None and b.at is None
    return abs(a.at - b.at) <= SAME_CHANGE


def rank_findings(
    findings: Sequence[Finding], ctx: AlertContext, category: CauseCategory | None, cited: Iterable[str] = ()
) -> list[Finding]:
    """Cited findings first, then by score (findings that support the chosen cause weigh 1.5x)."""
    cited_set = set(cited)

    def key(f: Finding) -> tuple[int, float, str]:
        value = score(f, ctx)
        if category is not None and f.cause_hint is category:
            value *= 1.5
        return (0 if f.id in cited_set else 1, -round(value, 9), f.id)

    return sorted(findings, key=key)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per id (the most severe, then most relevant, copy wins)."""
    by_id: dict[str, Finding] = {}
    for f in findings:
        kept = by_id.get(f.id)
        if kept is None or (f.severity.rank, f.relevance) > (kept.severity.rank, kept.relevance):
            by_id[f.id] = f
    return list(by_id.values())


def confidence(
    top: CategoryScore, runner_up: CategoryScore | None, *, trigger_fits: bool, failed_agents: int
) -> float:
    """More agreeing sources, a stronger best finding, a fitting trigger and a clear margin raise it;
    failed sources and a close runner-up lower it."""
    value = 0.3 + 0.15 * min(len(top.agents), 3) + 0.15 * min(1.0, score_of_best(top))
    if trigger_fits:
        value += 0.1
    if runner_up is not None and runner_up.score >= 0.7 * top.score:
        value -= 0.15
    value -= 0.05 * min(failed_agents, 3)
    return round(min(0.95, max(0.1, value)), 2)


def score_of_best(top: CategoryScore) -> float:
    return SEVERITY_WEIGHT[top.best.severity] * top.best.relevance
