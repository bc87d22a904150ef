"""The Discord stand-in's guild: channels, threads (a thread started from a message has that
message's id), messages with snowflake ids from their times, users; serialised as REST v10
returns them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.chat_base import FakeChannel, FakeMessage

DISCORD_EPOCH_MS = 1_420_070_400_000
GUILD_TEXT, PUBLIC_THREAD = 0, 11
DEFAULT, REPLY, THREAD_STARTER = 0, 19, 21
HAS_THREAD = 1 << 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def snowflake(at: datetime, seq: int = 0) -> int:
    """`((ms - Discord epoch) << 22) | seq`: the id Discord gives something created at `at`."""
    ms = (at - _EPOCH) // timedelta(milliseconds=1)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (seq & 0x3FFFFF)


def snowflake_time(value: int) -> datetime:
    return datetime.fromtimestamp(((value >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass
class DiscordMessage:
    id: int
    channel_id: str
    author: str
    content: str
    at: datetime
    bot: bool = False
    type: int = DEFAULT
    embeds: list[dict[str, Any]] = field(default_factory=list)
    reference: dict[str, str] | None = None
    edited_at: datetime | None = None
    webhook_id: str | None = None
    flags: int = 0
    components: list[dict[str, Any]] = field(default_factory=list)
    # Files posted with the message: the API's attachment objects, and their bytes by attachment id.
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class DiscordChannel:
    id: str
    name: str
    type: int = GUILD_TEXT
    parent_id: str | None = None
    owner_id: str | None = None
    created: datetime | None = None
    messages: dict[int, DiscordMessage] = field(default_factory=dict)
    sent: int = 0  # messages ever sent in a thread (its message_count)


class Guild:
    """All state, guarded by `lock`."""

    def __init__(self, guild_id: str, bot_user: str, bot_name: str) -> None:
        self.lock = threading.RLock()
        self.guild_id = guild_id
        self.bot_user = bot_user
        self.bot_name = bot_name
        self.channels: dict[str, DiscordChannel] = {}
        self.users: dict[str, str] = {}
        self._used: set[int] = set()

    def load(self, channels: Iterable[FakeChannel], users: dict[str, str] | None) -> None:
        with self.lock:
            self.channels.clear()
            self._used.clear()
            self.users = {self.bot_user: self.bot_name, **(users or {})}
            for channel in channels:
                self.add_channel(channel)

    def add_channel(self, channel: FakeChannel) -> DiscordChannel:
        with self.lock:
            stored = DiscordChannel(channel.id, channel.name)
            self.channels[channel.id] = stored
            for message in sorted(channel.messages, key=lambda m: m.at):
                self.add(channel.id, message)
            return stored

    def allocate(self, at: datetime) -> int:
        value = snowflake(at)
        while value in self._used:
            value += 1
        self._used.add(value)
        return value

    def allocate_now(self) -> tuple[int, datetime]:
        """An id for something created now, later than every id handed out so far."""
        now = datetime.now(UTC)
        value = max(snowflake(now), max(self._used, default=0) + 1)
        self._used.add(value)
        return value, now

    def add(self, channel_id: str, message: FakeMessage) -> int:
        """A scenario message (its replies become its thread); its id."""
        with self.lock:
            channel = self.channels[channel_id]
            stored = DiscordMessage(
                self.allocate(message.at), channel.id, message.user, message.text, message.at
            )
            stored.bot = message.bot
            channel.messages[stored.id] = stored
            if message.replies:
                first = min(message.replies, key=lambda r: r.at)
                thread = self.start_thread(
                    channel, stored, message.text[:100] or "thread", first.user, first.at
                )
                for reply in sorted(message.replies, key=lambda r: r.at):
                    self.add_to_thread(thread, reply)
            return stored.id

    def add_to_thread(self, thread: DiscordChannel, reply: FakeMessage) -> None:
        stored = DiscordMessage(
            self.allocate(reply.at), thread.id, reply.user, reply.text, reply.at, reply.bot
        )
        thread.messages[stored.id] = stored
        thread.sent += 1

    def start_thread(
        self, parent: DiscordChannel, message: DiscordMessage, name: str, owner: str, at: datetime
    ) -> DiscordChannel:
        """A public thread from `message`: its id is the message's; its first message is the
        thread-starter system message pointing back at `message`."""
        thread = DiscordChannel(str(message.id), name, PUBLIC_THREAD, parent.id, owner, at)
        thread.messages[message.id] = DiscordMessage(
            message.id,
            thread.id,
            message.author,
            "",
            message.at,
            type=THREAD_STARTER,
            reference={"channel_id": parent.id, "message_id": str(message.id), "guild_id": self.guild_id},
        )
        self.channels[thread.id] = thread
        message.flags |= HAS_THREAD
        return thread

    def find(self, channel_id: str, message_id: str) -> DiscordMessage | None:
        channel = self.channels.get(channel_id)
        if channel is None or not message_id.isdigit():
            return None
        return channel.messages.get(int(message_id))

    # ------------------------------------------------------------------ wire format

    def user_json(self, user_id: str, bot: bool = False) -> dict[str, Any]:
        name = self.users.get(user_id) or user_id
        body: dict[str, Any] = {
            "id": user_id,
            "username": name.lower().replace(" ", "_")[:32],
            "avatar": None,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "global_name": self.users.get(user_id),
        }
        if bot or user_id == self.bot_user:
            body["bot"] = True
        return body

    def known_user(self, user_id: str) -> bool:
        return user_id in self.users or any(
            m.author == user_id for c in self.channels.values() for m in c.messages.values()
        )

    def channel_json(self, channel: DiscordChannel) -> dict[str, Any]:
        last = max((m for m in channel.messages if channel.messages[m].type != THREAD_STARTER), default=None)
        body: dict[str, Any] = {
            "id": channel.id,
            "type": channel.type,
            "guild_id": self.guild_id,
            "name": channel.name,
            "last_message_id": str(last) if last is not None else None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if channel.type == GUILD_TEXT:
            ordered = [c.id for c in self.channels.values() if c.type == GUILD_TEXT]
            body.update(position=ordered.index(channel.id), parent_id=None, topic=None, nsfw=False)
            body["permission_overwrites"] = []
            return body
        created = channel.created or datetime.now(UTC)
        body.update(
            parent_id=channel.parent_id,
            owner_id=channel.owner_id,
            message_count=channel.sent,
            total_message_sent=channel.sent,
            member_count=len({m.author for m in channel.messages.values()}),
            thread_metadata={
                "archived": False,
                "archive_timestamp": iso(created),
                "auto_archive_duration": 1440,
                "locked": False,
                "create_timestamp": iso(created),
            },
        )
        return body

    def message_json(self, message: DiscordMessage, *, nested: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": message.type,
            "content": message.content,
            "mentions": [],
            "mention_roles": [],
            "attachments": message.attachments,
            "embeds": message.embeds,
            "timestamp": iso(message.at),
            "edited_timestamp": iso(message.edited_at) if message.edited_at else None,
            "flags": message.flags,
            "components": message.components,
            "id": str(message.id),
            "channel_id": message.channel_id,
            "author": self.user_json(message.author, message.bot),
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
        }
        if message.webhook_id:
            body["webhook_id"] = message.webhook_id
        if message.reference is not None:
            body["message_reference"] = {"type": 0, **message.reference}
            referenced = self.find(message.reference["channel_id"], message.reference["message_id"])
            if not nested:
                body["referenced_message"] = (
                    self.message_json(referenced, nested=True) if referenced else None
                )
        thread = self.channels.get(str(message.id))
        if thread is not None and thread.type == PUBLIC_THREAD and message.type != THREAD_STARTER:
            body["thread"] = self.channel_json(thread)
        return body
