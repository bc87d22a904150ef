"""The likely cause: category, trigger, cited evidence, confidence and a summary built from the
findings' own titles (nothing invented). Deterministic; see `ranking` for how noise is kept out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from agents.master.chain import Dependency, Path, connect, linked, on_dependency, on_path, own_cause, touches
from agents.master.ranking import (
    AGREEMENT_SHARE,
    MIN_CATEGORY_SCORE,
    MIN_CITED,
    MIN_SUPPORT,
    CategoryScore,
    TriggerCandidate,
    category_scores,
    confidence,
    minutes_before,
    same_change,
    score,
    seen_at,
    support,
    supports,
    trigger_candidates,
)
from shared.causes import CAUSES, change_words, fits, label, refined
from shared.contracts import (
    AgentResult,
    AgentStatus,
    AlertContext,
    Cause,
    CauseCategory,
    EvidenceKind,
    Finding,
    Severity,
    Trigger,
)
from shared.redact import redact
from shared.relevance import Relevance

FAILED = (AgentStatus.ERROR, AgentStatus.TIMEOUT)
MIN_TRIGGER_SCORE = 0.1
BOOSTING_CHANGE = Relevance.UNSURE  # relevance of a change that makes the causes it fits more likely
# A warning or critical finding at least this relevant is a live problem: the alert is not noise.
# A heartbeat, test or resolved alert names no workload, so scanners rate everything middling (0.5);
# only a finding tied to something specific then overrules what the alert says about itself.
PROBLEM_RELEVANCE = Relevance.CITABLE
PROBLEM_RELEVANCE_IF_NOISE = Relevance.LINKED
EVIDENCE_PER_AGENT = 3
# A cause that began at least this much before a louder one it explains is the cause, if it weighs
# at least this share of the louder one.
LEAD = timedelta(minutes=2)
FOLLOW_SHARE = 0.25
APPLIED_WITHIN = timedelta(minutes=15)
NEAR_MISS = 0.85  # how alike a changed key must be to a missing one to be named as its misspelling
RULED_OUT_WINDOW = timedelta(minutes=30)  # how far back a change off the path is worth a line
_HEARTBEATS = frozenset(
    {
        "watchdog",
        "deadmansswitch",
        "deadmanssnitch",
        "heartbeat",
        "infoinhibitor",
        "alwaysfiring",
        "testalert",
        "test",
    }
)
_TEST_TEXT = re.compile(
    r"(?i)\b(this is (?:only )?a test|test (?:alert|notification|message|page)|\[test\]|please ignore)"
)
_RESOLVED_TEXT = re.compile(r"\[RESOLVED(?::\s*\d+)?\]", re.IGNORECASE)
# A change that names what the cause's own evidence names (someone announced smtp-relay moved; the
# errors are lookups of smtp-relay) is relevant whatever the alert named: it counts this much.
NAMED_BY_THE_EVIDENCE = Relevance.NEAR
_URL_HOST = re.compile(r"\b(?:https|wss|grpcs)?://(?P<host>[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,})")


@dataclass(frozen=True)
class Decision:
    cause: Cause
    change: Finding | None = None  # the finding that reports the trigger
    # A dependency the cause runs through whose own cause was not found: worth a narrower round.
    follow: Dependency | None = None


def decide(
    ctx: AlertContext,
    findings: Sequence[Finding],
    results: Sequence[AgentResult],
    related: Sequence[Finding] = (),
) -> Decision:
    """The cause of the alert from `findings`; `related` are findings about what it depends on,
    from a second, narrower round (they only ever say why a dependency fails)."""
    failed = sum(1 for r in results if r.status in FAILED)
    boosting = {
        c.finding.change
        for c in trigger_candidates(findings, ctx)
        if c.finding.relevance >= BOOSTING_CHANGE and c.finding.change is not None
    }
    categories = category_scores(findings, ctx, boosting)

    noise = noise_reason(ctx)
    bar = PROBLEM_RELEVANCE_IF_NOISE if noise else PROBLEM_RELEVANCE
    problems = [
        f
        for f in findings
        if f.severity is not Severity.INFO
        and f.relevance >= bar
        and f.cause_hint is not CauseCategory.NO_ISSUE
    ]
    if not problems:
        healthy = _no_issue(noise, findings, results, failed)
        if healthy is not None:
            return healthy

    top = categories[0] if categories and categories[0].score >= MIN_CATEGORY_SCORE else None
    if top is not None and (top.best.severity is not Severity.INFO or len(top.agents) >= 2):
        first = first_cause(categories, top)
        runner_up = top if first is not top else (categories[1] if len(categories) > 1 else None)
        return _explained(ctx, findings, first, runner_up, failed, related)
    return _bad_deploy(ctx, findings) or _unknown(ctx, findings, results)


def first_cause(categories: Sequence[CategoryScore], top: CategoryScore) -> CategoryScore:
    """The cause that began first and explains the others: when the best-scored cause is commonly the
    louder consequence of another (`CauseKind.follows`: throttled retries after a TLS failure) and that
    other began at least `LEAD` earlier, with real weight of its own, the other is the cause."""
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
            and at <= began - LEAD
        ):
            earlier.append((at, -c.score, c.category.value, c))
    return min(earlier, key=lambda e: e[:3])[3] if earlier else top


def _explained(
    ctx: AlertContext,
    findings: Sequence[Finding],
    top: CategoryScore,
    runner_up: CategoryScore | None,
    failed: int,
    related: Sequence[Finding] = (),
) -> Decision:
    category = top.category
    evidence: list[str] = []
    for agent in top.agents:
        own = sorted(
            (f for f in findings if f.agent == agent and supports(f, category) and f.relevance >= MIN_CITED),
            key=lambda f: (-support(f, ctx), f.id),
        )
        floor = max(0.5 * support(own[0], ctx), AGREEMENT_SHARE * support(top.best, ctx))
        evidence.extend(f.id for f in own[:EVIDENCE_PER_AGENT] if support(f, ctx) >= floor)
    path = connect(ctx, findings, evidence)
    trigger = _trigger(ctx, linked(_linked_to(findings, evidence), path), category, path)
    change = trigger[0].finding if trigger else None
    evidence.extend(c.finding.id for c in trigger if c.finding.id not in evidence)
    conf = confidence(top, runner_up, trigger_fits=change is not None, failed_agents=failed)
    if change is not None and change.change is not None:
        category = refined(category, change.change, " ".join([change.title, change.detail]))
        if category is not top.category:
            # The specific cause the change points at is cited by its own strongest evidence too.
            backing = [f for f in findings if f.cause_hint is category and f.relevance >= MIN_CITED]
            if backing:
                evidence.append(max(backing, key=lambda f: (support(f, ctx), f.id)).id)
    summary = f"{label(category)}: {_sentence(top.best.title)}"
    others = [a for a in top.agents if a != top.best.agent]
    if others:
        summary += f" Also seen by {_join(others)}."
    implied = Trigger.NONE
    if change is not None and change.change is not None:
        kind, ago = change_words(change.change), _ago(ctx, change)
        said = next((c.finding for c in trigger[1:] if _announced(c.finding)), None)
        # One finding may report both the symptom and the change (an HPA at max under a surge);
        # then what someone announced says what the change was.
        if change.id == top.best.id:
            summary += f" It began with {kind} {ago}" + (f": {_sentence(said.title)}" if said else ".")
        else:
            summary += f" It began after {kind} {ago}: {_sentence(change.title)}"
        summary += _near_miss(category, findings, evidence, change)
        dep = on_dependency(change, path)
        if dep is not None and not touches(change, path.target):
            by_namespace = dep.namespace is not None and not touches(change, dep.names)
            where = f"the {dep.namespace} namespace, where {dep.name} runs" if by_namespace else dep.name
            summary += f" That change is to {where}, which {path.describe_target()} depends on."
    elif (remote := _remote_host(category, findings, evidence)) is not None:
        implied = Trigger.DEPENDENCY
        summary += " " + remote
    through = CAUSES[top.category].through_dependency
    failing = own_cause([*findings, *related], path, evidence) if through else None
    follow = None
    if through and failing is None and change is None:
        follow = next((d for d in path.dependencies if d.namespace or "." not in d.name), None)
    if failing is not None:
        dep, why = failing
        evidence.append(why.id)
        summary += f" {dep.name} itself fails: {label(why.cause_hint or category)}: {_sentence(why.title)}"
        if change is None:
            implied = Trigger.DEPENDENCY
    summary += _ruled_out(ctx, findings, path, change)
    return Decision(
        Cause(
            category=category,
            trigger=change.change if change and change.change else implied,
            summary=summary,
            confidence=conf,
            evidence=tuple(dict.fromkeys(evidence)),
        ),
        change,
        follow,
    )


def _near_miss(
    category: CauseCategory, findings: Sequence[Finding], cited: Sequence[str], change: Finding
) -> str:
    """When the cause's evidence names its culprit (`CauseKind.culprit`: the setting a workload says
    is missing) and the triggering change names a near miss of it rather than it, one sentence
    saying so: the misspelled key is the specific thing that broke."""
    pattern = CAUSES[category].culprit
    if pattern is None:
        return ""
    ids = set(cited)
    text = " ".join(
        " ".join([f.title, f.detail, *(e.excerpt for e in f.evidence)]) for f in findings if f.id in ids
    )
    wanted = [next(g for g in m.groups() if g) for m in pattern.finditer(text)]
    changed = re.findall(r"[A-Za-z][A-Za-z0-9_.\-]{2,}", " ".join([change.title, change.detail]))
    for name in dict.fromkeys(wanted):
        if name in changed:
            continue
        close = difflib.get_close_matches(name, [c for c in changed if c != name], n=1, cutoff=NEAR_MISS)
        if close:
            return f" The missing {name} is not in that change; it has {close[0]}, a near miss."
    return ""


def _ruled_out(ctx: AlertContext, findings: Sequence[Finding], path: Path, chosen: Finding | None) -> str:
    """One line on the closest change that was not on the path (a deploy of another workload minutes
    before), so the reader sees it was considered. The change is described, not named: what it
    touched is not part of this incident."""
    off = []
    for f in findings:
        at = seen_at(f)
        if (
            f.change in (Trigger.DEPLOY, Trigger.CONFIG_CHANGE)
            and at is not None
            and ctx.anchor - RULED_OUT_WINDOW <= at <= ctx.anchor + timedelta(minutes=2)
            and not on_path(f, path)
            and (chosen is None or not _same_time(f, chosen))
        ):
            off.append((abs(minutes_before(ctx, at)), f.id, f))
    if not off:
        return ""
    f = min(off, key=lambda o: o[:2])[2]
    assert f.change is not None
    return (
        f" Ruled out: {change_words(f.change)} {_ago(ctx, f)} ({f.agent}) is about another workload, "
        f"not on the path to {path.describe_target()} or what it depends on."
    )


def _same_time(a: Finding, b: Finding) -> bool:
    at, bt = seen_at(a), seen_at(b)
    return at is not None and bt is not None and a.change is b.change and abs((at - bt).total_seconds()) <= 60


def _trigger(
    ctx: AlertContext, findings: Sequence[Finding], category: CauseCategory, path: Path
) -> list[TriggerCandidate]:
    """The chosen change first, then one finding per other agent reporting the same change. A
    change can be the trigger only through a connection (`chain.on_path`)."""
    candidates = [
        c
        for c in trigger_candidates(findings, ctx, category)
        if c.score >= MIN_TRIGGER_SCORE
        and c.finding.change is not None
        and fits(c.finding.change, category)
        and on_path(c.finding, path)
    ]
    if not candidates:
        return []
    best = _first_applied(candidates, category)
    chosen = [best]
    agents = {best.finding.agent}
    for candidate in candidates:
        if (
            candidate is not best
            and candidate.finding.agent not in agents
            and candidate.finding.relevance >= MIN_CITED
            # What someone announced says what the change was: cited even when it weighs less.
            and (candidate.score >= 0.5 * best.score or _announced(candidate.finding))
            and same_change(best, candidate)
        ):
            chosen.append(candidate)
            agents.add(candidate.finding.agent)
    return chosen


def _first_applied(candidates: Sequence[TriggerCandidate], category: CauseCategory) -> TriggerCandidate:
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


def _announced(finding: Finding) -> bool:
    """A change a person announced in chat (rather than one a source observed)."""
    return any(e.kind is EvidenceKind.CHAT_MESSAGE for e in finding.evidence)


def _linked_to(findings: Sequence[Finding], cited: Sequence[str]) -> list[Finding]:
    """`findings`, with each weakly relevant change that names a service or host the cited evidence
    names counted as relevant (`NAMED_BY_THE_EVIDENCE`): the alert named the workload that failed,
    the change named what it failed to reach."""
    ids = set(cited)
    text = " ".join(
        " ".join([f.title, f.detail, *(e.excerpt for e in f.evidence)]) for f in findings if f.id in ids
    )
    out = []
    for f in findings:
        names = [r for r in f.resources if len(r) >= 4 and "/" not in r]
        if (
            f.change not in (None, Trigger.NONE)
            and f.id not in ids
            and f.relevance < NAMED_BY_THE_EVIDENCE
            and any(re.search(rf"(?<![\w\-]){re.escape(n)}(?![\w\-])", text, re.IGNORECASE) for n in names)
        ):
            f = f.model_copy(update={"relevance": NAMED_BY_THE_EVIDENCE})
        out.append(f)
    return out


def _remote_host(category: CauseCategory, findings: Sequence[Finding], cited: Sequence[str]) -> str | None:
    """When the category's remote sign (`shared.causes`) shows in a cited log line with the host it
    calls, the sentence that names that host as the dependency whose failure set the cause off."""
    sign = CAUSES[category].remote
    if sign is None:
        return None
    ids = set(cited)
    for f in findings:
        if f.id not in ids:
            continue
        for text in (e.excerpt for e in f.evidence if e.kind is EvidenceKind.LOG_LINE):
            host = _URL_HOST.search(text)
            if host and sign.pattern.search(text):
                return sign.sentence.format(host=host.group("host"))
    return None


def _bad_deploy(ctx: AlertContext, findings: Sequence[Finding]) -> Decision | None:
    """No specific cause, but errors begin at a relevant rollout: a regression from the release."""
    path = connect(ctx, findings, ())
    deploys = [
        c
        for c in trigger_candidates(findings, ctx, CauseCategory.BAD_DEPLOY)
        if c.finding.change is Trigger.DEPLOY
        and c.finding.relevance >= Relevance.UNSURE
        and on_path(c.finding, path)
    ]
    if not deploys:
        return None
    rollout = deploys[0]
    symptoms = [
        f
        for f in findings
        if f.change is None
        and f.severity is not Severity.INFO
        and f.relevance >= Relevance.UNSURE
        and _not_before(f, rollout)
    ]
    if not symptoms:
        return None
    symptoms.sort(key=lambda f: (-score(f, ctx), f.id))
    per_agent: dict[str, Finding] = {}
    for f in symptoms:
        per_agent.setdefault(f.agent, f)
    same = [rollout, *(c for c in deploys[1:] if same_change(rollout, c))]
    evidence = [f.id for f in per_agent.values()] + [c.finding.id for c in same]
    lead = symptoms[0]
    summary = (
        f"{label(CauseCategory.BAD_DEPLOY)}: {_sentence(lead.title)} It began after a deploy "
        f"{_ago(ctx, rollout.finding)}: {_sentence(rollout.finding.title)} No resource or config "
        "explanation was found."
    )
    conf = round(min(0.6, 0.4 + 0.05 * len(per_agent)), 2)
    return Decision(
        Cause(
            category=CauseCategory.BAD_DEPLOY,
            trigger=Trigger.DEPLOY,
            summary=summary,
            confidence=conf,
            evidence=tuple(dict.fromkeys(evidence)),
        ),
        rollout.finding,
    )


def _not_before(finding: Finding, change: TriggerCandidate) -> bool:
    at = seen_at(finding)
    return at is None or change.at is None or at >= change.at


def _no_issue(
    noise: str | None, findings: Sequence[Finding], results: Sequence[AgentResult], failed: int
) -> Decision | None:
    reason = noise
    healthy = sorted(
        (f for f in findings if f.cause_hint is CauseCategory.NO_ISSUE and f.relevance >= MIN_SUPPORT),
        key=lambda f: (-f.relevance, f.id),
    )
    answered = [r for r in results if r.status is AgentStatus.OK]
    if reason is None and not (healthy and answered):
        return None
    if reason is None:
        reason = "every source that answered reports the workload healthy"
    per_agent: dict[str, str] = {}
    for f in healthy:
        per_agent.setdefault(f.agent, f.id)
    conf = (0.8 if noise else 0.6) - 0.05 * min(failed, 3)
    summary = f"No issue: {reason}, and no source found a problem. Checked: {checked(results)}."
    return Decision(
        Cause(
            category=CauseCategory.NO_ISSUE,
            summary=summary,
            confidence=round(conf, 2),
            evidence=tuple(per_agent.values()),
        )
    )


def _unknown(ctx: AlertContext, findings: Sequence[Finding], results: Sequence[AgentResult]) -> Decision:
    summary = f"No cause stands out from the evidence. Checked: {checked(results)}."
    strongest = sorted(
        (f for f in findings if f.relevance >= MIN_SUPPORT), key=lambda f: (-score(f, ctx), f.id)
    )
    if strongest:
        summary += f" Strongest signal: {_sentence(strongest[0].title)}"
    changes = trigger_candidates(findings, ctx)
    if changes:
        change = changes[0].finding
        summary += f" Changed before the alert ({_ago(ctx, change)}): {_sentence(change.title)}"
    if not results:
        summary = "No source answered in time, so nothing could be checked."
    return Decision(Cause(category=CauseCategory.UNKNOWN, summary=summary, confidence=0.1))


def noise_reason(ctx: AlertContext) -> str | None:
    """Why the alert itself looks like noise (a heartbeat, a test, already resolved), if it does."""
    name = (ctx.hints.alert_name or ctx.labels.get("alertname") or "").replace("_", "").replace("-", "")
    if name.lower() in _HEARTBEATS:
        return f"the alert is a heartbeat ({ctx.hints.alert_name or ctx.labels.get('alertname')})"
    prose = " ".join([ctx.text, *ctx.annotations.values()])
    if _RESOLVED_TEXT.search(prose) or ctx.labels.get("status", "").lower() == "resolved":
        return "the alert is already resolved"
    if _TEST_TEXT.search(prose):
        return "the alert is a test"
    return None


def checked(results: Sequence[AgentResult]) -> str:
    """`eks (ok: 3 findings, none pointing at a cause), prometheus (error: ...)` for every source."""
    if not results:
        return "no source answered"
    parts = []
    for r in sorted(results, key=lambda r: r.agent):
        if r.status in FAILED:
            reason = redact(r.errors[0])[:120] if r.errors else r.status.value
            parts.append(f"{r.agent} ({r.status.value}: {reason})")
        elif r.status is AgentStatus.OK:
            hinted = sum(1 for f in r.findings if f.cause_hint and f.relevance >= MIN_SUPPORT)
            what = f"{len(r.findings)} finding{'s' if len(r.findings) != 1 else ''}"
            parts.append(f"{r.agent} (ok: {what}, {hinted or 'none'} pointing at a cause)")
        else:
            parts.append(f"{r.agent} ({r.status.value.replace('_', ' ')})")
    return ", ".join(parts)


def _ago(ctx: AlertContext, finding: Finding) -> str:
    at = seen_at(finding)
    if at is None:
        return "before the alert"
    minutes = round(minutes_before(ctx, at))
    if minutes <= 0:
        return "at the time of the alert"
    if minutes < 120:
        return f"{minutes} min before the alert"
    return f"{minutes // 60} h {minutes % 60} min before the alert"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
