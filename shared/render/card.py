"""What the rich layouts (Slack Block Kit, Discord embeds) show beside the document: the cause as
fields, the report's severity, the legend of its marks, its link buttons and its signed actions.

Raw text only; each renderer escapes it for its platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.actions import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    RERUN,
    SILENCE,
    Action,
    ActionSigner,
    silence_matchers,
)
from shared.causes import label
from shared.contracts import IncidentReport, Severity, Trigger
from shared.render.document import clock_time, shown_findings
from shared.render.escape import safe_url

SILENCE_HOURS = 1
# Annotation names tools use for a runbook and a dashboard (Prometheus rules, Grafana, PagerDuty).
RUNBOOK_KEYS = ("runbook_url", "runbook", "runbookURL", "runbook_link")
DASHBOARD_KEYS = ("dashboard_url", "dashboardURL", "dashboard", "grafana_url", "__dashboardUrl__")
MAX_BUTTON_URL = 512  # Discord's limit; Slack's is 3000


@dataclass(frozen=True)
class Button:
    text: str
    action: Action | None = None  # a button that posts back
    url: str | None = None  # a link button
    style: str = ""  # "primary" | "danger" | ""


def severity(report: IncidentReport) -> Severity | None:
    """The alert's severity, else the worst of the findings the report shows."""
    if report.alert.hints.severity is not None:
        return report.alert.hints.severity
    order = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)
    shown = {f.severity for f in shown_findings(report)}
    return next((s for s in order if s in shown), None)


def cause_fields(report: IncidentReport) -> list[tuple[str, str]]:
    """(name, value) pairs: category, trigger, confidence, started."""
    cause, ctx = report.cause, report.alert
    trigger = cause.trigger.value.replace("_", " ") if cause.trigger is not Trigger.NONE else "none found"
    if cause.trigger is not Trigger.NONE and not any(
        f.change is not None for f in report.findings if f.id in cause.evidence
    ):
        trigger += " (inferred: no change on its path)"
    if ctx.alert_started_at is not None:
        started = f"{clock_time(ctx.alert_started_at)}, {ctx.alert_started_at:%-d %b}"
    else:
        started = f"not given; alert seen at {clock_time(ctx.received_at)}"
    return [
        ("Category", f"{label(cause.category)} ({cause.category.value})"),
        ("Trigger", trigger),
        ("Confidence", f"{round(cause.confidence * 100)}%"),
        ("Started", started),
    ]


def _annotation_url(report: IncidentReport, keys: tuple[str, ...]) -> str | None:
    annotations = report.alert.annotations
    for key in keys:
        url = safe_url(annotations.get(key), max_length=MAX_BUTTON_URL)
        if url:
            return url
    return None


def buttons(report: IncidentReport, signer: ActionSigner | None) -> list[Button]:
    """The report's buttons, in order: runbook and dashboard (when the alert names them), silence
    for 1 h (an alert Alertmanager can silence), re-run, 👍, 👎. Silence and re-run need `signer`."""
    out: list[Button] = []
    if runbook := _annotation_url(report, RUNBOOK_KEYS):
        out.append(Button("Open runbook", url=runbook))
    if dashboard := _annotation_url(report, DASHBOARD_KEYS):
        out.append(Button("Open dashboard", url=dashboard))
    inv = report.investigation_id
    if signer is not None:
        if matchers := silence_matchers(report.alert.labels):
            out.append(Button(f"Silence {SILENCE_HOURS} h", Action(SILENCE, inv, matchers), style="danger"))
        out.append(Button("Re-run investigation", Action(RERUN, inv), style="primary"))
    out.append(Button("👍", Action(FEEDBACK_UP, inv)))
    out.append(Button("👎", Action(FEEDBACK_DOWN, inv)))
    return out
