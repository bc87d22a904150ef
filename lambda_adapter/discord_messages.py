"""Discord channel messages, as the Gateway listener hands them in (`sre-on-call discord-gateway`).

Discord delivers channel messages to a bot only over its Gateway websocket; the listener holds that
connection and hands each message here as `{"sre_on_call_discord_message": {...}}` (a direct,
IAM-authenticated Lambda invocation: no public endpoint), with the message exactly as Discord sent
it (the Gateway's MESSAGE_CREATE, or the REST history the listener reads after a reconnect: the
same object). What starts an investigation, by the Slack route's rules:

- a post by a webhook (Alertmanager's and Grafana's Discord integrations) or another bot in one of
  `intake.discord_gateway.alert_channels`: an alert when it reads as one (a positive verdict, or the
  model tier's when unsure), as Slack's bot messages;
- any message that mentions the bot: the message is the alert, addressed to us (chatter gets a
  one-line reply in its thread);
- a person's message without a mention, our own messages, system messages: nothing.

Dedup: the delivery is the message id (`delivery:discord-message:<id>`; the Gateway's replays after
a resume and the listener's history catch-up deliver the same id again), the subject the message
(`msg:discord:<channel>:<id>`, the key the "Investigate" message command claims too), then the
re-post and storm rules every route shares (`Gate`).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from lambda_adapter import keys
from lambda_adapter.classify import Kind, chatter_reply, classify, should_investigate
from lambda_adapter.dispatch import Retryable
from lambda_adapter.events import Payload
from lambda_adapter.gate import Candidate, Outcome
from lambda_adapter.jobs import InvestigateJob, ReplyJob
from lambda_adapter.settings import SNAPSHOT_BUSY, SNAPSHOT_WINDOW_SECONDS
from shared.chat.text import discord_message_text
from shared.contracts import Platform

if TYPE_CHECKING:
    from lambda_adapter.core import Intake

logger = logging.getLogger(__name__)

EVENT_KEY = "sre_on_call_discord_message"
DELIVERY_SOURCE = "discord-message"
# Message types a person or an integration writes; the rest are system messages (thread created,
# member joined, pins ...).
DEFAULT, REPLY = 0, 19
ALREADY = "I am already investigating this alert in this thread; I will not start a second investigation."
_SNOWFLAKE = re.compile(r"^\d{1,20}$")


class DiscordUser(Payload):
    id: str
    username: str = ""
    bot: bool = False


class ChannelMessage(Payload):
    """A Discord message object (Gateway MESSAGE_CREATE or REST), the fields the intake reads."""

    id: str = Field(pattern=_SNOWFLAKE.pattern)
    channel_id: str = Field(pattern=_SNOWFLAKE.pattern)
    guild_id: str | None = None
    type: int = DEFAULT
    content: str = ""
    author: DiscordUser
    webhook_id: str | None = None
    embeds: list[dict[str, Any]] = Field(default_factory=list)
    mentions: list[DiscordUser] = Field(default_factory=list)

    def mentions_user(self, user_id: str) -> bool:
        if any(m.id == user_id for m in self.mentions):
            return True
        return f"<@{user_id}>" in self.content or f"<@!{user_id}>" in self.content

    @property
    def automated(self) -> bool:
        """Posted by a webhook or a bot: an alert source (people must mention the bot)."""
        return self.webhook_id is not None or self.author.bot

    def text(self, bot_user_id: str) -> str:
        """What a person reads (content, then the embeds' titles, descriptions and fields), without
        the mention of the bot."""
        content = self.content.replace(f"<@!{bot_user_id}>", "").replace(f"<@{bot_user_id}>", "")
        return discord_message_text(content.strip(), self.embeds)


class ThreadOf(Payload):
    """The message was written in a thread: its parent channel, and whether the thread was started
    from a message of that channel (the thread's id is then that message's id)."""

    parent_id: str = Field(pattern=_SNOWFLAKE.pattern)
    from_message: bool = False


class MessageDelivery(Payload):
    """What the listener hands in: the message, who the bot is, whether the channel is one of
    the configured alert channels (the listener's config says so), and the thread it is in."""

    message: ChannelMessage
    bot_user_id: str = Field(pattern=_SNOWFLAKE.pattern)
    alert_channel: bool = False
    thread: ThreadOf | None = None
    via: str = "gateway"  # gateway | history


def accept(intake: Intake, event: Any) -> dict[str, Any]:
    """Decide one handed-in message; never raises. `retry` tells the listener to hand it in again
    later (the dedup store or the hand-off failed, and whatever was claimed was released)."""
    try:
        delivery = MessageDelivery.model_validate(event)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        return {"outcome": "refused", "retry": False, "error": f"{where}: {first['msg']}"[:300]}
    try:
        outcome = handle(intake, delivery)
    except Retryable as e:
        return {"outcome": "failed", "retry": True, "error": str(e)[:300]}
    except Exception as e:
        logger.exception(
            "message=<%s>, error=<%s> | the intake failed", delivery.message.id, type(e).__name__
        )
        return {"outcome": "failed", "retry": True, "error": "internal error"}
    return {"outcome": outcome.value, "retry": False}


def handle(intake: Intake, delivery: MessageDelivery) -> Outcome:
    message, bot = delivery.message, delivery.bot_user_id
    if message.author.id == bot or message.type not in (DEFAULT, REPLY):
        return Outcome.IGNORED  # our own reports mention severities too
    addressed = message.mentions_user(bot)
    if not addressed and not (message.automated and delivery.alert_channel):
        return Outcome.IGNORED  # a person talking in a channel: people address the bot by mention
    text = message.text(bot)
    thread = delivery.thread
    verdict = classify(text, in_thread=thread is not None and thread.from_message)
    delivery_key = keys.delivery(DELIVERY_SOURCE, message.id)
    if addressed and thread is not None and thread.from_message:
        # In the thread of a message: that message is the alert, this one a note about it.
        if verdict.kind in (Kind.CHATTER, Kind.RESOLVED) and text:
            return _chatter(intake, message, delivery_key, text, in_thread=True)
        return _thread_mention(intake, message, thread.parent_id, delivery_key, text)
    if addressed and verdict.kind is Kind.STATUS:
        return _status(intake, message, delivery_key, text)
    recheck = verdict.kind is Kind.UNSURE and intake.llm_enabled
    decided = should_investigate(verdict, addressed=addressed)
    if not recheck and decided.kind is not Kind.ALERT:
        if not addressed:
            return Outcome.IGNORED
        return _chatter(intake, message, delivery_key, text, in_thread=thread is not None)
    logger.info(
        "message=<%s>, channel=<%s>, via=<%s>, addressed=<%s>, verdict=<%s> | discord message taken",
        message.id,
        message.channel_id,
        delivery.via,
        addressed,
        verdict.reason,
    )
    return _alert_message(
        intake,
        message,
        delivery_key,
        text,
        addressed=addressed,
        recheck=recheck,
        in_thread=thread is not None,
    )


def _alert_message(
    intake: Intake,
    message: ChannelMessage,
    delivery: str,
    text: str,
    *,
    addressed: bool,
    recheck: bool,
    in_thread: bool = False,
) -> Outcome:
    # Inside a thread the report goes to that thread (Discord threads do not nest).
    return intake.admit_posted_alert(
        Platform.DISCORD,
        message.channel_id,
        message.id,
        text,
        thread_id=None if in_thread else message.id,
        delivery=delivery,
        addressed=addressed,
        recheck=recheck,
    )


def _status(intake: Intake, message: ChannelMessage, delivery: str, question: str) -> Outcome:
    """ "@bot is prod ok?": a snapshot of the estate, answered in the question's thread (as on Slack)."""
    subject = keys.snapshot("discord", message.channel_id)
    alert = intake.new_alert(
        Platform.DISCORD, message.channel_id, subject, text=question, thread_id=message.id, mode="snapshot"
    )
    job = InvestigateJob(alert=alert, chat="discord", addressed=True)
    return intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=SNAPSHOT_WINDOW_SECONDS,
            delivery_key=delivery,
            duplicate_reply=SNAPSHOT_BUSY,
        )
    )


