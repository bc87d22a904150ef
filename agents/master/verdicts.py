"""The verdicts that state no specific cause: the alert is noise or the workload healthy
(`no_issue`), a regression from a release with nothing more specific (`bad_deploy`), or nothing
stands out (`unknown`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from agents.master.chain import connect, on_path, target_names, touches
from agents.master.decision import Decision, ago, sentence
from agents.master.ranking import (
    MIN_SUPPORT,
    TriggerCandidate,
    same_change,
    score,
    seen_at,
    trigger_candidates,
)
from agents.master.triggers import announcements_of
from shared.causes import label
from shared.contracts import (
    AgentResult,
    AgentStatus,
    AlertContext,
    Cause,
    CauseCategory,
    Finding,
    Severity,
    Trigger,
)
from shared.redact import redact
from shared.relevance import Relevance

FAILED = (AgentStatus.ERROR, AgentStatus.TIMEOUT)
# A warning or critical finding at least this relevant is a live problem: the alert is not noise.
# A heartbeat, test or resolved alert names no workload, so scanners rate everything middling (0.5);
# only a finding tied to something specific then overrules what the alert says about itself.
PROBLEM_RELEVANCE = Relevance.CITABLE
PROBLEM_RELEVANCE_IF_NOISE = Relevance.LINKED
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
RESOLVED = "the alert is already resolved"
HEARTBEAT = "the alert is a heartbeat"
# For a resolved alert, a problem last seen this long before the alert arrived is what the alert was
# about, not a live problem: it is told as history, and does not overrule the resolution.
STILL_GOING = timedelta(minutes=5)


def noise_reason(ctx: AlertContext) -> str | None:
    """Why the alert itself looks like noise (a heartbeat, a test, already resolved), if it does."""
    name = (ctx.hints.alert_name or ctx.labels.get("alertname") or "").replace("_", "").replace("-", "")
    if name.lower() in _HEARTBEATS:
        return f"{HEARTBEAT} ({ctx.hints.alert_name or ctx.labels.get('alertname')})"
    prose = " ".join([ctx.text, *ctx.annotations.values()])
    if _RESOLVED_TEXT.search(prose) or ctx.labels.get("status", "").lower() == "resolved":
        return RESOLVED
    if _TEST_TEXT.search(prose):
        return "the alert is a test"
    return None


def problems(ctx: AlertContext, findings: Sequence[Finding]) -> list[Finding]:
    """The live problems: warning or critical findings relevant enough to overrule a quiet alert.
    A heartbeat, a test, a resolved alert, or a target a source reports healthy by name is quiet:
    then only a problem tied to it by name (`Relevance.LINKED`) overrules it, not one elsewhere."""
    healthy = any(
        f.cause_hint is CauseCategory.NO_ISSUE and f.relevance >= Relevance.LINKED for f in findings
    )
    reason = noise_reason(ctx)
    # An alert that is noise by its own words is about nothing else: only a problem with what it
    # names overrules it, never one elsewhere in the cluster; a heartbeat is about nothing at all.
    target = target_names(ctx) if reason else ()
    heartbeat = reason is not None and reason.startswith(HEARTBEAT)
    return [
        f
        for f in _problem_findings(findings, quiet=bool(reason) or healthy)
        if not (reason == RESOLVED and _ended(ctx, f))
        and (not reason or (touches(f, target) if target else not heartbeat))
    ]


def _problem_findings(findings: Sequence[Finding], *, quiet: bool) -> list[Finding]:
    bar = PROBLEM_RELEVANCE_IF_NOISE if quiet else PROBLEM_RELEVANCE
    return [
        f
        for f in findings
        if f.severity is not Severity.INFO
        and f.relevance >= bar
        and f.cause_hint is not CauseCategory.NO_ISSUE
    ]


def _ended(ctx: AlertContext, finding: Finding) -> bool:
    return finding.last_seen is not None and finding.last_seen < ctx.received_at - STILL_GOING


def _what_it_was(ctx: AlertContext, findings: Sequence[Finding]) -> str:
    """For a resolved alert, the problem it was about, now over: one sentence, or nothing."""
    past = sorted(
        (f for f in _problem_findings(findings, quiet=True) if _ended(ctx, f)),
        key=lambda f: (-f.relevance, f.id),
    )
    if not past:
        return ""
    top = past[0]
    over = round((ctx.received_at - (top.last_seen or ctx.received_at)).total_seconds() / 60)
    return f" What it was: {sentence(top.title)} (last seen {over} min before the alert)."


def no_issue(
    ctx: AlertContext, findings: Sequence[Finding], results: Sequence[AgentResult]
) -> Decision | None:
    """No issue, when the alert is noise or every source that answered says the workload is
    healthy, and no live problem says otherwise."""
    if problems(ctx, findings):
        return None
    noise = reason = noise_reason(ctx)
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
    conf = (0.8 if noise else 0.6) - 0.05 * min(failed(results), 3)
    summary = f"No issue: {reason}, and no source found a problem. Checked: {checked(results)}."
    if noise == RESOLVED:
        summary = (
            f"No issue now: {reason}, and no source found a problem still going."
            f"{_what_it_was(ctx, findings)} Checked: {checked(results)}."
        )
    return Decision(
        Cause(
            category=CauseCategory.NO_ISSUE,
            summary=summary,
            confidence=round(conf, 2),
            evidence=tuple(per_agent.values()),
        )
    )


def bad_deploy(ctx: AlertContext, findings: Sequence[Finding]) -> Decision | None:
    """No specific cause, but errors begin at a relevant rollout: a regression from the release."""
    path = connect(ctx, findings, ())
    deploys = [
        c
        for c in trigger_candidates(announcements_of(findings), ctx, CauseCategory.BAD_DEPLOY)
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
        f"{label(CauseCategory.BAD_DEPLOY)}: {sentence(lead.title)} It began after a deploy "
        f"{ago(ctx, rollout.finding)}: {sentence(rollout.finding.title)} No resource or config "
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
        path=path,
    )


def _not_before(finding: Finding, change: TriggerCandidate) -> bool:
    at = seen_at(finding)
    return at is None or change.at is None or at >= change.at


def unknown(ctx: AlertContext, findings: Sequence[Finding], results: Sequence[AgentResult]) -> Decision:
    summary = f"No cause stands out from the evidence. Checked: {checked(results)}."
    strongest = sorted(
        (f for f in findings if f.relevance >= MIN_SUPPORT), key=lambda f: (-score(f, ctx), f.id)
    )
    if strongest:
        summary += f" Strongest signal: {sentence(strongest[0].title)}"
    changes = trigger_candidates(findings, ctx)
    if changes:
        change = changes[0].finding
        summary += f" Changed before the alert ({ago(ctx, change)}): {sentence(change.title)}"
    if not results:
        summary = "No source answered in time, so nothing could be checked."
    return Decision(Cause(category=CauseCategory.UNKNOWN, summary=summary, confidence=0.1))


def failed(results: Sequence[AgentResult]) -> int:
    return sum(1 for r in results if r.status in FAILED)


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
