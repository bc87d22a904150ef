"""The report as Slack messages: Block Kit blocks plus a text that says the same thing.

Slack's limits (api.slack.com/reference/block-kit): 50 blocks per message, 3000 characters per
section text, 10 fields of 2000 per section, 150 per header, 10 elements per context block, 25
elements per actions block, 75 per button text and 2000 per button value, 40000 per message text.
A report that does not fit one message is split across several, in order; the `text` of each message is its
blocks' mrkdwn joined, so the notification, the fallback and `posted_text` all carry the full
content.
"""

from __future__ import annotations

from typing import Any

from shared.actions import SIGNED, SILENCE, ActionSigner, matchers_text
from shared.causes import label
from shared.contracts import IncidentReport
from shared.render.card import Button, buttons, cause_fields
from shared.render.document import CAUSE_HEADING, build_document, t
from shared.render.escape import code_text, one_line, slack_escape, slack_plain
from shared.render.layout import Formatter, format_line, format_lines, grouped_lines, pack, size
from shared.render.part import SlackPart

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT = 40_000
MAX_FIELD = 2000  # Slack's per-field limit (not checked by slack_sdk)
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
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


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _header(title: str) -> dict[str, Any]:
    text = slack_plain(" ".join(title.split())) or "Incident report"
    if size(text) > MAX_HEADER:
        text = text[: MAX_HEADER - 2].rstrip() + "…"
        while size(text) > MAX_HEADER:
            text = text[:-2] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _fields(report: IncidentReport) -> dict[str, Any]:
    """The cause as a section: its label and summary, and the facts beside it as fields."""
    cause = report.cause
    text = f"*Likely cause*\n*{slack_escape(label(cause.category))}*\n"
    summary = format_lines(((t(cause.summary),),), SLACK, LINE_LIMIT)
    text += "\n".join(summary)
    fields = [
        {"type": "mrkdwn", "text": f"*{name}*\n{slack_escape(value)}"[:MAX_FIELD]}
        for name, value in cause_fields(report)
    ]
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, "fields": fields}


def _cause_blocks(report: IncidentReport) -> list[tuple[dict[str, Any], str]]:
    block = _fields(report)
    if size(block["text"]["text"]) <= MAX_SECTION:
        return [(block, _block_text(block))]
    # A summary longer than a section: the fields, then the summary in sections of its own.
    lines = ["*Likely cause*", *format_lines(((t(report.cause.summary),),), SLACK, LINE_LIMIT)]
    head = {"type": "section", "fields": block["fields"]}
    return [(head, _block_text(head))] + [(_section(c), c) for c in pack(lines, MAX_SECTION)]


def _block_text(block: dict[str, Any]) -> str:
    texts = [block["text"]["text"]] if "text" in block else []
    return "\n".join(texts + [f["text"].replace("\n", ": ", 1) for f in block.get("fields", [])])


def _button(button: Button, signer: ActionSigner | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": button.text[:MAX_BUTTON_TEXT], "emoji": True},
    }
    if button.url:
        element["url"] = button.url
        element["action_id"] = f"sre_link_{button.text.split()[-1].lower()}"
        return element
    assert button.action is not None
    action = button.action
    element["action_id"] = f"sre_{action.name}"
    element["value"] = signer.value(action) if signer and action.name in SIGNED else action.investigation_id
    if button.style:
        element["style"] = button.style
    if action.name == SILENCE:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": "Silence this alert?"},
            "text": {
                "type": "plain_text",
                "text": one_line(f"Alertmanager will silence {matchers_text(action.matchers)} for 1 h.", 300),
            },
            "confirm": {"type": "plain_text", "text": "Silence 1 h"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        }
    return element


def _actions(report: IncidentReport, signer: ActionSigner | None) -> dict[str, Any]:
    elements = [_button(b, signer) for b in buttons(report, signer)]
    return {"type": "actions", "block_id": "sre_actions", "elements": elements[:MAX_ACTIONS]}


def _blocks(report: IncidentReport, signer: ActionSigner | None) -> list[tuple[dict[str, Any], str]]:
    """Every block with the mrkdwn it contributes to the message text."""
    doc = build_document(report)
    blocks = [(_header(doc.title), f"*{slack_escape(' '.join(doc.title.split()))}*")]
    for section in doc.sections:
        if section.heading == CAUSE_HEADING:
            blocks += _cause_blocks(report)
            continue
        heading = f"*{slack_escape(section.heading)}*"
        # A finding and its link lines are one unit: a split never separates them.
        lines = [heading, *grouped_lines(section.lines, SLACK, LINE_LIMIT)]
        for chunk in pack(lines, MAX_SECTION):
            blocks.append((_section(chunk), chunk))
    # A context block holds at most 10 elements: a footer longer than that goes on in sections.
    pieces = format_line(doc.footer, SLACK, MAX_SECTION)
    elements = [{"type": "mrkdwn", "text": piece} for piece in pieces[:MAX_CONTEXT_ELEMENTS]]
    blocks.append(({"type": "divider"}, ""))
    blocks.append(({"type": "context", "elements": elements}, "\n".join(e["text"] for e in elements)))
    for chunk in pack(pieces[MAX_CONTEXT_ELEMENTS:], MAX_SECTION):
        blocks.append((_section(chunk), chunk))
    blocks.append((_actions(report, signer), ""))
    return blocks


def render_slack(report: IncidentReport, signer: ActionSigner | None = None) -> list[SlackPart]:
    """The report as one or more Slack messages, each within Slack's block and text limits; the
    buttons (see `card.buttons`) end the last one, never alone in a message of their own."""
    groups: list[list[tuple[dict[str, Any], str]]] = [[]]
    used = 0
    for block, text in _blocks(report, signer):
        extra = size(text) + 1
        if groups[-1] and (len(groups[-1]) >= MAX_BLOCKS or used + extra > TEXT_BUDGET):
            groups.append([])
            used = 0
        groups[-1].append((block, text))
        used += extra
    if len(groups) > 1 and len(groups[-1]) == 1 and groups[-1][0][0]["type"] == "actions":
        groups[-1].insert(0, groups[-2].pop())  # the buttons go with the report's last block
    return [
        SlackPart("\n".join(t for _, t in group if t), [b for b, _ in group]) for group in groups if group
    ]
