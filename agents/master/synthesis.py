"""From the agents' results to the `IncidentReport`, without a model: deterministic and grounded.

`cause.decide` picks the category, the trigger and the evidence; this module assembles the rest
(title, ranked findings, timeline, affected resources, next steps, agent runs, telemetry). The
posted text is left empty: the renderer fills it with exactly what it posts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agents.master.cause import Decision, decide
from agents.master.chain import Path, on_path
from agents.master.ranking import MIN_SUPPORT, dedupe, rank_findings, seen_at
from shared.causes import change_words, label
from shared.contracts import (
    AgentResult,
    AgentRun,
    AlertContext,
    CauseCategory,
    Finding,
    IncidentReport,
    Telemetry,
    TimelineEntry,
    Trigger,
)
from shared.next_steps import next_steps
from shared.redact import redact
from shared.relevance import Relevance

logger = logging.getLogger(__name__)

TIMELINE_FINDINGS = 8
MAX_TIMELINE = 20
MAX_RESOURCES = 20


def synthesize(
    ctx: AlertContext,
    results: Sequence[AgentResult],
    *,
    elapsed_ms: int = 0,
    related: Sequence[AgentResult] = (),
) -> IncidentReport:
    """The report for `ctx` from whatever results have arrived (possibly none). `related` are the
    results of the second, narrower round about a dependency (`followup`): they can only say why
    the dependency fails, and the findings the cause cites from them join the report."""
    results = _latest_per_agent(results)
    findings = dedupe(f for r in results for f in r.findings)
    about_dependency = [_as_related(f) for r in related for f in r.findings]
    decision = decide(ctx, findings, results, about_dependency)
    cause = decision.cause
    known = {f.id for f in findings}
    findings = dedupe(
        [*findings, *(f for f in about_dependency if f.id in cause.evidence and f.id not in known)]
    )
    if cause.category is CauseCategory.NO_ISSUE:
        findings = quiet(findings, cause.evidence)
    elif decision.path is not None:
        findings = off_the_path(findings, cause.evidence, decision.path)
    ranked = rank_findings(findings, ctx, cause.category, cause.evidence)
    logger.info(
        "investigation=<%s>, category=<%s>, trigger=<%s>, confidence=<%.2f>, findings=<%d> | synthesized",
        ctx.investigation_id,
        cause.category.value,
        cause.trigger.value,
        cause.confidence,
        len(findings),
    )
    return IncidentReport(
        investigation_id=ctx.investigation_id,
        alert=ctx,
        title=report_title(ctx, decision),
        cause=cause,
        timeline=timeline(ctx, ranked, cause.evidence, decision.path),
        findings=tuple(ranked),
        affected_resources=affected_resources(ctx, ranked, cause.evidence),
        next_steps=next_steps(cause.category, cause.trigger, ctx.hints, decision.change),
        agents=tuple(agent_run(r) for r in results),
        telemetry=telemetry(results, elapsed_ms),
    )


def quiet(findings: Sequence[Finding], cited: Sequence[str]) -> list[Finding]:
    """A quiet alert's findings (a heartbeat, a test, a resolved alert, a healthy target): nothing
    elsewhere in the cluster is about it, so what is not cited or tied to it by name
    (`Relevance.LINKED`) is rated `Relevance.ELSEWHERE` and stays out of the report's evidence,
    changes and timeline."""
    ids = set(cited)
    return [
        f
        if f.id in ids or f.relevance >= Relevance.LINKED
        else f.model_copy(update={"relevance": Relevance.ELSEWHERE})
        for f in findings
    ]


def off_the_path(findings: Sequence[Finding], cited: Sequence[str], path: Path) -> list[Finding]:
    """A change that is not on the path to the alert (a neighbour's deploy: `chain.on_path`) is
    rated `Relevance.ELSEWHERE`: the cause's "ruled out" line says it was considered, and it stays
    out of the report's changes, evidence and timeline."""
    ids = set(cited)
    return [
        f.model_copy(update={"relevance": min(f.relevance, Relevance.ELSEWHERE)})
        if f.change not in (None, Trigger.NONE) and f.id not in ids and not on_path(f, path)
        else f
        for f in findings
    ]


def _as_related(finding: Finding) -> Finding:
    """A finding of the second round, rated for the alert: it is about a dependency, not the target."""
    return finding.model_copy(update={"relevance": min(finding.relevance, Relevance.NEAR)})


def _latest_per_agent(results: Sequence[AgentResult]) -> list[AgentResult]:
    """One result per agent (a late result replaces the timeout it follows), in arrival order."""
    by_agent: dict[str, AgentResult] = {}
    for result in results:
        by_agent.pop(result.agent, None)
        by_agent[result.agent] = result
    return list(by_agent.values())


def target_of(ctx: AlertContext) -> str | None:
    """What the alert is about, as a person names it: `shop/checkout`, `payments-api`, a node."""
    h = ctx.hints
    name = h.workload or h.service or h.pod
    if name:
        return f"{h.namespace}/{name}" if h.namespace else name
    return h.node or h.namespace or h.cluster


def report_title(ctx: AlertContext, decision: Decision) -> str:
    """`KubePodCrashLooping on shop/checkout: Memory exhausted after a deploy`."""
    cause = decision.cause
    alert = ctx.hints.alert_name or "Alert"
    target = target_of(ctx)
    title = f"{alert} on {target}" if target else alert
    title += f": {label(cause.category)}"
    if cause.trigger is not Trigger.NONE:
        title += f" after {change_words(cause.trigger)}"
    return redact(title)[:300]


def timeline(
    ctx: AlertContext, ranked: Sequence[Finding], cited: Sequence[str], path: Path | None = None
) -> tuple[TimelineEntry, ...]:
    """Changes in the window, when the top findings began, and the alert itself, oldest first. A
    change that is off the `path` the cause was reasoned along (a neighbour's deploy) is left out
    unless cited: the cause's line says it was ruled out."""
    entries: dict[str, TimelineEntry] = {}
    cited_set = set(cited)

    def shown_change(f: Finding) -> bool:
        return f.id in cited_set or path is None or on_path(f, path)

    top = [
        f
        for f in ranked
        if f.id in cited_set
        or (f.relevance >= MIN_SUPPORT and (f.change in (None, Trigger.NONE) or shown_change(f)))
    ][:TIMELINE_FINDINGS]
    changes = [
        f
        for f in ranked
        if f.change not in (None, Trigger.NONE) and f.relevance >= MIN_SUPPORT and shown_change(f)
    ]
    for finding in (*changes, *top):
        at = seen_at(finding)
        if at is None or finding.id in entries or not ctx.window_start <= at <= ctx.window_end:
            continue
        entries[finding.id] = TimelineEntry(
            at=at, text=finding.title, finding_id=finding.id, agent=finding.agent
        )
    alert = ctx.hints.alert_name or "The alert"
    fired = ctx.alert_started_at
    out = list(entries.values())
    if fired is not None:
        out.append(TimelineEntry(at=fired, text=f"{alert} started firing"))
    out.append(TimelineEntry(at=ctx.received_at, text=f"{alert} received"))
    out.sort(key=lambda e: (e.at, e.finding_id or "", e.text))
    return tuple(out[-MAX_TIMELINE:])


def affected_resources(ctx: AlertContext, ranked: Sequence[Finding], cited: Sequence[str]) -> tuple[str, ...]:
    """What the alert names, then the resources of the cited findings."""
    h = ctx.hints
    names: list[str] = []
    prefix = f"{h.namespace}/" if h.namespace else ""
    for kind, value in (("deployment", h.workload), ("pod", h.pod), ("service", h.service), ("node", h.node)):
        if value:
            names.append(f"{kind} {value if kind == 'node' else prefix + value}")
    cited_set = set(cited)
    for finding in ranked:
        if finding.id in cited_set:
            names.extend(finding.resources)
    return tuple(dict.fromkeys(n for n in names if n))[:MAX_RESOURCES]


def agent_run(result: AgentResult) -> AgentRun:
    return AgentRun(
        name=result.agent,
        status=result.status,
        duration_ms=result.duration_ms,
        findings=len(result.findings),
        errors=tuple(redact(e)[:500] for e in result.errors),
        usage=result.usage,
        model_fallback=redact(result.model_fallback)[:500] if result.model_fallback else None,
    )


def telemetry(results: Sequence[AgentResult], elapsed_ms: int) -> Telemetry:
    """Totals over every agent; the model is the one model used, `mixed`, or `none`."""
    models = sorted({r.usage.model for r in results if r.usage.model != "none"})
    model = "none" if not models else models[0] if len(models) == 1 else "mixed"
    return Telemetry(
        model=model,
        input_tokens=sum(r.usage.input_tokens for r in results),
        output_tokens=sum(r.usage.output_tokens for r in results),
        cost_usd=round(sum(r.usage.cost_usd for r in results), 6),
        elapsed_ms=max(0, elapsed_ms),
    )
