"""The report as Slack messages: Block Kit blocks plus a text that says the same thing.

Slack's limits (api.slack.com/reference/block-kit): 50 blocks per message, 3000 characters per
section text, 150 per header, 10 elements per context block, 40000 per message text. A report that
does not fit one message is split across several, in order; the `text` of each message is its
blocks' mrkdwn joined, so the notification, the fallback and `posted_text` all carry the full
content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contracts import IncidentReport
from shared.render.document import Document, build_document
from shared.render.escape import code_text, slack_escape, slack_plain
from shared.render.layout import Formatter, format_line, format_lines, pack, size

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT = 40_000
# Headroom under each limit: a line plus its heading must fit a section.
LINE_LIMIT = MAX_SECTION - 200
TEXT_BUDGET = MAX_TEXT - 1000

SLACK = Formatter(
    text=slack_escape,
    bold=lambda s: f"*{slack_escape(s)}*",
    code=lambda s: f"`{code_text(s).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}`",
    link=lambda label, url: f"<{url}|{slack_escape(label)}>",
    expansion=5,  # `&` -> `&amp;`
)


@dataclass(frozen=True)
class SlackPart:
    """One chat message: its text, and its Block Kit blocks (None for a text-only platform)."""

    text: str
    blocks: list[dict[str, Any]] | None = field(default=None)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _header(title: str) -> dict[str, Any]:
    text = slack_plain(" ".join(title.split())) or "Incident report"
    if size(text) > MAX_HEADER:
        text = text[: MAX_HEADER - 2].rstrip() + "…"
        while size(text) > MAX_HEADER:
            text = text[:-2] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _blocks(doc: Document) -> list[tuple[dict[str, Any], str]]:
    """Every block with the mrkdwn it contributes to the message text."""
    blocks = [(_header(doc.title), f"*{slack_escape(' '.join(doc.title.split()))}*")]
    for section in doc.sections:
        heading = f"*{slack_escape(section.heading)}*"
        lines = [heading, *format_lines(section.lines, SLACK, LINE_LIMIT)]
        for chunk in pack(lines, MAX_SECTION):
            blocks.append((_section(chunk), chunk))
    # A context block holds at most 10 elements: a footer longer than that goes on in sections.
    pieces = format_line(doc.footer, SLACK, MAX_SECTION)
    elements = [{"type": "mrkdwn", "text": piece} for piece in pieces[:MAX_CONTEXT_ELEMENTS]]
    blocks.append(({"type": "divider"}, ""))
    blocks.append(({"type": "context", "elements": elements}, "\n".join(e["text"] for e in elements)))
    for chunk in pack(pieces[MAX_CONTEXT_ELEMENTS:], MAX_SECTION):
        blocks.append((_section(chunk), chunk))
    return blocks


def render_slack(report: IncidentReport) -> list[SlackPart]:
    """The report as one or more Slack messages, each within Slack's block and text limits."""
    parts: list[SlackPart] = []
    blocks: list[dict[str, Any]] = []
    texts: list[str] = []
    used = 0
    for block, text in _blocks(build_document(report)):
        extra = size(text) + 1
        if blocks and (len(blocks) >= MAX_BLOCKS or used + extra > TEXT_BUDGET):
            parts.append(SlackPart("\n".join(t for t in texts if t), blocks))
            blocks, texts, used = [], [], 0
        blocks.append(block)
        texts.append(text)
        used += extra
    if blocks:
        parts.append(SlackPart("\n".join(t for t in texts if t), blocks))
    return parts
