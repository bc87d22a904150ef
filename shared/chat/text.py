"""The text a person sees in a chat message, wherever the sender put it: one implementation for the
intake's webhook payloads and for messages read back from the platforms' APIs.

Alert bots often post an empty `text` and put the alert in Slack attachments or blocks, or in
Discord embeds; reading only `text`/`content` would investigate an empty message. Pure functions
over plain dicts (no SDK imports: the intake's cold start loads this).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_ATTACHMENT_KEYS = ("pretext", "title", "text", "fallback")


def slack_message_text(text: str, attachments: Iterable[Any] = (), blocks: Iterable[Any] = ()) -> str:
    """`text`, then each attachment's pretext, title, text, fallback and fields, then the blocks'
    texts; a part already shown (a fallback repeating the title, blocks repeating `text`) once."""
    parts = [text] if text else []
    for attachment in attachments:
        if not isinstance(attachment, dict):
            continue
        for key in _ATTACHMENT_KEYS:
            _add(parts, attachment.get(key))
        for field in attachment.get("fields") or []:
            if isinstance(field, dict):
                _add(parts, _field(field.get("title"), field.get("value")))
    for block in blocks:
        for found in _block_texts(block):
            _add(parts, found)
    return "\n".join(parts).strip()


def discord_message_text(content: str, embeds: Iterable[Any] = ()) -> str:
    """`content`, then each embed's title, description and fields (name: value)."""
    parts = [content] if content else []
    for embed in embeds:
        if not isinstance(embed, dict):
            continue
        for key in ("title", "description"):
            _add(parts, embed.get(key))
        for field in embed.get("fields") or []:
            if isinstance(field, dict):
                _add(parts, _field(field.get("name"), field.get("value")))
    return "\n".join(parts).strip()


def _field(name: Any, value: Any) -> str | None:
    name = name if isinstance(name, str) else ""
    value = value if isinstance(value, str) else ""
    if not (name or value):
        return None
    return f"{name}: {value}" if name and value else name or value


def _add(parts: list[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        return
    folded = " ".join(value.split())
    if any(folded in " ".join(part.split()) for part in parts):
        return
    parts.append(value)


def _block_texts(block: Any) -> list[str]:
    if not isinstance(block, dict) or block.get("type") == "rich_text":
        return []  # rich_text repeats the message text
    found = []
    text = block.get("text")
    if isinstance(text, dict) and isinstance(text.get("text"), str):
        found.append(text["text"])
    for element in list(block.get("fields") or []) + list(block.get("elements") or []):
        if isinstance(element, dict) and isinstance(element.get("text"), str):
            found.append(element["text"])
    return found
