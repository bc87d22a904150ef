"""A `ChatPlatform` that posts nowhere: for an investigation asked over A2A in plain text, whose
report goes back to the caller as the task's artifact, not to a chat channel."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from shared.chat.base import HistoryPage


class NowhereChat:
    name = "a2a"

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        return f"a2a-{next(self._ids)}"

    def history(
        self,
        channel: str,
        *,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> HistoryPage:
        return HistoryPage()

    def replies(
        self, channel: str, thread_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> HistoryPage:
        return HistoryPage()

    def user_name(self, user_id: str) -> str:
        return user_id

    def channel_name(self, channel_id: str) -> str:
        return channel_id

    def channel_id(self, channel: str) -> str:
        return channel

    def permalink(self, channel: str, message_id: str) -> str:
        return ""
