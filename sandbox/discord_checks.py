"""The limits Discord's REST API enforces on a message payload (discord.com/developers/docs/
resources/message#create-message, .../embed#embed-limits), answered with Discord's error shapes:
`{"message": "Invalid Form Body", "code": 50035, "errors": {<field>: {"_errors": [...]}}}`."""

from __future__ import annotations

from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
_EMBED_LIMITS = {"title": 256, "description": 4096}
_FIELD_LIMITS = {"name": 256, "value": 1024}
_MAX_FIELDS = 25
_FOOTER, _AUTHOR = 2048, 256

INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006


def _error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _max_length(limit: int) -> dict[str, Any]:
    return _error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def invalid_form_body(errors: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Invalid Form Body", "code": INVALID_FORM_BODY, "errors": errors}


def _embed_errors(embed: Any) -> tuple[dict[str, Any], int]:
    """Errors of one embed, and the characters it counts towards the 6000 total."""
    if not isinstance(embed, dict):
        return _error("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"), 0
    errors: dict[str, Any] = {}
    total = 0
    for key, limit in _EMBED_LIMITS.items():
        text = str(embed.get(key) or "")
        total += len(text)
        if len(text) > limit:
            errors[key] = _max_length(limit)
    fields = embed.get("fields") or []
    if len(fields) > _MAX_FIELDS:
        errors["fields"] = _max_length(_MAX_FIELDS)
    for i, item in enumerate(fields):
        for key, limit in _FIELD_LIMITS.items():
            text = str((item or {}).get(key) or "")
            total += len(text)
            if not text:
                errors.setdefault("fields", {}).setdefault(str(i), {})[key] = _error(
                    "BASE_TYPE_REQUIRED", "This field is required"
                )
            elif len(text) > limit:
                errors.setdefault("fields", {}).setdefault(str(i), {})[key] = _max_length(limit)
    footer = str((embed.get("footer") or {}).get("text") or "")
    author = str((embed.get("author") or {}).get("name") or "")
    total += len(footer) + len(author)
    if len(footer) > _FOOTER:
        errors["footer"] = {"text": _max_length(_FOOTER)}
    if len(author) > _AUTHOR:
        errors["author"] = {"name": _max_length(_AUTHOR)}
    return errors, total


def message_problems(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Discord's 400 body for a create/edit-message payload it would refuse; None when fine."""
    errors: dict[str, Any] = {}
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        errors["content"] = _error("BASE_TYPE_STRING", "Must be a string.")
    elif isinstance(content, str) and len(content) > MAX_CONTENT:
        errors["content"] = _max_length(MAX_CONTENT)
    embeds = payload.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            errors["embeds"] = _error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        elif len(embeds) > MAX_EMBEDS:
            errors["embeds"] = _max_length(MAX_EMBEDS)
        else:
            total = 0
            for i, embed in enumerate(embeds):
                found, size = _embed_errors(embed)
                total += size
                if found:
                    errors.setdefault("embeds", {})[str(i)] = found
            if total > MAX_EMBED_TOTAL and "embeds" not in errors:
                errors["embeds"] = _error(
                    "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}"
                )
    return invalid_form_body(errors) if errors else None


def is_empty(payload: dict[str, Any]) -> bool:
    return not any(
        payload.get(k) for k in ("content", "embeds", "sticker_ids", "components", "attachments", "poll")
    )


EMPTY_MESSAGE_BODY = {"message": "Cannot send an empty message", "code": EMPTY_MESSAGE}
