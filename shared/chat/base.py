"""The `ChatPlatform` seam: one protocol, one module per platform (slack.py, discord.py).

Calls are synchronous (slack_sdk's WebClient is); async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class ChatMessage(BaseModel):
    """A message as read from a channel or thread, normalised across platforms."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str  # Slack `ts`, Discord snowflake
    channel: str
    user: str | None = None
    user_name: str | None = None
    bot: bool = False
    text: str = ""
    at: datetime
    thread_id: str | None = None  # the parent's id when this is a reply (Slack thread_ts)
    reply_count: int = 0
    permalink: str | None = None


class HistoryPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    messages: tuple[ChatMessage, ...] = ()
    next_cursor: str | None = None  # None when there is nothing more


class ChatPlatform(Protocol):
    """What the master and the chat scanners need from Slack or Discord."""

    name: str  # "slack" | "discord"

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """Post a message (in `thread_id`'s thread when given); return the new message's id."""
        ...

    def history(
        self,
        channel: str,
        *,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> HistoryPage:
        """One page of channel history between `oldest` and `latest`, newest first."""
        ...

    def replies(
        self, channel: str, thread_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> HistoryPage:
        """One page of a thread's replies, oldest first (the parent excluded)."""
        ...

    def user_name(self, user_id: str) -> str:
        """Display name of a user (cached); the id itself when it cannot be resolved."""
        ...

    def channel_name(self, channel_id: str) -> str:
        """Name of a channel (cached); the id itself when it cannot be resolved."""
        ...

    def channel_id(self, channel: str) -> str:
        """The id of a channel given by id or by name (`#deploys`), which reading needs: the APIs
        accept only ids. Cached; a name that cannot be resolved raises `SourceError`."""
        ...

    def permalink(self, channel: str, message_id: str) -> str:
        """A link a person can click to open the message."""
        ...
