"""One chat message of a rendered report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SlackPart:
    """One chat message: its text, and its rich layout (None for a text-only message).

    Slack: `text` is the notification and fallback text (the blocks' mrkdwn joined), `blocks` the
    Block Kit blocks. Discord: `text` is the message content, `blocks` one dict with the message's
    `embeds` and `components`, and `said` the embed and the content as text (what was posted).
    """

    text: str
    blocks: list[dict[str, Any]] | None = field(default=None)
    said: str | None = None

    @property
    def posted(self) -> str:
        return self.said if self.said is not None else self.text
