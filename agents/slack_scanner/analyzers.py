"""Slack-specific reading of messages: its markup, and its bots' chatter that is never evidence.

The analysis itself is shared with Discord (`agents.common.chat_history.analyze`); what differs is how a
Slack message is written (`<@U..>`, `<#C..|name>`, `<url|text>`, `:emoji:`, `&amp;`) and which
system and bot messages are noise.
"""

from __future__ import annotations

import re

from agents.common.chat_history.analyze import analyze
from agents.common.chat_history.code import clean_outside_code
from shared.alerts.alert_text import clean_chat_text
from shared.chat.base import ChatMessage

__all__ = ["analyze", "clean", "is_noise"]

_SYSTEM = re.compile(
    r"^(?:<@\w+(?:\|[^>]*)?>\s+)?has (?:joined|left) the channel|^set the channel (?:topic|purpose)|"
    r"^(?:reminder:|<!here>|<!channel>)?\s*standup\b|^(?:shared|pinned) a (?:file|message)",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """Slack mrkdwn to plain words: mentions and emoji dropped, links to their label, entities decoded."""
    return clean_outside_code(text, lambda part: clean_chat_text(part)[0]).strip()


def is_noise(message: ChatMessage, text: str) -> bool:
    """Join/leave and topic notices, stand-up reminders: Slack's own chatter."""
    return bool(_SYSTEM.search(message.text.strip()) or _SYSTEM.search(text))
