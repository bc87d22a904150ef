"""The text a person sees in a chat message, wherever the sender put it: one implementation for the
intake's webhook payloads and for messages read back from the platforms' APIs.

Alert bots often post an empty `text` and put the alert in Slack attachments or blocks, or in
Discord embeds; reading only `text`/`content` would investigate an empty message. Pure functions
over plain dicts (no SDK imports: the intake's cold start loads this).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_ATTACHMENT_KEYS = ("pretext", "author_name", "title", "text", "fallback", "footer")
# What Slack (or a sender) puts where a message has no text of its own: never alert text.
PLACEHOLDERS = frozenset({"[no preview available]", "This content can't be displayed."})


def slack_message_text(text: str, attachments: Iterable[Any] = (), blocks: Iterable[Any] = ()) -> str:
    """`text`, then the blocks' texts, then each attachment's pretext, title, text, fields, blocks
    (Robusta and Uptime Kuma build attachments from blocks) and fallback; a part already shown (a
    fallback repeating the title, blocks repeating `text`) once, and Slack's placeholders never."""
    parts: list[str] = []
    _add(parts, text)
    for block in blocks:
        for found in _block_texts(block):
            _add(parts, found)
    for attachment in attachments:
        if not isinstance(attachment, dict):
            continue
        for key in _ATTACHMENT_KEYS[:-2]:
            _add(parts, attachment.get(key))
        for field in attachment.get("fields") or []:
            if isinstance(field, dict):
                _add(parts, _field(field.get("title"), field.get("value")))
        for block in attachment.get("blocks") or []:
            for found in _block_texts(block):
                _add(parts, found)
        for key in _ATTACHMENT_KEYS[-2:]:
            _add(parts, attachment.get(key))
    return "\n".join(parts).strip()


def discord_message_text(content: str, embeds: Iterable[Any] = ()) -> str:
    """`content`, then each embed's author, title, description, fields (name: value) and footer."""
    parts: list[str] = []
    _add(parts, content)
    for embed in embeds:
        if not isinstance(embed, dict):
            continue
        author = embed.get("author")
        _add(parts, author.get("name") if isinstance(author, dict) else None)
        for key in ("title", "description"):
            _add(parts, embed.get(key))
        for field in embed.get("fields") or []:
            if isinstance(field, dict):
                _add(parts, _field(field.get("name"), field.get("value")))
        footer = embed.get("footer")
        _add(parts, footer.get("text") if isinstance(footer, dict) else None)
    return "\n".join(parts).strip()


def _field(name: Any, value: Any) -> str | None:
    name = name if isinstance(name, str) else ""
    value = value if isinstance(value, str) else ""
    if not (name or value):
        return None
    return f"{name}: {value}" if name and value else name or value


def _add(parts: list[str], value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or value.strip() in PLACEHOLDERS:
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
        if not isinstance(element, dict) or element.get("type") in ("button", "image"):
            continue  # a button's label ("Silence", "Investigate") is not the alert
        inner = element.get("text")
        if isinstance(inner, str):
            found.append(inner)
    return found
