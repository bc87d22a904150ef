"""Reading chat history through a `ChatPlatform`, bounded: pages per channel, threads per scan, and the
scan's time budget. Names and permalinks are cached for the scan, so each is asked for once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from agents.common.base import Budget
from shared.chat.base import ChatMessage, ChatPlatform
from shared.errors import SourceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    page_size: int = 200
    pages_per_channel: int = 5
    threads: int = 8
    pages_per_thread: int = 2


@dataclass
class ChannelRead:
    channel: str
    messages: list[ChatMessage] = field(default_factory=list)  # oldest first
    complete: bool = True  # False when the page limit or the budget cut the read short
    error: str | None = None


class HistoryReader:
    """One scan's reads from one platform."""

    def __init__(self, platform: ChatPlatform, budget: Budget, limits: Limits | None = None) -> None:
        self.platform = platform
        self.budget = budget
        self.limits = limits or Limits()
        self._users: dict[str, str] = {}
        self._channels: dict[str, str] = {}
        self._links: dict[tuple[str, str], str] = {}
        self.threads_read = 0
        self.threads_skipped = 0  # threads not read: past the thread limit or the budget

    def channel(self, channel: str, oldest: datetime, latest: datetime) -> ChannelRead:
        """Top-level messages of `channel` between `oldest` and `latest`, following the cursor."""
        read = ChannelRead(channel)
        cursor: str | None = None
        for _ in range(self.limits.pages_per_channel):
            if self.budget.expired():
                read.complete = False
                break
            try:
                page = self.platform.history(
                    channel, oldest=oldest, latest=latest, limit=self.limits.page_size, cursor=cursor
                )
            except SourceError as e:
                read.error = str(e)
                read.complete = False
                break
            read.messages.extend(m for m in page.messages if oldest <= m.at <= latest)
            cursor = page.next_cursor
            if not cursor:
                break
        else:
            read.complete = cursor is None
        read.messages = sorted({m.id: m for m in read.messages}.values(), key=lambda m: (m.at, m.id))
        return read

    def thread(self, channel: str, thread_id: str) -> list[ChatMessage]:
        """Replies to `thread_id` (oldest first), within the thread and page limits; [] past them."""
        if self.threads_read >= self.limits.threads or self.budget.expired():
            self.threads_skipped += 1
            return []
        self.threads_read += 1
        replies: list[ChatMessage] = []
        cursor: str | None = None
        for _ in range(self.limits.pages_per_thread):
            try:
                page = self.platform.replies(channel, thread_id, limit=100, cursor=cursor)
            except SourceError as e:
                logger.debug("channel=<%s>, thread=<%s>, error=<%s> | thread not read", channel, thread_id, e)
                break
            replies.extend(page.messages)
            cursor = page.next_cursor
            if not cursor or self.budget.expired():
                break
        return replies

    def user_name(self, message: ChatMessage) -> str:
        if message.user_name:
            return message.user_name
        if not message.user:
            return "someone"
        if message.user not in self._users:
            self._users[message.user] = self.platform.user_name(message.user)
        return self._users[message.user]

    def channel_name(self, channel: str) -> str:
        if channel not in self._channels:
            self._channels[channel] = self.platform.channel_name(channel)
        return self._channels[channel]

    def permalink(self, message: ChatMessage) -> str:
        if message.permalink:
            return message.permalink
        key = (message.channel, message.id)
        if key not in self._links:
            self._links[key] = self.platform.permalink(message.channel, message.id)
        return self._links[key]
