"""The Discord REST v10 endpoints the stand-in answers, over a `Guild`. Each handler takes the
path parameters, the query and the JSON body, and returns (HTTP status, body)."""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.chat_base import Post
from sandbox.discord_checks import EMPTY_MESSAGE_BODY, invalid_form_body, is_empty, message_problems
from sandbox.discord_store import (
    PUBLIC_THREAD,
    REPLY,
    DiscordChannel,
    DiscordMessage,
    Guild,
)

Answer = tuple[int, Any]
Handler = Callable[[dict[str, str], dict[str, str], Any], Answer]

SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, LOADING = 1 << 2, 1 << 12, 1 << 7
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
UNKNOWN_CHANNEL = (404, {"message": "Unknown Channel", "code": 10003})
# Where a multipart message's files ride in its body to `create_message` (never a JSON key).
FILES_KEY = "\0files"
UNKNOWN_MESSAGE = (404, {"message": "Unknown Message", "code": 10008})
UNKNOWN_USER = (404, {"message": "Unknown User", "code": 10013})
UNKNOWN_GUILD = (404, {"message": "Unknown Guild", "code": 10004})


def _field_error(field: str, code: str, message: str) -> Answer:
    return 400, invalid_form_body({field: {"_errors": [{"code": code, "message": message}]}})


