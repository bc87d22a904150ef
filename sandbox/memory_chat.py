"""`MemoryChat`, the one in-memory `ChatPlatform` of the tests and the benchmark: channels with names,
threads, users; history pages newest first behind an opaque cursor and replies oldest first, as the
Slack and Discord clients return them; posts recorded in `posted`; a call log in `calls`.

Seeding, two ways: `add` puts one message with its id (what the intake reads back), `seed` puts rows
of (minutes before `now`, user, text) in a named channel (what a chat scanner reads), `reply` a reply
in a thread. Failing, three ways: `refuse` fails every post as the platform would, `read_only` fails
any post at all (a scanner must never post), `forbidden` channels cannot be read (`not_in_channel`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.chat.base import ChatMessage, HistoryPage
from shared.errors import SourceError

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # what `seed`'s and `reply`'s minutes count back from

# (minutes before now, user, text) or with a mapping of extra fields: `id`, `reply_count`.
Row = tuple[float, str, str] | tuple[float, str, str, Mapping[str, Any]]


@dataclass
class Posted:
    channel: str
    text: str
    thread_id: str | None
    id: str


class MemoryChat:
    """A `ChatPlatform` in memory. Messages live in `messages` by channel id, a thread's replies among
    them with their `thread_id` (kept out of the channel's history, as on Slack); `channels` maps
    ids to names, `users` ids to display names."""

    def __init__(
        self,
        name: str = "slack",
        messages: Mapping[str, Iterable[ChatMessage]] | None = None,
        *,
        channels: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        forbidden: Iterable[str] = (),
        read_only: bool = False,
        now: datetime = NOW,
    ) -> None:
        self.name = name
        self.messages: dict[str, list[ChatMessage]] = {k: list(v) for k, v in (messages or {}).items()}
        self.channels: dict[str, str] = dict(channels or {})
        self.users: dict[str, str] = dict(users or {})
        self.forbidden: set[str] = set(forbidden)
        self.read_only = read_only
        self.now = now
        self.posted: list[Posted] = []
        # Every read (and post attempt) as (method, arguments), for tests of what was asked and how often.
        self.calls: list[tuple[str, Any]] = []
        # An error every post fails with: a Slack error code (`not_in_channel`: the bot is not a
        # member), or Discord's JSON error code (`50001`: Missing Access) as Discord answers it.
        self.refuse: str | int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # Seeding

    def add(
        self,
        channel: str,
        message_id: str,
        text: str,
        *,
        bot: bool = True,
        at: datetime | None = None,
        thread_id: str | None = None,
        user: str | None = None,
        reply_count: int = 0,
    ) -> ChatMessage:
        """Seed a message; with `thread_id`, a reply in that thread (not in the channel's history)."""
        message = ChatMessage(
            id=message_id,
            channel=channel,
            user=user,
            bot=bot,
            text=text,
            at=at or datetime.now(UTC),
            thread_id=thread_id,
            reply_count=reply_count,
        )
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return message

    def seed(self, channel: str, name: str, *rows: Row) -> list[ChatMessage]:
        """Name `channel` and seed it with rows of (minutes before `now`, user, text[, extra fields]);
        a user whose id starts with B is a bot. A message's id is its time as a Slack ts unless the
        extra fields give one."""
        self.channels[channel] = name
        seeded = []
        for row in rows:
            minutes, user, text = row[0], row[1], row[2]
            extra: Mapping[str, Any] = row[3] if len(row) > 3 else {}  # type: ignore[misc]
            at = self.now - timedelta(minutes=minutes)
            seeded.append(
                self.add(
                    channel,
                    extra.get("id", _ts(at)),
                    text,
                    bot=user.startswith("B"),
                    at=at,
                    user=user,
                    reply_count=extra.get("reply_count", 0),
                )
            )
        return seeded

    def reply(self, channel: str, parent: str, minutes: float, user: str, text: str) -> ChatMessage:
        """Seed a reply by `user` in the thread of `parent`, `minutes` before `now`."""
        at = self.now - timedelta(minutes=minutes)
        return self.add(channel, _ts(at), text, bot=user.startswith("B"), at=at, thread_id=parent, user=user)

    # The ChatPlatform protocol

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        self.calls.append(("post", (channel, thread_id)))
        if self.read_only:
            raise AssertionError(f"{self.name} chat is read-only here: a scanner must never post")
        if isinstance(self.refuse, int):
            from shared.chat.discord import DiscordApiError

            status = 404 if self.refuse == 10003 else 403
            raise DiscordApiError(
                f"discord POST /channels/{channel}/messages: HTTP {status} (code {self.refuse})",
                status=status,
                code=self.refuse,
            )
        if self.refuse:
            raise SourceError(f"{self.name} chat.postMessage: {self.refuse}")
        with self._lock:
            number = next(self._ids)
            message_id = f"{1_800_000_000 + number}.000100" if self.name == "slack" else str(10**18 + number)
            self.posted.append(Posted(channel, text, thread_id, message_id))
        return message_id

    def history(
        self,
        channel: str,
        *,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> HistoryPage:
        self.calls.append(("history", (channel, oldest, latest, limit, cursor)))
        if channel in self.forbidden:
            raise SourceError(f"{self.name} conversations.history: not_in_channel")
        found = sorted(
            (
                m
                for m in self.messages.get(channel, [])
                if m.thread_id is None
                and (oldest is None or m.at >= oldest)
                and (latest is None or m.at <= latest)
            ),
            key=lambda m: m.at,
            reverse=True,
        )
        return _page(found, limit, cursor)

    def replies(
        self, channel: str, thread_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> HistoryPage:
        self.calls.append(("replies", (channel, thread_id)))
        # As Slack does, a reply's id stands for its whole thread.
        stored = self.messages.get(channel, [])
        reply = next((m for m in stored if m.id == thread_id and m.thread_id), None)
        root = reply.thread_id if reply is not None else thread_id
        return _page(sorted((m for m in stored if m.thread_id == root), key=lambda m: m.at), limit, cursor)

    def user_name(self, user_id: str) -> str:
        self.calls.append(("user_name", user_id))
        return self.users.get(user_id, user_id)

    def channel_name(self, channel_id: str) -> str:
        return self.channels.get(channel_id, channel_id)

    def channel_id(self, channel: str) -> str:
        """A known id as is; a name (`#deploys` or `deploys`) looked up among `channels`, as
        conversations.list would; an unknown `#name` raises, anything else is taken for an id."""
        if channel in self.channels or channel in self.messages:
            return channel
        self.calls.append(("channel_id", channel))
        name = channel.lstrip("#")
        found = next((cid for cid, n in self.channels.items() if n == name), None)
        if found is not None:
            return found
        if channel.startswith("#"):
            raise SourceError(f"{self.name} conversations.list: no channel named #{name}")
        return channel

    def permalink(self, channel: str, message_id: str) -> str:
        self.calls.append(("permalink", message_id))
        if self.name == "discord":
            return f"https://discord.com/channels/@me/{channel}/{message_id}"
        return f"https://example.slack.com/archives/{channel}/p{message_id.replace('.', '')}"

    # What was posted

    def texts(self, channel: str | None = None) -> list[str]:
        return [p.text for p in self.posted if channel is None or p.channel == channel]


def _ts(at: datetime) -> str:
    return f"{at.timestamp():.6f}"


def _page(rows: list[ChatMessage], limit: int, cursor: str | None) -> HistoryPage:
    start = int(cursor or 0)
    more = start + limit < len(rows)
    return HistoryPage(
        messages=tuple(rows[start : start + limit]), next_cursor=str(start + limit) if more else None
    )
