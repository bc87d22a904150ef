"""Discord interactions (`/discord/interactions`): PING, `/sre-snapshot`, `/investigate`, and the
"Investigate" message command (how an alert a bot posted in a channel reaches us: Discord
delivers channel messages only over the Gateway websocket, which a webhook intake cannot hold).

`/investigate` with a question about the state of things ("is prod ok?") takes a snapshot; with
"help" or a greeting it answers in one line, only for the person who asked.

Commands are answered at once with a deferred response (type 5, "thinking..."); the job then
completes it with a line saying where the report will appear. `/sre-snapshot` starts with the bot's
own message in the channel (the snapshot's thread); when the bot cannot post there, the snapshot
itself comes back through the interaction's webhook instead (see `Worker`), as Slack's does
through the slash command's response_url.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lambda_adapter import actions, keys
from lambda_adapter.classify import Kind, chatter_reply, classify
from lambda_adapter.events import (
    APPLICATION_COMMAND,
    MESSAGE_COMMAND,
    PING,
    DiscordInteraction,
    parse_discord_interaction,
)
from lambda_adapter.gate import Candidate, Outcome
from lambda_adapter.jobs import InteractionRef, InvestigateJob
from lambda_adapter.settings import SNAPSHOT_BUSY, SNAPSHOT_WINDOW_SECONDS
from lambda_adapter.verify import verify_discord
from lambda_adapter.webhook import WebhookRequest, WebhookResponse, require_media_type
from shared.contracts import Platform
from shared.errors import BadRequest, Unauthorized

if TYPE_CHECKING:
    from lambda_adapter.core import Intake

logger = logging.getLogger(__name__)

MESSAGE_COMPONENT = 3
PONG = {"type": 1}
DEFERRED = {"type": 5}
EPHEMERAL = 64
TEXT_OPTIONS = ("alert", "text", "message")
# Discord shows a mention without pinging anyone: every post sets `allowed_mentions: {parse: []}`.
SNAPSHOT_ROOT = (
    "\N{CAMERA WITH FLASH} Snapshot of the estate, requested by {who}: the report follows in this thread."
)


def _message(text: str) -> dict[str, Any]:
    return {"type": 4, "data": {"content": text, "flags": EPHEMERAL}}


def interactions(intake: Intake, request: WebhookRequest) -> WebhookResponse:
    headers = request.headers
    if not verify_discord(
        intake.settings.secrets.discord_public_key,
        request.body,
        headers.get("x-signature-timestamp"),
        headers.get("x-signature-ed25519"),
        now=intake.clock(),
    ):
        raise Unauthorized("invalid or stale Discord signature")
    require_media_type(request, "application/json")
    interaction = parse_discord_interaction(request.body)
    if interaction.type == PING:
        return WebhookResponse.json(200, PONG)
    if interaction.type == MESSAGE_COMPONENT:  # a click on one of the report's buttons
        return actions.discord_component(intake, request.body)
    if interaction.type != APPLICATION_COMMAND or interaction.data is None:
        raise BadRequest(f"unsupported interaction type {interaction.type}")
    if not interaction.channel_id:
        raise BadRequest("the interaction names no channel_id")
    name = interaction.data.name.strip().lower()
    if interaction.data.type == MESSAGE_COMMAND and name == "investigate":
        return _investigate_message(intake, interaction, interaction.channel_id)
    if name == "investigate":
        return _investigate_text(intake, interaction, interaction.channel_id)
    if name == "sre-snapshot":
        return _snapshot(intake, interaction, interaction.channel_id)
    return WebhookResponse.json(200, _message(f"I do not know the command {interaction.data.name!r}."))


def _answer(outcome: Outcome, busy: str) -> WebhookResponse:
    if outcome in (Outcome.STARTED, Outcome.JOINED):
        return WebhookResponse.json(200, DEFERRED)
    return WebhookResponse.json(200, _message(busy))


def _ref(interaction: DiscordInteraction) -> InteractionRef | None:
    """Where the deferred answer is completed; an interaction without an application id (Discord
    always sends one, some fixtures do not) gets no follow-up."""
    if not interaction.application_id:
        return None
    return InteractionRef(application_id=interaction.application_id, token=interaction.token)


def _investigate_message(intake: Intake, interaction: DiscordInteraction, channel: str) -> WebhookResponse:
    data = interaction.data
    target = data.resolved.messages.get(data.target_id or "") if data else None
    if target is None:
        raise BadRequest("the message command carries no resolved target message")
    subject = keys.message("discord", channel, target.id)
    alert = intake.new_alert(Platform.DISCORD, channel, subject, text=target.full_text(), thread_id=target.id)
    job = InvestigateJob(alert=alert, chat="discord", addressed=True, interaction=_ref(interaction))
    outcome = intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=intake.settings.dedup_window_seconds,
            delivery_key=keys.delivery("discord", interaction.id),
        )
    )
    return _answer(outcome, "That message is already being investigated.")


def _investigate_text(intake: Intake, interaction: DiscordInteraction, channel: str) -> WebhookResponse:
    data = interaction.data
    text = next((v for v in (data.option(n) for n in TEXT_OPTIONS) if v), "") if data else ""
    text = text.strip()
    delivery = keys.delivery("discord", interaction.id)
    if not text:
        # No text: the job looks for the newest alert in the channel and claims it there.
        subject = delivery
        alert = intake.new_alert(Platform.DISCORD, channel, subject)
        job = InvestigateJob(
            alert=alert, chat="discord", addressed=True, latest_alert=True, interaction=_ref(interaction)
        )
        outcome = intake.gate.admit(Candidate(job=job, subject_keys=(), subject_ttl=0, delivery_key=delivery))
        return _answer(outcome, "Already on it.")
    verdict = classify(text)
    if verdict.kind is Kind.STATUS:
        # "/investigate is prod ok?": the snapshot, as /sre-snapshot gives it.
        return _snapshot(intake, interaction, channel, scope=text)
    if verdict.kind in (Kind.HELP, Kind.CHATTER):
        return WebhookResponse.json(
            200, _message(chatter_reply(text, reaction=intake.settings.trigger_reaction))
        )
    repost = keys.repost("discord", channel, text)
    subject = repost or keys.delivery("discord-text", interaction.id)
    alert = intake.new_alert(Platform.DISCORD, channel, subject, text=text)
    job = InvestigateJob(alert=alert, chat="discord", addressed=True, interaction=_ref(interaction))
    outcome = intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=intake.settings.dedup_window_seconds,
            delivery_key=delivery,
        )
    )
    return _answer(outcome, "That alert is already being investigated.")


def _snapshot(
    intake: Intake, interaction: DiscordInteraction, channel: str, scope: str | None = None
) -> WebhookResponse:
    subject = keys.snapshot("discord", channel)
    data = interaction.data
    if scope is None:
        scope = (data.option("scope") or data.option("text") or "") if data else ""
    alert = intake.new_alert(Platform.DISCORD, channel, subject, text=scope.strip(), mode="snapshot")
    who = f"<@{interaction.user_id}>" if interaction.user_id else "someone"
    job = InvestigateJob(
        alert=alert,
        chat="discord",
        addressed=True,
        # The bot starts the snapshot's thread: when it cannot post in this channel, the snapshot
        # goes back through the interaction's webhook instead (see `Worker`).
        root_text=SNAPSHOT_ROOT.format(who=who),
        interaction=_ref(interaction),
    )
    outcome = intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=SNAPSHOT_WINDOW_SECONDS,
            delivery_key=keys.delivery("discord", interaction.id),
        )
    )
    return _answer(outcome, SNAPSHOT_BUSY)
