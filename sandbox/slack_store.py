"""The Slack stand-in's workspace: channels, messages with their threads, users, and message
`ts` values, serialised the way the Web API returns them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.chat_base import FakeChannel, FakeMessage

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "Sandbox"
TEAM_DOMAIN = "sandbox"
APP_ID = "A0SANDBOX"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts_text(us: int) -> str:
    """A Slack `ts` ("1732311600.000100") for a time in microseconds since the epoch."""
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def micros_of(at: datetime) -> int:
    """Exact microseconds since the epoch of an aware time (no float rounding)."""
    return (at - _EPOCH) // timedelta(microseconds=1)


def ts_micros(text: str) -> int:
    """Microseconds for a `ts`; raises ValueError for anything that is not one."""
    seconds, _, fraction = text.strip().partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a Slack ts: {text!r}")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


def bot_id_for(user: str) -> str:
    return "B" + user[1:] if user.startswith(("U", "W")) else "B" + user


@dataclass
class SlackMessage:
    us: int
    user: str
    text: str
    bot: bool = False
    blocks: list[dict[str, Any]] | None = None
    parent: int | None = None  # the thread's parent ts (µs) when this is a reply
    # Legacy attachments, as Alertmanager's Slack notifications carry the alert (with an empty text).
    attachments: list[dict[str, Any]] | None = None
    replies: list[int] = field(default_factory=list)  # sorted
    edited: tuple[str, int] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    # chat.postMessage's `metadata` ({"event_type", "event_payload"}), returned with
    # `include_all_metadata`.
    metadata: dict[str, Any] | None = None


@dataclass
class SlackChannel:
    id: str
    name: str
    created: int
    messages: dict[int, SlackMessage] = field(default_factory=dict)
    top: list[int] = field(default_factory=list)  # top-level message ts (µs), sorted


class Workspace:
    """All state, guarded by `lock` (handlers hold it for the whole request)."""

    def __init__(self, bot_user: str, bot_name: str) -> None:
        self.lock = threading.RLock()
        self.bot_user = bot_user
        self.bot_name = bot_name
        self.channels: dict[str, SlackChannel] = {}
        self.users: dict[str, str] = {}
        self._used: set[int] = set()
        self._last_post = 0

    def load(self, channels: Iterable[FakeChannel], users: dict[str, str] | None) -> None:
        with self.lock:
            self.channels.clear()
            self._used.clear()
            self.users = {self.bot_user: self.bot_name, **(users or {})}
            for channel in channels:
                self.add_channel(channel)

    def add_channel(self, channel: FakeChannel) -> SlackChannel:
        with self.lock:
            created = min((int(m.at.timestamp()) for m in channel.messages), default=int(time.time()))
            self.channels[channel.id] = SlackChannel(channel.id, channel.name, created - 86_400)
            for message in sorted(channel.messages, key=lambda m: m.at):
                self.add(channel.id, message)
            return self.channels[channel.id]

    def channel(self, key: str) -> SlackChannel | None:
        """By id, or by name (with or without "#"), as chat.postMessage accepts."""
        if key in self.channels:
            return self.channels[key]
        name = key.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def _allocate(self, us: int) -> int:
        while us in self._used:
            us += 1
        self._used.add(us)
        return us

    def add(self, channel_id: str, message: FakeMessage, parent: int | None = None) -> int:
        """Add a scenario message (and its replies); its ts, unique, from its time."""
        with self.lock:
            channel = self.channels[channel_id]
            us = self._allocate(micros_of(message.at))
            stored = SlackMessage(us, message.user, message.text, message.bot, parent=parent)
            self._store(channel, stored)
            for reply in sorted(message.replies, key=lambda m: m.at):
                self.add(channel_id, reply, parent=us)
            return us

    def find_same(self, channel_id: str, at: datetime, user: str, text: str) -> int | None:
        us = micros_of(at)
        channel = self.channels[channel_id]
        for stored in channel.messages.values():
            if stored.user == user and stored.text == text and abs(stored.us - us) < 1_000:
                return stored.us
        return None

    def post(
        self,
        channel: SlackChannel,
        text: str,
        blocks: list[dict[str, Any]] | None,
        parent: int | None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        """A message from the app's bot user, now: its ts is later than every ts handed out so far."""
        now = int(time.time() * 1_000_000)
        us = self._allocate(max(now, self._last_post + 100, max(self._used, default=0) + 1))
        self._last_post = us
        message = SlackMessage(us, self.bot_user, text, True, blocks, parent=parent, metadata=metadata)
        self._store(channel, message)
        return us

    def _store(self, channel: SlackChannel, message: SlackMessage) -> None:
        channel.messages[message.us] = message
        if message.parent is None:
            channel.top.append(message.us)
            channel.top.sort()
            return
        parent = channel.messages.get(message.parent)
        if parent is not None:
            parent.replies.append(message.us)
            parent.replies.sort()
        # A reply to a ts that is no message is kept (Slack accepts it) but shows nowhere.

    def root_of(self, channel: SlackChannel, us: int) -> int:
        message = channel.messages.get(us)
        return message.parent if message is not None and message.parent is not None else us

    # ------------------------------------------------------------------ wire format

    def user_json(self, user_id: str) -> dict[str, Any]:
        name = self.users.get(user_id, "")
        is_bot = user_id == self.bot_user
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            # The handle; a user the scenario names nowhere keeps their id rather than an invented one.
            "name": name.lower().replace(" ", ".") if name else user_id,
            "deleted": False,
            "real_name": name,
            "tz": "Etc/UTC",
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {"real_name": name, "display_name": name, "team": TEAM_ID},
        }

    def known_user(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        return any(m.user == user_id for c in self.channels.values() for m in c.messages.values())

    def message_json(
        self, channel: SlackChannel, message: SlackMessage, *, with_metadata: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "message",
            "ts": ts_text(message.us),
            "text": message.text,
            "team": TEAM_ID,
        }
        body["user"] = message.user
        if message.bot:
            # How a bot user's message looks (chat.postMessage with a bot token): user + bot_id.
            bot_id = bot_id_for(message.user)
            name = self.users.get(message.user) or message.user
            body["bot_id"] = bot_id
            body["app_id"] = APP_ID if message.user == self.bot_user else "A" + bot_id[1:]
            body["bot_profile"] = {"id": bot_id, "name": name, "app_id": body["app_id"], "team_id": TEAM_ID}
        if message.blocks:
            body["blocks"] = message.blocks
        if with_metadata and message.metadata:
            body["metadata"] = message.metadata
        if message.attachments:
            body["attachments"] = message.attachments
        if message.edited is not None:
            body["edited"] = {"user": message.edited[0], "ts": ts_text(message.edited[1])}
        if message.parent is not None:
            body["thread_ts"] = ts_text(message.parent)
            parent = channel.messages.get(message.parent)
            if parent is not None:
                body["parent_user_id"] = parent.user
        elif message.replies:
            repliers = list(dict.fromkeys(channel.messages[r].user for r in message.replies))
            body.update(
                thread_ts=ts_text(message.us),
                reply_count=len(message.replies),
                reply_users_count=len(repliers),
                latest_reply=ts_text(message.replies[-1]),
                reply_users=repliers[:5],
                is_locked=False,
                subscribed=False,
            )
        if message.reactions:
            body["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in message.reactions.items()
            ]
        return body

    def channel_json(self, channel: SlackChannel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": False,
            "is_archived": False,
            "is_general": False,
            "is_member": True,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": channel.created,
            "creator": "",
            "context_team_id": TEAM_ID,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "num_members": len({m.user for m in channel.messages.values()} | {self.bot_user}),
        }