def _thread_mention(
    intake: Intake, message: ChannelMessage, parent: str, delivery: str, note: str
) -> Outcome:
    """A mention in the thread of message M of `parent`: investigate M (read back from the channel)
    with the mention as an operator note; when M is already under investigation, one line in the
    thread says so."""
    starter = message.channel_id  # a thread started from a message has that message's id
    subject = keys.message("discord", parent, starter)
    notes = (note,) if note else ()
    alert = intake.new_alert(Platform.DISCORD, parent, subject, thread_id=starter, operator_notes=notes)
    job = InvestigateJob(alert=alert, chat="discord", addressed=True, fetch_message=starter)
    return intake.gate.admit(
        Candidate(
            job=job,
            subject_keys=(subject,),
            subject_ttl=intake.settings.dedup_window_seconds,
            delivery_key=delivery,
            duplicate_reply=ALREADY,
        )
    )


def _chatter(
    intake: Intake, message: ChannelMessage, delivery: str, note: str, *, in_thread: bool = False
) -> Outcome:
    if not intake.gate.first_delivery(delivery):
        return Outcome.DUPLICATE_DELIVERY
    reply = chatter_reply(note, reaction=intake.settings.trigger_reaction)
    thread = None if in_thread else message.id  # in a thread: answer in it
    intake.gate.submit(
        ReplyJob(chat="discord", channel=message.channel_id, text=reply, thread_id=thread),
        claims=(delivery,),
    )
    return Outcome.REPLIED
