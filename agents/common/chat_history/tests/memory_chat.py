"""An in-memory `ChatPlatform` for tests: channels, threads, users; history pages newest first with
an opaque cursor, replies oldest first, as the Slack and Discord clients return them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.chat.base import ChatMessage, HistoryPage
from shared.errors import SourceError

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


@dataclass
class MemoryChat:
    name: str = "slack"
    channels: dict[str, str] = field(default_factory=dict)  # id -> name
    messages: dict[str, list[ChatMessage]] = field(default_factory=dict)
    threads: dict[tuple[str, str], list[ChatMessage]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def add(
        self, channel: str, name: str, *rows: tuple[int, str, str] | tuple[int, str, str, dict[str, Any]]
    ) -> None:
        """Rows of (minutes before NOW, user, text[, extra fields]); a user starting with B is a bot."""
        self.channels[channel] = name
        for row in rows:
            minutes, user, text = row[0], row[1], row[2]
            extra = row[3] if len(row) > 3 else {}  # type: ignore[misc]
            at = NOW - timedelta(minutes=minutes)
            message = ChatMessage(
                id=extra.get("id", f"{at.timestamp():.6f}"),
                channel=channel,
                user=user,
                bot=user.startswith("B"),
                text=text,
                at=at,
                reply_count=extra.get("reply_count", 0),
            )
            self.messages.setdefault(channel, []).append(message)

    def reply(self, channel: str, parent: str, minutes: int, user: str, text: str) -> None:
        at = NOW - timedelta(minutes=minutes)
        self.threads.setdefault((channel, parent), []).append(
            ChatMessage(
                id=f"{at.timestamp():.6f}", channel=channel, user=user, text=text, at=at, thread_id=parent
            )
        )

    def post(self, channel: str, text: str, *, thread_id: str | None = None, blocks: Any = None) -> str:
        raise AssertionError("a scanner must never post")

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
        if channel in self.forbidden or channel not in self.channels:
            code = "not_in_channel" if channel in self.channels else "channel_not_found"
            raise SourceError(f"{self.name} conversations.history: {code}")
        rows = sorted(
            (
                m
                for m in self.messages.get(channel, [])
                if (oldest is None or m.at >= oldest) and (latest is None or m.at <= latest)
            ),
            key=lambda m: m.at,
            reverse=True,
        )
        start = int(cursor or 0)
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return HistoryPage(messages=tuple(page), next_cursor=str(start + limit) if more else None)

    def replies(
        self, channel: str, thread_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> HistoryPage:
        self.calls.append(("replies", (channel, thread_id)))
        rows = self.threads.get((channel, thread_id), [])
        start = int(cursor or 0)
        more = start + limit < len(rows)
        return HistoryPage(
            messages=tuple(rows[start : start + limit]), next_cursor=str(start + limit) if more else None
        )

    def user_name(self, user_id: str) -> str:
        self.calls.append(("user_name", user_id))
        return self.users.get(user_id, user_id)

    def channel_name(self, channel_id: str) -> str:
        return self.channels.get(channel_id, channel_id)

    def channel_id(self, channel: str) -> str:
        """An id as is; a name (`#deploys`) looked up, as conversations.list would."""
        if channel in self.channels:
            return channel
        self.calls.append(("channel_id", channel))
        name = channel.lstrip("#")
        found = next((cid for cid, n in self.channels.items() if n == name), None)
        if found is None:
            raise SourceError(f"{self.name} conversations.list: no channel named #{name}")
        return found

    def permalink(self, channel: str, message_id: str) -> str:
        self.calls.append(("permalink", message_id))
        return f"https://example.slack.com/archives/{channel}/p{message_id.replace('.', '')}"
