"""Slack: the Events API (`/slack/events`) and the `/sre-snapshot` slash command (`/slack/commands`).

What starts an investigation:
- a bot's alert message in a channel the app is in (`message`, needs a positive verdict);
- an `app_mention` at the top level (the message is the alert; chatter and "help" get a one-line
  reply, a question about the state of things ("is prod ok?") a snapshot in its thread);
- an `app_mention` inside a thread (the thread's parent is the alert, the mention an operator note),
  or with a message's permalink (the linked message is the alert);
- the trigger reaction (`intake.trigger_reaction`) on a message.
Our own messages never trigger anything: the reports mention severities too.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from lambda_adapter import keys
from lambda_adapter.classify import Kind, chatter_reply, classify, should_investigate
from lambda_adapter.events import (
    SlackEnvelope,
    SlackEvent,
    parse_slack_envelope,
    parse_slash_command,
    plain_slack_text,
)
from lambda_adapter.gate import Candidate, Outcome
from lambda_adapter.jobs import InvestigateJob, ReplyJob
from lambda_adapter.settings import SNAPSHOT_BUSY, SNAPSHOT_WINDOW_SECONDS
from lambda_adapter.verify import verify_slack
from lambda_adapter.webhook import WebhookRequest, WebhookResponse, require_media_type
from shared.contracts import Platform
from shared.errors import BadRequest, Unauthorized

if TYPE_CHECKING:
    from lambda_adapter.core import Intake

logger = logging.getLogger(__name__)

SNAPSHOT_COMMAND = "/sre-snapshot"
ALREADY = "I am already investigating this alert in this thread; I will not start a second investigation."
SNAPSHOT_ACK = (
    "Taking a snapshot of the estate (cluster, logs, alerts, chat); "
    "the report follows in this channel within {seconds} s."
)
SNAPSHOT_ROOT = (
    ":camera_with_flash: Snapshot of the estate, requested by {who}: the report follows in this thread."
)
# Slack's response_url takes the snapshot, by then past the deadline, when the bot cannot post.
SNAPSHOT_MARGIN_SECONDS = 5
_AUTO_SUBTYPES = (None, "bot_message")
# A message's permalink: `https://acme.slack.com/archives/C0LAN2Q65/p1712345600000100`.
_PERMALINK = re.compile(
    r"https://[A-Za-z0-9.\-]+\.slack\.com/archives/(?P<channel>[CG][A-Z0-9]{6,})/p(?P<ts>\d{16})\b"
)


def _verified(intake: Intake, request: WebhookRequest) -> None:
    headers = request.headers
    if not verify_slack(
        intake.settings.secrets.slack_signing_secret,
        request.body,
        headers.get("x-slack-request-timestamp"),
        headers.get("x-slack-signature"),
        now=intake.clock(),
    ):
        raise Unauthorized("invalid or stale Slack signature")


def _ok(outcome: Outcome) -> WebhookResponse:
    return WebhookResponse.json(200, {"ok": True, "outcome": outcome.value})


def events(intake: Intake, request: WebhookRequest) -> WebhookResponse:
    _verified(intake, request)
    require_media_type(request, "application/json")
    envelope = parse_slack_envelope(request.body)
    if envelope.type == "url_verification":
        if not envelope.challenge:
            raise BadRequest("url_verification without a challenge")
        return WebhookResponse.json(200, {"challenge": envelope.challenge})
    if envelope.type != "event_callback" or envelope.event is None:
        return _ok(Outcome.IGNORED)
    retry = request.headers.get("x-slack-retry-num")
    if retry:
        logger.info(
            "event=<%s>, retry=<%s>, reason=<%s> | slack retry",
            envelope.event_id,
            retry,
            request.headers.get("x-slack-retry-reason", ""),
        )
    event = envelope.event
    if _is_ours(envelope, event):
        return _ok(Outcome.IGNORED)
    delivery = keys.delivery("slack", envelope.event_id) if envelope.event_id else None
    handler = {"app_mention": _mention, "message": _message, "reaction_added": _reaction}.get(event.type)
    if handler is None:
        return _ok(Outcome.IGNORED)
    return _ok(handler(intake, event, delivery))


def _is_ours(envelope: SlackEnvelope, event: SlackEvent) -> bool:
    if event.app_id and event.app_id == envelope.api_app_id:
        return True
    return bool(event.user and event.user in envelope.bot_user_ids())


def _message(intake: Intake, event: SlackEvent, delivery: str | None) -> Outcome:
    """A bot's message at the top level of a channel: investigated when it reads as an alert."""
    if event.subtype not in _AUTO_SUBTYPES or event.in_thread or not event.ts or not event.channel:
        return Outcome.IGNORED
    if not (event.bot_id or event.subtype == "bot_message"):
        return Outcome.IGNORED  # people address the bot with a mention or the reaction
    text = plain_slack_text(event.full_text())
    verdict = classify(text)
    recheck = verdict.kind is Kind.UNSURE and intake.llm_enabled
    if not recheck and should_investigate(verdict, addressed=False).kind is not Kind.ALERT:
        return Outcome.IGNORED
    return _alert_message(intake, event.channel, event.ts, delivery, text, addressed=False, recheck=recheck)


