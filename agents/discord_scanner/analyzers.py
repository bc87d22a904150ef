"""Discord-specific reading of messages: its markup, and its system and bot chatter.

The analysis itself is shared with Slack (`agents.common.chat_history.analyze`); what differs is how a
Discord message is written (`<@123>`, `<@&role>`, `<#123>`, `<:emoji:123>`, `<t:1700000000:R>`,
`**bold**`, `||spoilers||`, code blocks) and which messages are noise.
"""

from __future__ import annotations

import re

from agents.common.chat_history.analyze import analyze
from agents.common.chat_history.code import clean_outside_code
from shared.alerts.alert_text import clean_chat_text
from shared.chat.base import ChatMessage

__all__ = ["analyze", "clean", "is_noise"]

_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)
_CODE_FENCE = re.compile(r"```(?:[a-z]+\n)?")
_SYSTEM = re.compile(
    r"^(?:welcome|joined the server|pinned a message|started a thread|boosted the server)|"
    r"^(?:reminder:\s*)?standup\b",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """Discord markdown to plain words."""
    text = _SPOILER.sub(r"\1", text)

    def words(part: str) -> str:
        return clean_chat_text(_CODE_FENCE.sub("", part).replace("__", ""))[0]

    return clean_outside_code(text, words).strip()


def is_noise(message: ChatMessage, text: str) -> bool:
    return bool(_SYSTEM.search(text))
