"""The short messages around a report: the immediate "investigating" notice and late-result updates.

Both are single messages within the tighter of the two platforms' limits, formatted for the
platform the report goes to (given, or inferred from the alert as the orchestrator does).
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.causes import label
from shared.contracts import AgentResult, AgentStatus, AlertContext, IncidentReport, Platform
from shared.render.discord import DISCORD
from shared.render.document import SEVERITY_TAG, Line, Span, b, t
from shared.render.escape import one_line, safe_url
from shared.render.layout import Formatter, format_lines, size
from shared.render.slack import SLACK

MAX_UPDATE = 2000  # Discord's message limit, the tighter of the two
UPDATE_FINDINGS = 5


def platform_of(ctx: AlertContext) -> str:
    """Where replies to this alert go: its own platform; for Alertmanager, the configured channel's
    (Discord channel ids are numeric snowflakes, Slack's are not)."""
    if ctx.platform is Platform.ALERTMANAGER:
        return "discord" if ctx.channel.isdigit() else "slack"
    return ctx.platform.value


def _formatter(name: str) -> Formatter:
    return DISCORD if name == "discord" else SLACK


def _join(body: list[Line], fmt: Formatter, tail: list[Line] | None = None) -> str:
    """One message: the `tail` (what must be said, at most half the message) after as much of the
    `body` as fits, whole lines dropped from its end with a note saying how many."""
    half = MAX_UPDATE // 2
    closing = format_lines(tail or [], fmt, half)
    while closing and size("\n".join(closing)) > half:
        closing.pop()
    budget = MAX_UPDATE - 80 - size("\n".join(closing))
    rendered = format_lines(body, fmt, budget)
    kept = list(rendered)
    while kept and size("\n".join(kept)) > budget:
        kept.pop()
    if len(kept) < len(rendered):
        kept.append(fmt.text(f"… {len(rendered) - len(kept)} more line(s) in the full report"))
    return "\n".join([*kept, *closing])


def render_investigating(
    ctx: AlertContext, agent_ids: Sequence[str], deadline_s: float, *, platform: str | None = None
) -> str:
    """The notice posted at once: what is being investigated, by whom, and by when."""
    fmt = _formatter(platform or platform_of(ctx))
    h = ctx.hints
    what = h.alert_name or "this alert"
    target = "/".join(v for v in (h.namespace, h.workload or h.service or h.pod) if v) or h.node or ""
    head: Line = (
        t(":mag: " if (platform or platform_of(ctx)) == "slack" else "🔍 "),
        b("Investigating"),
        t(" " + one_line(what, 120) + (f" on {one_line(target, 160)}" if target else "")),
    )
    agents = ", ".join(agent_ids) if agent_ids else "no scanner (none is enabled)"
    body: Line = (t(f"Asking {agents}; the report follows within {round(deadline_s)} s."),)
    footer: Line = (t(f"investigation {ctx.investigation_id}"),)
    return _join([head, body], fmt, [footer])


def render_update(
    late: AgentResult,
    report: IncidentReport,
    *,
    previous: IncidentReport | None = None,
    platform: str | None = None,
) -> str:
    """A late agent's result as a thread update, and whether it changes the likely cause."""
    fmt = _formatter(platform or platform_of(report.alert))
    status = late.status.value.replace("_", " ")
    head: Line = (
        b(f"Late result from {late.agent}"),
        t(f": {status}, {late.duration_ms / 1000:.1f} s, {len(late.findings)} finding(s)"),
    )
    lines: list[Line] = [head]
    if late.status in (AgentStatus.ERROR, AgentStatus.TIMEOUT) and late.errors:
        lines.append((t("error: " + one_line(late.errors[0], 300)),))
    if late.model_fallback:
        lines.append(
            (t("model fallback, deterministic findings only: " + one_line(late.model_fallback, 300)),)
        )
    ranked = {f.id: i for i, f in enumerate(report.findings)}
    cited = set(report.cause.evidence)
    findings = sorted(late.findings, key=lambda f: (f.id not in cited, ranked.get(f.id, len(ranked)), f.id))
    for finding in findings[:UPDATE_FINDINGS]:
        mark = "✓ " if finding.id in cited else ""
        line: list[Span] = [t(f"• {mark}{SEVERITY_TAG[finding.severity]} "), t(finding.title)]
        url = next((u for e in finding.evidence if (u := safe_url(e.url))), None)
        if url:
            line += [t(" "), Span("link", "link", url)]
        lines.append(tuple(line))
    if len(findings) > UPDATE_FINDINGS:
        lines.append((t(f"… and {len(findings) - UPDATE_FINDINGS} more"),))
    cause = report.cause
    words = label(cause.category)
    closing: list[Line] = []
    if previous is not None and previous.cause.category is not cause.category:
        closing.append(
            (
                b("Likely cause updated:"),
                t(
                    f" {words} (was {label(previous.cause.category)}), "
                    f"confidence {round(cause.confidence * 100)}%"
                ),
            )
        )
        closing.append((t(cause.summary),))
    elif previous is not None and previous.cause.evidence != cause.evidence:
        closing.append(
            (
                t(
                    f"The likely cause is unchanged ({words}), now with more evidence; "
                    f"confidence {round(cause.confidence * 100)}%."
                ),
            )
        )
    else:
        closing.append((t(f"The likely cause is unchanged: {words}."),))
    return _join(lines, fmt, closing)