def _alert_message(
    intake: Intake,
    channel: str,
    ts: str,
    delivery: str | None,
    text: str,
    *,
    addressed: bool,
    recheck: bool = False,
) -> Outcome:
    """The message itself is the alert. A second event for the same message (Slack sends both
    `message` and `app_mention` for a mention in an alert) is dropped without a word."""
    return intake.admit_posted_alert(
        Platform.SLACK,
        channel,
        ts,
        text,
        thread_id=ts,
        delivery=delivery,
        addressed=addressed,
        recheck=recheck,
    )


def _mention(intake: Intake, event: SlackEvent, delivery: str | None) -> Outcome:
    if not event.ts or not event.channel:
        return Outcome.IGNORED
    note = plain_slack_text(event.text)
    parent = event.thread_ts if event.in_thread else None
    verdict = classify(note, in_thread=parent is not None)
    if parent:
        # "thanks!" under a report, "resolved" under the alert: a reply, not another investigation.
        if verdict.kind in (Kind.CHATTER, Kind.RESOLVED, Kind.HELP) and note:
            return _chatter(intake, event.channel, delivery, note, thread=parent)
        return _linked_alert(intake, event.channel, parent, delivery, note)
    linked = _PERMALINK.search(note)
    if linked and verdict.kind in (Kind.ALERT, Kind.UNSURE):
        # "@bot look at this <link to the alert>": the linked message is the alert.
        digits = linked.group("ts")
        return _linked_alert(intake, linked.group("channel"), f"{digits[:10]}.{digits[10:]}", delivery, note)
    if verdict.kind is Kind.STATUS:
        return _status(intake, event.channel, event.ts, delivery, note)
    recheck = verdict.kind is Kind.UNSURE and intake.llm_enabled
    if not recheck and should_investigate(verdict, addressed=True).kind is not Kind.ALERT:
        return _chatter(intake, event.channel, delivery, note, thread=event.ts)
    text = plain_slack_text(event.full_text())
    return _alert_message(intake, event.channel, event.ts, delivery, text, addressed=True, recheck=recheck)


def _linked_alert(intake: Intake, channel: str, ts: str, delivery: str | None, note: str) -> Outcome:
    """A message the mention points at (its thread's parent, or a permalink) is the alert; the
    mention is an operator note."""
    subject = keys.message("slack", channel, ts)
    alert = intake.new_alert(
        Platform.SLACK, channel, subject, thread_id=ts, operator_notes=(note,) if note else ()
    )
    job = InvestigateJob(alert=alert, chat="slack", addressed=True, fetch_message=ts)
    return intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=intake.settings.dedup_window_seconds,
            delivery_key=delivery,
            duplicate_reply=ALREADY,
        )
    )


