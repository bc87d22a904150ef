"""Alertmanager's webhook (`/alertmanager`, version 4) and Grafana's webhook contact point
(`/grafana`, version 1: the same body with Grafana's fields added), with bearer or basic auth.

One investigation per alert group (`groupKey`): its first `firing` notification posts the alert
as a thread's root message in the chosen channel (`?channel=`, `?platform=slack|discord`, else
`intake.alertmanager_channel` / `alertmanager_platform`) and the investigation replies under it.
Later notifications for the group are one line in that thread; `resolved` says so there and frees
the group, so a later firing is investigated afresh. A `resolved` notification for a group we hold
no record of, that started within the time we keep records, is looked back at (its firing never
reached us); an older one is ignored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lambda_adapter import keys
from lambda_adapter.events import (
    ALERTMANAGER_VERSION,
    GRAFANA_VERSION,
    AlertmanagerWebhook,
    AmAlert,
    parse_alertmanager,
)
from lambda_adapter.gate import Candidate, Outcome
from lambda_adapter.jobs import ChatName, InvestigateJob, ReplyJob
from lambda_adapter.settings import ALERT_GROUP_SECONDS
from lambda_adapter.storm import storm_note
from lambda_adapter.verify import verify_bearer_or_basic
from lambda_adapter.webhook import WebhookRequest, WebhookResponse, require_media_type
from shared.alerts.alert_labels import SEVERITY_RANK, looks_like_exporter
from shared.contracts import Platform
from shared.errors import BadRequest, Unauthorized

if TYPE_CHECKING:
    from lambda_adapter.core import Intake

logger = logging.getLogger(__name__)

MAX_LISTED = 10
# How far Alertmanager's clock may run ahead of ours before a start time is not believed.
CLOCK_SKEW_SECONDS = 300


def webhook(intake: Intake, request: WebhookRequest) -> WebhookResponse:
    """`/alertmanager`: Alertmanager's body, version 4 (Mimir's and Cortex's too)."""
    return _webhook(intake, request, ALERTMANAGER_VERSION)


def grafana_webhook(intake: Intake, request: WebhookRequest) -> WebhookResponse:
    """`/grafana`: Grafana's webhook contact point, version 1."""
    return _webhook(intake, request, GRAFANA_VERSION)


def _webhook(intake: Intake, request: WebhookRequest, version: str) -> WebhookResponse:
    if not verify_bearer_or_basic(
        request.headers.get("authorization"), intake.settings.secrets.alertmanager_token
    ):
        raise Unauthorized("missing or wrong Alertmanager credentials")
    require_media_type(request, "application/json")
    payload = parse_alertmanager(request.body, version)
    chat, channel = _destination(intake, request)
    delivery = keys.delivery_body("alertmanager", request.body)
    group = keys.alert_group(payload.groupKey)
    if payload.status == "resolved":
        outcome = _resolved(intake, payload, chat, channel, group, delivery)
    else:
        outcome = _firing(intake, payload, chat, channel, group, delivery)
    return WebhookResponse.json(200, {"ok": True, "outcome": outcome.value})


def _destination(intake: Intake, request: WebhookRequest) -> tuple[ChatName, str]:
    platform = (request.query.get("platform") or intake.settings.alertmanager_platform).strip().lower()
    if platform not in ("slack", "discord"):
        raise BadRequest(f"platform must be slack or discord, not {platform[:40]!r}")
    channel = (request.query.get("channel") or intake.settings.alertmanager_channel or "").strip()
    if not channel:
        raise BadRequest(
            "no channel: add ?channel=<id> to the webhook URL or set intake.alertmanager_channel"
        )
    return ("discord" if platform == "discord" else "slack"), channel


def _firing(
    intake: Intake, payload: AlertmanagerWebhook, chat: ChatName, channel: str, group: str, delivery: str
) -> Outcome:
    firing = payload.firing() or payload.alerts
    first = lead_alert(firing)
    # A group of several alerts is told by its lead alert: its own labels say what the investigation
    # is about (its CronJob, its service), as they would if it fired alone; the other alerts' are in
    # the text. Whether one alert or several are firing at the moment of the notification must not
    # change what is investigated.
    labels = {**payload.commonLabels, **payload.groupLabels, **first.labels}
    annotations = dict(first.annotations) if len(firing) == 1 else dict(payload.commonAnnotations)
    alert = intake.new_alert(
        Platform.ALERTMANAGER,
        channel,
        group,
        text=alert_text(payload),
        labels=labels,
        annotations=annotations,
        starts_at=_earliest(firing),
        generator_url=first.generatorURL or None,
    )
    job = InvestigateJob(alert=alert, chat=chat, root_text=root_text(payload))
    name = labels.get("alertname", "")
    return intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(group,),
            subject_ttl=ALERT_GROUP_SECONDS,
            delivery_key=delivery,
            storm=lambda: (intake.storm_of(alert)[0], None),
            repost_note=None,
            duplicate_reply=f"Still firing: {_summary_line(payload)}",
            join_note=storm_note(name, labels.get("severity"), _summary(first)),
        )
    )