def _snowflake_param(query: dict[str, str], key: str) -> int | Answer | None:
    raw = query.get(key)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        return _field_error(key, "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    return int(raw)


@dataclass
class Interaction:
    channel_id: str | None = None
    original: DiscordMessage | None = None


class DiscordRoutes:
    """(method, path regex, handler) for every endpoint; `public` ones need no bot token."""

    def __init__(self, guild: Guild, record: Callable[[Post], None]) -> None:
        self.guild = guild
        self.record = record
        self.interactions: dict[str, Interaction] = {}
        self.table: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        for method, path, handler, public in (
            ("GET", r"/channels/(?P<channel>[^/]+)", self.get_channel, False),
            ("GET", r"/channels/(?P<channel>[^/]+)/messages", self.list_messages, False),
            ("POST", r"/channels/(?P<channel>[^/]+)/messages", self.create_message, False),
            ("GET", r"/channels/(?P<channel>[^/]+)/messages/(?P<message>[^/]+)", self.get_message, False),
            ("PATCH", r"/channels/(?P<channel>[^/]+)/messages/(?P<message>[^/]+)", self.edit_message, False),
            (
                "POST",
                r"/channels/(?P<channel>[^/]+)/messages/(?P<message>[^/]+)/threads",
                self.start_thread,
                False,
            ),
            ("GET", r"/users/(?P<user>[^/]+)", self.get_user, False),
            ("GET", r"/guilds/(?P<guild>[^/]+)", self.get_guild, False),
            ("GET", r"/guilds/(?P<guild>[^/]+)/channels", self.guild_channels, False),
            ("POST", r"/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)", self.followup, True),
            ("GET", r"/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)/messages/@original", self.get_original, True),
            (
                "PATCH",
                r"/webhooks/(?P<app>[^/]+)/(?P<token>[^/]+)/messages/@original",
                self.edit_original,
                True,
            ),
            ("POST", r"/interactions/(?P<id>[^/]+)/(?P<token>[^/]+)/callback", self.callback, True),
        ):
            self.table.append((method, re.compile(f"^{path}$"), handler, public))

    # ------------------------------------------------------------------ channels and messages

    def get_channel(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        channel = self.guild.channels.get(params["channel"])
        return (200, self.guild.channel_json(channel)) if channel else UNKNOWN_CHANNEL

    def list_messages(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        """Newest first: the `limit` messages before `before` (default: the latest), right after
        `after`, or around `around`."""
        channel = self.guild.channels.get(params["channel"])
        if channel is None:
            return UNKNOWN_CHANNEL
        raw_limit = query.get("limit") or "50"
        if not raw_limit.lstrip("-").isdigit():
            return _field_error("limit", "NUMBER_TYPE_COERCE", f'Value "{raw_limit}" is not int.')
        limit = int(raw_limit)
        if not 1 <= limit <= 100:
            code = "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN"
            bound = "less than or equal to 100" if limit > 100 else "greater than or equal to 1"
            return _field_error("limit", code, f"int value should be {bound}.")
        bounds: dict[str, int | None] = {}
        for key in ("around", "before", "after"):
            value = _snowflake_param(query, key)
            if isinstance(value, tuple):
                return value
            bounds[key] = value
        ids = sorted(channel.messages)
        if bounds["around"] is not None:
            centre = bisect_left(ids, bounds["around"])
            start = max(0, min(centre - limit // 2, len(ids) - limit))
            chosen = ids[start : start + limit]
        elif bounds["before"] is None and bounds["after"] is not None:
            chosen = [i for i in ids if i > bounds["after"]][:limit]
        else:
            before = bounds["before"]
            chosen = [i for i in ids if before is None or i < before][-limit:]
        return 200, [self.guild.message_json(channel.messages[i]) for i in reversed(chosen)]

    def get_message(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        if params["channel"] not in self.guild.channels:
            return UNKNOWN_CHANNEL
        message = self.guild.find(params["channel"], params["message"])
        return (200, self.guild.message_json(message)) if message else UNKNOWN_MESSAGE

    def create_message(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        channel = self.guild.channels.get(params["channel"])
        if channel is None:
            return UNKNOWN_CHANNEL
        files = body.pop(FILES_KEY, {}) if isinstance(body, dict) else {}
        refused = self._payload_error(body)
        if refused is not None:
            return refused
        message, error = self._new_message(channel, body)
        if error is not None:
            return error
        assert message is not None
        self._attach(message, body.get("attachments") or [], files)
        self._record(f"POST /channels/{channel.id}/messages", channel, message)
        return 200, self.guild.message_json(message)

    def _attach(
        self, message: DiscordMessage, listed: list[Any], files: dict[int, tuple[str, str, bytes]]
    ) -> None:
        """The files of a multipart message, described by its `attachments` (id n is `files[n]`)."""
        for item in listed:
            if not isinstance(item, dict) or int(item.get("id", -1)) not in files:
                continue
            filename, content_type, data = files[int(item["id"])]
            attachment_id = str(self.guild.allocate_now()[0])
            name = str(item.get("filename") or filename)
            message.attachments.append(
                {
                    "id": attachment_id,
                    "filename": name,
                    "description": str(item.get("description") or ""),
                    "content_type": content_type,
                    "size": len(data),
                    "url": f"https://cdn.discordapp.com/attachments/{message.channel_id}/{attachment_id}/{name}",
                }
            )
            message.files[attachment_id] = data

    def _payload_error(self, body: Any) -> Answer | None:
        if not isinstance(body, dict):
            return 400, {"message": "The request body contains invalid JSON.", "code": 50109}
        problems = message_problems(body)
        if problems is not None:
            return 400, problems
        if is_empty(body):
            return 400, EMPTY_MESSAGE_BODY
        return None

    def _new_message(
        self, channel: DiscordChannel, body: dict[str, Any]
    ) -> tuple[DiscordMessage | None, Answer | None]:
        reference = None
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            ref_channel = str(ref.get("channel_id") or channel.id)
            if self.guild.find(ref_channel, str(ref["message_id"])) is not None:
                reference = {
                    "channel_id": ref_channel,
                    "message_id": str(ref["message_id"]),
                    "guild_id": self.guild.guild_id,
                }
            elif ref.get("fail_if_not_exists", True):
                return None, _field_error(
                    "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
        message_id, now = self.guild.allocate_now()
        message = DiscordMessage(
            message_id,
            channel.id,
            self.guild.bot_user,
            str(body.get("content") or ""),
            now,
            bot=True,
            type=REPLY if reference else 0,
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            reference=reference,
            flags=int(body.get("flags") or 0) & (SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS),
        )
        channel.messages[message.id] = message
        if channel.type == PUBLIC_THREAD:
            channel.sent += 1
        return message, None

    def edit_message(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        channel = self.guild.channels.get(params["channel"])
        if channel is None:
            return UNKNOWN_CHANNEL
        message = self.guild.find(channel.id, params["message"])
        if message is None:
            return UNKNOWN_MESSAGE
        if message.author != self.guild.bot_user:
            return 403, {"message": "Cannot edit a message authored by another user", "code": 50005}
        if not isinstance(body, dict):
            return 400, {"message": "The request body contains invalid JSON.", "code": 50109}
        problems = message_problems(body)
        if problems is not None:
            return 400, problems
        self._apply_edit(message, body)
        self._record(f"PATCH /channels/{channel.id}/messages/{message.id}", channel, message)
        return 200, self.guild.message_json(message)

    def _apply_edit(self, message: DiscordMessage, body: dict[str, Any]) -> None:
        if "content" in body:
            message.content = str(body.get("content") or "")
        if "embeds" in body:
            message.embeds = list(body.get("embeds") or [])
        message.flags &= ~LOADING
        message.edited_at = self.guild.allocate_now()[1]

    def start_thread(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        channel = self.guild.channels.get(params["channel"])
        if channel is None:
            return UNKNOWN_CHANNEL
        if channel.type == PUBLIC_THREAD:
            return 400, {"message": "Cannot execute action on this channel type", "code": 50024}
        message = self.guild.find(channel.id, params["message"])
        if message is None:
            return UNKNOWN_MESSAGE
        if str(message.id) in self.guild.channels:
            return 400, {"message": "A thread has already been created for this message", "code": 160004}
        body = body if isinstance(body, dict) else {}
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            return _field_error("name", "BASE_TYPE_REQUIRED", "This field is required")
        if len(name) > 100:
            return _field_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if body.get("auto_archive_duration", 1440) not in ARCHIVE_DURATIONS:
            return _field_error(
                "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."
            )
        thread = self.guild.start_thread(
            channel, message, name, self.guild.bot_user, self.guild.allocate_now()[1]
        )
        return 201, self.guild.channel_json(thread)

    # ------------------------------------------------------------------ users and guild

    def get_user(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        user = self.guild.bot_user if params["user"] == "@me" else params["user"]
        if self.guild.known_user(user):
            return 200, self.guild.user_json(user)
        if not user.isdigit():
            return _field_error("user_id", "NUMBER_TYPE_COERCE", f'Value "{user}" is not snowflake.')
        return UNKNOWN_USER

    def get_guild(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        if params["guild"] != self.guild.guild_id:
            return UNKNOWN_GUILD
        return 200, {
            "id": self.guild.guild_id,
            "name": "Sandbox",
            "icon": None,
            "owner_id": self.guild.bot_user,
            "roles": [],
            "emojis": [],
            "features": [],
        }

    def guild_channels(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        if params["guild"] != self.guild.guild_id:
            return UNKNOWN_GUILD
        channels = [c for c in self.guild.channels.values() if c.type != PUBLIC_THREAD]
        return 200, [self.guild.channel_json(c) for c in channels]

    # ------------------------------------------------------------------ interactions

    def _interaction(self, token: str) -> Interaction:
        return self.interactions.setdefault(token, Interaction())

    def _interaction_message(
        self, interaction: Interaction, app: str, body: dict[str, Any], flags: int = 0
    ) -> DiscordMessage:
        channel = self.guild.channels.get(interaction.channel_id or "")
        message_id, now = self.guild.allocate_now()
        message = DiscordMessage(
            message_id,
            channel.id if channel else (interaction.channel_id or ""),
            self.guild.bot_user,
            str(body.get("content") or ""),
            now,
            bot=True,
            embeds=list(body.get("embeds") or []),
            webhook_id=app,
            flags=flags,
        )
        if channel is not None:
            channel.messages[message.id] = message
            if channel.type == PUBLIC_THREAD:
                channel.sent += 1
        return message

    def followup(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        refused = self._payload_error(body)
        if refused is not None:
            return refused
        message = self._interaction_message(self._interaction(params["token"]), params["app"], body)
        self._record(f"POST /webhooks/{params['app']}/-", None, message)
        return 200, self.guild.message_json(message)

    def get_original(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        original = self._interaction(params["token"]).original
        return (200, self.guild.message_json(original)) if original else UNKNOWN_MESSAGE

    def edit_original(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        if not isinstance(body, dict):
            return 400, {"message": "The request body contains invalid JSON.", "code": 50109}
        problems = message_problems(body)
        if problems is not None:
            return 400, problems
        interaction = self._interaction(params["token"])
        if interaction.original is None:
            interaction.original = self._interaction_message(interaction, params["app"], {})
        self._apply_edit(interaction.original, body)
        self._record(f"PATCH /webhooks/{params['app']}/-/messages/@original", None, interaction.original)
        return 200, self.guild.message_json(interaction.original)

    def callback(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        body = body if isinstance(body, dict) else {}
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in (1, 4, 5, 6, 7, 9):
            return _field_error("type", "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 9}.")
        interaction = self._interaction(params["token"])
        if kind in (4, 5) and interaction.original is None:
            loading = LOADING if kind == 5 else 0
            interaction.original = self._interaction_message(interaction, params["id"], data, loading)
            if kind == 4:
                self._record(f"POST /interactions/{params['id']}/-/callback", None, interaction.original)
        return 204, None

    def _record(self, method: str, channel: DiscordChannel | None, message: DiscordMessage) -> None:
        channel = channel or self.guild.channels.get(message.channel_id)
        self.record(
            Post(
                method=method,
                channel=message.channel_id,
                text=message.content,
                ts=str(message.id),
                time=time.time(),
                thread_ts=channel.id if channel is not None and channel.type == PUBLIC_THREAD else None,
                embeds=message.embeds or None,
            )
        )
