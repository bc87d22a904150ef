"""Third-party webhook payloads as typed models (`extra="ignore"`: platforms add fields freely).

Parsing raises `BadRequest` with a reason a sender can act on; the core answers it with 400.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.chat.text import discord_message_text, slack_message_text
from shared.errors import BadRequest


class Payload(BaseModel):
    # Schemas are built on first use: a Slack-only deployment never builds the Discord models.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


M = TypeVar("M", bound=Payload)


# ------------------------------------------------------------------------------------------ Slack


class SlackReactionItem(Payload):
    type: str = "message"
    channel: str | None = None
    ts: str | None = None


class SlackEvent(Payload):
    """The inner `event` of an Events API callback (message, app_mention, reaction_added ...)."""

    type: str
    subtype: str | None = None
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    username: str | None = None
    text: str = ""
    ts: str | None = None
    thread_ts: str | None = None
    channel: str | None = None
    event_ts: str | None = None
    reaction: str | None = None
    item: SlackReactionItem | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    blocks: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def in_thread(self) -> bool:
        """A reply inside a thread (not the thread's parent)."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def full_text(self) -> str:
        """The text a person sees: the message text plus what bots put in attachments and blocks."""
        return slack_message_text(self.text, self.attachments, self.blocks)


class SlackAuthorization(Payload):
    user_id: str | None = None
    is_bot: bool = False


class SlackEnvelope(Payload):
    """An Events API request body: `url_verification` or `event_callback`."""

    type: str
    challenge: str | None = None
    team_id: str | None = None
    api_app_id: str | None = None
    event: SlackEvent | None = None
    event_id: str | None = None
    event_time: int | None = None
    authorizations: list[SlackAuthorization] = Field(default_factory=list)

    def bot_user_ids(self) -> set[str]:
        return {a.user_id for a in self.authorizations if a.is_bot and a.user_id}


class SlashCommand(Payload):
    command: str
    text: str = ""
    channel_id: str
    channel_name: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    team_id: str | None = None
    api_app_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None


# ---------------------------------------------------------------------------------------- Discord

PING, APPLICATION_COMMAND = 1, 2
CHAT_INPUT, MESSAGE_COMMAND = 1, 3


class DiscordOption(Payload):
    name: str
    type: int
    value: Any = None


class DiscordMessage(Payload):
    id: str
    channel_id: str | None = None
    content: str = ""
    author: dict[str, Any] = Field(default_factory=dict)
    embeds: list[dict[str, Any]] = Field(default_factory=list)

    def full_text(self) -> str:
        """Content plus embed titles, descriptions and fields (where alert bots put the alert)."""
        return discord_message_text(self.content, self.embeds)


class DiscordResolved(Payload):
    messages: dict[str, DiscordMessage] = Field(default_factory=dict)


class DiscordCommandData(Payload):
    id: str | None = None
    name: str = ""
    type: int = CHAT_INPUT
    options: list[DiscordOption] = Field(default_factory=list)
    target_id: str | None = None
    resolved: DiscordResolved = Field(default_factory=DiscordResolved)

    def option(self, name: str) -> str | None:
        for option in self.options:
            if option.name == name and option.value is not None:
                return str(option.value)
        return None


class DiscordInteraction(Payload):
    id: str
    # Discord always sends it; a PING answered without it costs nothing (discord-interactions' fixture).
    application_id: str | None = None
    type: int
    token: str = ""
    data: DiscordCommandData | None = None
    channel_id: str | None = None
    guild_id: str | None = None
    # Who ran the command: `member.user` in a guild, `user` in a DM (anything else is ignored).
    member: Any = None
    user: Any = None

    @property
    def user_id(self) -> str | None:
        member = self.member if isinstance(self.member, dict) else {}
        who = member.get("user") if isinstance(member.get("user"), dict) else self.user
        found = who.get("id") if isinstance(who, dict) else None
        return found if isinstance(found, str) and found.isdigit() else None


# ----------------------------------------------------------------------------------- Alertmanager


class AmAlert(Payload):
    status: str = "firing"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None
    # Grafana's webhook adds the query results that fired the rule (`{"B": 44.2, "C": 1}`); read
    # loosely: a malformed value costs that line of the alert text, never the alert.
    values: dict[str, Any] | None = None


# The body versions read, each on its own route: Alertmanager's (and Mimir's, Cortex's) "4" on
# `/alertmanager`; Grafana unified alerting's webhook contact point "1" on `/grafana`, the same body
# with Grafana's fields added (orgId, state, title, message; per alert values, valueString,
# dashboardURL, panelURL, silenceURL).
ALERTMANAGER_VERSION = "4"
GRAFANA_VERSION = "1"
ROUTE_OF_VERSION = {ALERTMANAGER_VERSION: "/alertmanager", GRAFANA_VERSION: "/grafana"}
SENDER_OF_VERSION = {ALERTMANAGER_VERSION: "Alertmanager", GRAFANA_VERSION: "Grafana's webhook contact point"}


class AlertmanagerWebhook(Payload):
    """Alertmanager's webhook body (version 4), or Grafana's webhook contact point's (version 1)."""

    version: str
    groupKey: str = Field(min_length=1)
    status: str
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AmAlert] = Field(default_factory=list)
    truncatedAlerts: int = 0

    def firing(self) -> list[AmAlert]:
        return [a for a in self.alerts if a.status == "firing"]


# ---------------------------------------------------------------------------------------- parsing

_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRequest(f"the body is not JSON: {e}") from e


def parse_model(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise BadRequest(f"not a valid {model.__name__}: {_reason(e)}") from e


def parse_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest("the form body is not UTF-8") from e
    try:
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=200))
    except ValueError as e:
        raise BadRequest(f"the body is not form-encoded: {e}") from e


def parse_slack_envelope(body: bytes) -> SlackEnvelope:
    return parse_model(SlackEnvelope, parse_json(body))


def parse_slash_command(body: bytes) -> SlashCommand:
    return parse_model(SlashCommand, parse_form(body))


def parse_discord_interaction(body: bytes) -> DiscordInteraction:
    return parse_model(DiscordInteraction, parse_json(body))


def parse_alertmanager(body: bytes, version: str = ALERTMANAGER_VERSION) -> AlertmanagerWebhook:
    """The body of `version`; another version is refused with the route that takes it."""
    webhook = parse_model(AlertmanagerWebhook, parse_json(body))
    if webhook.version != version:
        sender = SENDER_OF_VERSION[version]
        got = webhook.version[:20]
        where = (
            f": {SENDER_OF_VERSION[got]}'s body (version {got!r}) posts to {ROUTE_OF_VERSION[got]}"
            if got in ROUTE_OF_VERSION
            else ""
        )
        raise BadRequest(f"unsupported webhook version {got!r}, expected {version!r} ({sender}){where}")
    if webhook.status not in ("firing", "resolved"):
        raise BadRequest(f"unknown Alertmanager status {webhook.status!r}")
    return webhook


def plain_slack_text(text: str) -> str:
    """Slack mrkdwn to plain text: `<@U1>` mentions dropped, `<url|label>` shown as `label url`."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "!")):
            return ""
        if target.startswith("#"):
            return f"#{label}" if label else target
        return f"{label} {target}" if label else target

    return _SLACK_MARKUP.sub(replace, text).strip()