def _resolved(
    intake: Intake, payload: AlertmanagerWebhook, chat: ChatName, channel: str, group: str, delivery: str
) -> Outcome:
    record = intake.dedup.get(group)
    if record is None:
        started = _earliest(payload.alerts)
        age = intake.clock() - started.timestamp() if started is not None else None
        if age is not None and -CLOCK_SKEW_SECONDS <= age < ALERT_GROUP_SECONDS:
            # It fired while we held no record of it (its firing notification never reached us, or
            # was refused): the resolution is the last chance to report on it, so it is looked
            # back at, as a resolved alert addressed to the bot in chat is.
            logger.info("group=<%s> | resolved, never investigated: looking back", group)
            return _firing(intake, payload, chat, channel, group, delivery)
        # Older than any record we keep: we may well have reported on it, long ago.
        logger.info("group=<%s> | resolved notification for a group older than our records", group)
        return Outcome.IGNORED
    if not intake.gate.first_delivery(delivery):
        return Outcome.DUPLICATE_DELIVERY
    text = f"Resolved: {_summary_line(payload)}"
    reply = ReplyJob(
        chat="discord" if record.platform == "discord" else "slack",
        channel=record.channel,
        text=text,
        thread_id=record.thread_id,
        thread_from=None if record.thread_id else (record.lead or group),
        release=(group,),
    )
    intake.gate.submit(reply, claims=(delivery,))
    return Outcome.REPLIED


def _summary(alert: AmAlert) -> str:
    notes = alert.annotations
    return notes.get("summary") or notes.get("description") or notes.get("message") or ""


def _group_name(payload: AlertmanagerWebhook, alerts: list[AmAlert], default: str = "Alert") -> str:
    """The group's alert name, else the names of its alerts (`A, B +2 more`)."""
    common = payload.groupLabels.get("alertname") or payload.commonLabels.get("alertname")
    if common:
        return common
    names = list(dict.fromkeys(n for a in alerts if (n := a.labels.get("alertname"))))
    if not names:
        return default
    shown = ", ".join(names[:3])
    return f"{shown} +{len(names) - 3} more" if len(names) > 3 else shown


def _summary_line(payload: AlertmanagerWebhook) -> str:
    name = _group_name(payload, payload.firing() or payload.alerts, "alert group")
    firing = len(payload.firing())
    resolved = len(payload.alerts) - firing
    counts = f"{firing} firing, {resolved} resolved" if firing else f"{resolved} resolved"
    return f"{name} ({counts})"


def root_text(payload: AlertmanagerWebhook) -> str:
    """The thread's root message: what fired, how bad, the one-line summary."""
    firing = payload.firing()
    name = _group_name(payload, firing or payload.alerts)
    severity = payload.commonLabels.get("severity")
    service = payload.commonLabels.get("service")
    if service and looks_like_exporter(service):  # kube-state-metrics' own `service`, not the app's
        service = None
    where = "/".join(
        v
        for v in (payload.commonLabels.get("namespace"), service or payload.commonLabels.get("deployment"))
        if v
    )
    head = (
        f"\N{POLICE CARS REVOLVING LIGHT} [FIRING:{len(firing)}] {name}"
        if firing
        else f"\N{WHITE HEAVY CHECK MARK} [RESOLVED] {name}"
    )
    details = ", ".join(p for p in (where, severity) if p)
    summary = payload.commonAnnotations.get("summary") or (_summary(firing[0]) if len(firing) == 1 else "")
    line = f"{head} ({details})" if details else head
    return f"{line}: {summary}" if summary else line


def alert_text(payload: AlertmanagerWebhook) -> str:
    """The alert as text for the investigation: the headline, then each alert's summary."""
    lines = [root_text(payload)]
    for alert in (payload.firing() or payload.alerts)[:MAX_LISTED]:
        shared = payload.commonLabels.get("alertname")
        labels = ", ".join(
            f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname" or v != shared
        )
        summary = _summary(alert)
        line = f"- {summary} [{labels}]" if summary else f"- [{labels}]"
        values = _values(alert)
        lines.append(f"{line} (values: {values})" if values else line)
    extra = len(payload.alerts) - MAX_LISTED + payload.truncatedAlerts
    if extra > 0:
        lines.append(f"- ... and {extra} more")
    return "\n".join(lines)


def _values(alert: AmAlert) -> str:
    """Grafana's query results for the alert (`B=44.24, C=1`), the numbers only."""
    shown = [
        f"{ref[:20]}={value:.4g}"
        for ref, value in sorted((alert.values or {}).items())
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    return ", ".join(shown[:MAX_LISTED])


def lead_alert(alerts: list[AmAlert]) -> AmAlert:
    """The alert a group of several is told by: the most severe, then the one that began first
    (the order Alertmanager lists a group's alerts in is not the order they matter in)."""
    if not alerts:
        return AmAlert()
    never = datetime.max.replace(tzinfo=UTC)

    def rank(alert: AmAlert) -> tuple[int, datetime]:
        severity = alert.labels.get("severity", "").strip().lower()
        # An unknown word ranks as info.
        return SEVERITY_RANK.get(severity, SEVERITY_RANK["info"]), _started(alert) or never

    return min(alerts, key=rank)


def _started(alert: AmAlert) -> datetime | None:
    if not alert.startsAt:
        return None
    try:
        parsed = datetime.fromisoformat(alert.startsAt.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Alertmanager's zero time is 0001-01-01.
    return parsed if parsed.tzinfo is not None and parsed.year > 1 else None


def _earliest(alerts: list[AmAlert]) -> datetime | None:
    times = [started for alert in alerts if (started := _started(alert)) is not None]
    return min(times) if times else None
