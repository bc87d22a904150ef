"""Block Kit limits Slack enforces on chat.postMessage / chat.update (api.slack.com/reference/
block-kit/blocks), so a renderer that breaks one fails against the stand-in as it would for real.
Problems are worded like Slack's `invalid_blocks` messages, with a json-pointer to the place."""

from __future__ import annotations

from typing import Any

MAX_TEXT = 40_000  # chat.postMessage `text`
MAX_BLOCKS = 50
_SECTION_TEXT = 3000
_SECTION_FIELDS = 10
_FIELD_TEXT = 2000
_HEADER_TEXT = 150
_CONTEXT_ELEMENTS = 10
_ACTIONS_ELEMENTS = 25
_BLOCK_ID = 255
_BUTTON_TEXT = 75
_BUTTON_VALUE = 2000
_KNOWN = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
    "table",
}


def _text_of(obj: Any) -> str | None:
    if (
        isinstance(obj, dict)
        and obj.get("type") in ("plain_text", "mrkdwn")
        and isinstance(obj.get("text"), str)
    ):
        return str(obj["text"])
    return None


def _too_long(path: str, limit: int) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{path}]"


def block_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Why Slack would refuse `blocks`; empty when it would accept them."""
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        at = f"/blocks/{i}"
        kind = block.get("type")
        if kind not in _KNOWN:
            problems.append(f"unsupported type: {kind} [json-pointer:{at}/type]")
            continue
        if len(str(block.get("block_id", ""))) > _BLOCK_ID:
            problems.append(_too_long(f"{at}/block_id", _BLOCK_ID))
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                problems.append(f"must provide either text or fields [json-pointer:{at}]")
            value = _text_of(text)
            if text is not None and value is None:
                problems.append(f"failed to match all allowed schemas [json-pointer:{at}/text]")
            elif value is not None and not 1 <= len(value) <= _SECTION_TEXT:
                problems.append(_too_long(f"{at}/text/text", _SECTION_TEXT))
            if fields is not None:
                if len(fields) > _SECTION_FIELDS:
                    problems.append(
                        f"no more than {_SECTION_FIELDS} items allowed [json-pointer:{at}/fields]"
                    )
                for j, field in enumerate(fields):
                    field_text = _text_of(field)
                    if field_text is None or len(field_text) > _FIELD_TEXT:
                        problems.append(_too_long(f"{at}/fields/{j}/text", _FIELD_TEXT))
        elif kind == "header":
            value = _text_of(block.get("text"))
            if value is None or (block.get("text") or {}).get("type") != "plain_text":
                problems.append(f"must be a plain_text object [json-pointer:{at}/text]")
            elif len(value) > _HEADER_TEXT:
                problems.append(_too_long(f"{at}/text/text", _HEADER_TEXT))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= _CONTEXT_ELEMENTS:
                problems.append(f"must have 1 to {_CONTEXT_ELEMENTS} items [json-pointer:{at}/elements]")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= _ACTIONS_ELEMENTS:
                problems.append(f"must have 1 to {_ACTIONS_ELEMENTS} items [json-pointer:{at}/elements]")
            for j, element in enumerate(elements):
                label = _text_of(element.get("text")) if isinstance(element, dict) else None
                if label is None or not 1 <= len(label) <= _BUTTON_TEXT:
                    problems.append(_too_long(f"{at}/elements/{j}/text/text", _BUTTON_TEXT))
                elif len(str(element.get("value", ""))) > _BUTTON_VALUE:
                    problems.append(_too_long(f"{at}/elements/{j}/value", _BUTTON_VALUE))
                elif len(str(element.get("action_id", ""))) > _BLOCK_ID:
                    problems.append(_too_long(f"{at}/elements/{j}/action_id", _BLOCK_ID))
    return problems
