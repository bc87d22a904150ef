"""The report as a platform-neutral document: titled sections of lines made of styled spans.

Every renderer formats the same document, so Slack, Discord and Markdown say the same things.
Spans hold raw text; each renderer escapes them (see `escape`). What is shown: the findings the
cause cites, then the best-ranked others above a relevance bar; never the long tail of noise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from shared.causes import label
from shared.contracts import (
    AgentStatus,
    AlertContext,
    Evidence,
    Finding,
    IncidentReport,
    RiskClass,
    Severity,
    Trigger,
)
from shared.relevance import Relevance
from shared.render.escape import middle_cut, one_line, safe_url

SHOWN_RELEVANCE = Relevance.UNSURE  # uncited findings below this are not shown
MAX_UNCITED = 6
MAX_CHANGES = 5
MAX_TIMELINE = 12
LINKS_PER_FINDING = 2
SEVERITY_TAG = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
CAUSE_HEADING = "Likely cause"
LEGEND = {"cited": "✓ cited by the cause"}
RISK_TAG = {
    RiskClass.SAFE: "🟢 safe:",
    RiskClass.NEEDS_APPROVAL: "🟡 needs approval:",
    RiskClass.FORBIDDEN: "⛔ forbidden, do not:",
}

Style = Literal["text", "bold", "code", "link"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = "text"
    url: str | None = None


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]
    footer: Line


def t(text: str) -> Span:
    return Span(text)


def b(text: str) -> Span:
    return Span(text, "bold")


def shown_findings(report: IncidentReport) -> list[Finding]:
    """Cited findings (in the cause's order), then up to `MAX_UNCITED` others at or above
    `SHOWN_RELEVANCE`, in the report's ranking order."""
    cited = [f for fid in report.cause.evidence if (f := report.finding(fid)) is not None]
    cited_ids = {f.id for f in cited}
    others = [f for f in report.findings if f.id not in cited_ids and f.relevance >= SHOWN_RELEVANCE]
    return cited + others[:MAX_UNCITED]


def build_document(report: IncidentReport) -> Document:
    sections = [
        Section("What is broken", tuple(_broken(report))),
        Section(CAUSE_HEADING, tuple(_cause(report))),
        Section("Evidence", tuple(_evidence(report))),
        Section("What changed just before", tuple(_changes(report))),
        Section("Timeline", tuple(_timeline(report))),
        Section("Next steps", tuple(_next_steps(report))),
        Section("Agents", tuple(_agents(report))),
    ]
    return Document(report.title, tuple(s for s in sections if s.lines), footer(report))


def _broken(report: IncidentReport) -> Iterable[Line]:
    ctx = report.alert
    h = ctx.hints
    alert = [b("Alert:"), t(" " + one_line(h.alert_name or "an alert", 120))]
    if h.severity is not None:
        alert.append(t(f" ({h.severity.value})"))
    where = [
        f"{k} {one_line(v, 100)}"
        for k, v in (
            ("namespace", h.namespace),
            ("workload", h.workload),
            ("pod", h.pod),
            ("container", h.container),
            ("service", h.service),
            ("node", h.node),
            ("cluster", h.cluster),
        )
        if v
    ]
    if where:
        alert.append(t(" on " + ", ".join(where)))
    yield tuple(alert)
    if len(report.title) > 150:  # the header is cut at Slack's 150 characters: say it in full here
        yield (t(report.title),)
    summary = ctx.annotations.get("summary") or ctx.annotations.get("description")
    if summary:
        yield (t(one_line(summary, 300)),)


def _cause(report: IncidentReport) -> Iterable[Line]:
    cause = report.cause
    head = [b(label(cause.category)), t(f" ({cause.category.value})")]
    if cause.trigger is not Trigger.NONE:
        head.append(t(f" · trigger: {cause.trigger.value}"))
    head.append(t(f" · confidence {round(cause.confidence * 100)}%"))
    yield tuple(head)
    yield (t(cause.summary),)


def _evidence(report: IncidentReport) -> Iterable[Line]:
    cited = set(report.cause.evidence)
    primary = report.cause.evidence[0] if report.cause.evidence else None
    by_agent: dict[str, list[Finding]] = {}
    for finding in shown_findings(report):
        by_agent.setdefault(finding.agent, []).append(finding)
    for agent, findings in by_agent.items():
        yield (b(agent),)
        for finding in findings:
            mark = "✓ " if finding.id in cited else ""
            yield (t(f"• {mark}{SEVERITY_TAG[finding.severity]} "), t(finding.title))
            if finding.id in cited:
                # The cause's own finding also quotes the error as the system wrote it (the pull
                # error, the log line): what someone searches for, and what a paraphrase loses.
                for detail in _detail_lines(finding.detail, 2 if finding.id == primary else 1):
                    yield (t("    " + detail),)
            yield from _links(finding.evidence)


QUOTED = "Message:"  # how a finding's detail quotes the error as the system wrote it


def _detail_lines(detail: str, count: int) -> list[str]:
    """The first `count` informative lines of a detail: a line ending in `:` introduces the next one.
    With two or more, the error as the system wrote it (a `Message:` line) is among them when there
    is one, in place of the last of the others, and is cut in its middle: a wrapped error ("failed
    to pull: failed to resolve: … 403 Forbidden") says its root reason last."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    shown: list[str] = []
    while lines and len(shown) < count:
        first = lines.pop(0)
        if first.endswith(":") and lines:
            first = f"{first} {lines.pop(0)}"
        shown.append(first)
    quoted = next((line for line in lines if line.startswith(QUOTED)), None)
    if quoted is not None and len(shown) > 1 and not any(line.startswith(QUOTED) for line in shown):
        shown[-1] = quoted
    return [
        middle_cut(line, 300) if line.startswith(QUOTED) else one_line(line, 200 if i == 0 else 300)
        for i, line in enumerate(shown)
    ]


def _links(evidence: Iterable[Evidence]) -> Iterable[Line]:
    shown = 0
    urls: set[str] = set()
    for item in evidence:
        if shown >= LINKS_PER_FINDING:
            return
        kind = item.kind.value.replace("_", " ")
        url = safe_url(item.url) or safe_url(item.reference)
        if url is not None and url in urls:
            continue  # one query link backs several log lines: show it once
        if url is not None:
            urls.add(url)
            label = kind if item.reference.startswith("http") else f"{kind}: {one_line(item.reference, 60)}"
            yield (t("    ↳ "), Span(label, "link", url))
        elif item.reference:
            yield (t("    ↳ "), Span(one_line(item.reference, 300), "code"))
        else:
            continue
        shown += 1


def clock_time(at: datetime) -> str:
    """`05:16 UTC`: every time in a report is said in UTC, the same way."""
    return f"{at.astimezone(UTC):%H:%M} UTC"


def when_phrase(ctx: AlertContext, at: datetime) -> str:
    """`41 min before the alert, at 05:16 UTC` (or `at the alert` / `3 min after the alert`):
    the one phrasing of a moment relative to the alert."""
    minutes = round((ctx.anchor - at).total_seconds() / 60)
    if minutes > 0:
        relative = f"{minutes} min before the alert"
    elif minutes == 0:
        relative = "at the alert"
    else:
        relative = f"{-minutes} min after the alert"
    return f"{relative}, at {clock_time(at)}"


_RELATIVE = re.compile(
    r",?\s*\b(?:\d+ d )?(?:\d+ h )?(?:\d+ min )?(?:before|after) the alert\b"
    r"|,?\s*\b(?:\d+ h )?\d+ (?:min|h|d) (?:before|after)\b"
    r"|,?\s*\bat \d{2}:\d{2}(?: UTC)?\b"
)


def without_time(text: str) -> str:
    """`text` without the moment it states relative to the alert (`41 min before the alert`) or
    on the clock (`at 05:16 UTC`): where the line already says when, from the finding's own time,
    a second time in its text could only repeat or contradict it."""
    cut = _RELATIVE.sub("", text)
    return " ".join(cut.split()) if cut.strip() else text


def _when(finding: Finding) -> datetime | None:
    times = [e.at for e in finding.evidence if e.at is not None]
    return finding.first_seen or (min(times) if times else finding.last_seen)


def _changes(report: IncidentReport) -> Iterable[Line]:
    ctx = report.alert
    cited = set(report.cause.evidence)
    changes = [
        f
        for f in report.findings
        if f.change not in (None, Trigger.NONE) and (f.id in cited or f.relevance >= SHOWN_RELEVANCE)
    ]
    changes.sort(key=lambda f: (f.id not in cited, -(_when(f) or ctx.anchor).timestamp()))
    if not changes:
        yield (t("No change was found in the investigation window."),)
        return
    for finding in changes[:MAX_CHANGES]:
        kind = finding.change.value if finding.change else "change"
        at = _when(finding)
        # No time of its own: the finding's title says when, if anything does (no "time unknown"
        # in front of a title that gives one).
        when = f"{when_phrase(ctx, at)} " if at is not None else ""
        title = without_time(finding.title) if at is not None else finding.title
        yield (t(f"• {when}({kind}, {finding.agent}): "), t(title))


def _timeline(report: IncidentReport) -> Iterable[Line]:
    for entry in report.timeline[-MAX_TIMELINE:]:
        who = f" ({entry.agent})" if entry.agent else ""
        # The stamp says when: a time in the text (from another clock) would contradict it.
        yield (t(f"• {clock_time(entry.at)} "), t(one_line(without_time(entry.text), 300)), t(who))


def _next_steps(report: IncidentReport) -> Iterable[Line]:
    for step in report.next_steps:
        line = [t(f"• {RISK_TAG[step.risk]} "), t(step.text)]
        if step.command:
            line += [t(" "), Span(step.command, "code")]
        yield tuple(line)


def _agents(report: IncidentReport) -> Iterable[Line]:
    for run in report.agents:
        text = f"• {run.name}: {run.status.value.replace('_', ' ')}, {run.duration_ms / 1000:.1f} s"
        if run.status is AgentStatus.OK:
            text += f", {run.findings} finding{'s' if run.findings != 1 else ''}"
        usage = run.usage
        if usage.model != "none":  # a model-free agent costs nothing: the footer already says so
            text += (
                f" · {usage.model} {usage.input_tokens}/{usage.output_tokens} tokens ${usage.cost_usd:.4f}"
            )
        # A model fallback is said first and never displaces a source error: both change how far
        # the reader can trust this agent's findings.
        problems = []
        if run.model_fallback:
            problems.append(
                "model fallback, deterministic findings only: " + one_line(run.model_fallback, 160)
            )
        if run.errors:
            more = f" (+{len(run.errors) - 1} more)" if len(run.errors) > 1 else ""
            problems.append(one_line(run.errors[0], 200) + more)
        line = [t(text)]
        if problems:
            line.append(t(" — " + "; ".join(problems)))
        yield tuple(line)


def legend(report: IncidentReport) -> str:
    """What the marks this report uses mean: `✓ cited by the cause · 🔴 critical · 🟠 warning`."""
    shown = shown_findings(report)
    cited = set(report.cause.evidence)
    pieces = [LEGEND["cited"]] if any(f.id in cited for f in shown) else []
    used = {f.severity for f in shown}
    pieces += [f"{tag} {sev.value}" for sev, tag in SEVERITY_TAG.items() if sev in used]
    return " · ".join(pieces)


def footer(report: IncidentReport) -> Line:
    tel = report.telemetry
    marks = legend(report)
    text = (f"{marks} — " if marks else "") + (
        f"model {tel.model} · tokens {tel.input_tokens} in / {tel.output_tokens} out · "
        f"${tel.cost_usd:.4f} · {tel.elapsed_ms / 1000:.1f} s · {tel.narrative} · "
        f"investigation {report.investigation_id}"
    )
    if tel.narrative_rejected:
        text += f" · {tel.narrative_rejected} model narrative(s) rejected"
    return (t(text),)