def _status(intake: Intake, channel: str, ts: str, delivery: str | None, question: str) -> Outcome:
    """ "Is prod ok?": a snapshot of the estate, answered in the question's thread."""
    subject = keys.snapshot("slack", channel)
    alert = intake.new_alert(Platform.SLACK, channel, subject, text=question, thread_id=ts, mode="snapshot")
    job = InvestigateJob(alert=alert, chat="slack", addressed=True)
    return intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=SNAPSHOT_WINDOW_SECONDS,
            delivery_key=delivery,
            duplicate_reply=SNAPSHOT_BUSY,
        )
    )


def _chatter(intake: Intake, channel: str, delivery: str | None, note: str, *, thread: str) -> Outcome:
    if not intake.gate.first_delivery(delivery):
        return Outcome.DUPLICATE_DELIVERY
    reply = chatter_reply(note, reaction=intake.settings.trigger_reaction)
    intake.gate.submit(
        ReplyJob(chat="slack", channel=channel, text=reply, thread_id=thread),
        claims=(delivery,) if delivery else (),
    )
    return Outcome.REPLIED


def _reaction(intake: Intake, event: SlackEvent, delivery: str | None) -> Outcome:
    item = event.item
    if (event.reaction or "").strip(":") != intake.settings.trigger_reaction or item is None:
        return Outcome.IGNORED
    if item.type != "message" or not item.channel or not item.ts:
        return Outcome.IGNORED
    subject = keys.message("slack", item.channel, item.ts)
    alert = intake.new_alert(Platform.SLACK, item.channel, subject, thread_id=item.ts)
    job = InvestigateJob(alert=alert, chat="slack", addressed=True, fetch_message=item.ts)
    return intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=intake.settings.dedup_window_seconds,
            delivery_key=delivery,
        )
    )


def commands(intake: Intake, request: WebhookRequest) -> WebhookResponse:
    _verified(intake, request)
    require_media_type(request, "application/x-www-form-urlencoded")
    command = parse_slash_command(request.body)
    if command.command.strip() != SNAPSHOT_COMMAND:
        return WebhookResponse.json(
            200, {"response_type": "ephemeral", "text": f"I only know {SNAPSHOT_COMMAND}."}
        )
    subject = keys.snapshot("slack", command.channel_id)
    alert = intake.new_alert(
        Platform.SLACK, command.channel_id, subject, text=command.text.strip(), mode="snapshot"
    )
    response_url = command.response_url or ""
    job = InvestigateJob(
        alert=alert,
        chat="slack",
        addressed=True,
        # The bot starts the snapshot's thread: when it cannot post in this channel, the snapshot
        # goes back through the command's response_url instead (see `Worker`).
        root_text=SNAPSHOT_ROOT.format(who=f"<@{command.user_id}>" if command.user_id else "someone"),
        response_url=response_url if response_url.startswith(intake.settings.response_url_prefix) else None,
    )
    delivery = keys.delivery("slack-command", command.trigger_id) if command.trigger_id else None
    outcome = intake.gate.admit(
        Candidate(
            job=job, subject_keys=(subject,), subject_ttl=SNAPSHOT_WINDOW_SECONDS, delivery_key=delivery
        )
    )
    if outcome is Outcome.STARTED:
        # Only for the person who asked: the channel sees the bot's snapshot thread (named after
        # them), or the snapshot itself through response_url.
        seconds = round(intake.settings.snapshot_deadline_seconds) + SNAPSHOT_MARGIN_SECONDS
        return WebhookResponse.json(
            200, {"response_type": "ephemeral", "text": SNAPSHOT_ACK.format(seconds=seconds)}
        )
    return WebhookResponse.json(200, {"response_type": "ephemeral", "text": SNAPSHOT_BUSY})
