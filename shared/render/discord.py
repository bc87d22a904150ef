"""The report as Discord messages: an embed (the card: title, cause, fields, coloured by
severity), markdown content (evidence, changes, timeline, next steps), and the buttons as
components on the last message.

Content stays within 2000 characters per message, split at line boundaries, keeping each section
heading with what follows it and each finding with its links. Links are short labels
(`[log line](<url>)`), never a console URL spelled out.
"""

from __future__ import annotations

from typing import Any

from shared.actions import SIGNED, ActionSigner, matchers_text, silence_matchers
from shared.causes import label
from shared.contracts import IncidentReport, Severity
from shared.render.card import buttons, cause_fields, severity
from shared.render.document import CAUSE_HEADING, Document, Span, build_document
from shared.render.escape import code_text, markdown_escape, one_line
from shared.render.layout import Formatter, format_line, format_lines, grouped_lines, pack, size, split_raw
from shared.render.part import SlackPart

MAX_MESSAGE = 2000
LINE_LIMIT = MAX_MESSAGE - 100
# Embed limits (discord.com/developers/docs/resources/message#embed-object-embed-limits): title 256,
# description 4096, 25 fields of name 256 / value 1024, footer 2048, 6000 across a message's embeds.
MAX_EMBED_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000
MATCHERS_FIELD = "Silence matches"
# Components: action rows (type 1) of at most 5 buttons (type 2), 5 rows; labels of at most 80.
ACTION_ROW, BUTTON = 1, 2
PRIMARY, SECONDARY, DANGER, LINK = 1, 2, 4, 5
STYLES = {"primary": PRIMARY, "danger": DANGER}
ROW, MAX_ROWS, MAX_LABEL = 5, 5, 80
COLOURS = {Severity.CRITICAL: 0xD92D20, Severity.WARNING: 0xF79009, Severity.INFO: 0x2E90FA}
GREY = 0x98A2B3

DISCORD = Formatter(
    text=markdown_escape,
    bold=lambda s: f"**{markdown_escape(s)}**",
    code=lambda s: f"`{code_text(s)}`",
    # A short label linking to the URL (no console URL in the text); `<url>` keeps Discord from
    # unfurling a preview for every evidence link.
    link=lambda label, url: f"[{markdown_escape(label)}](<{url}>)",
    expansion=3,  # a backslash before each special character, a zero-width space after `@`
)


def document_lines(doc: Document, *, card: bool = False) -> list[tuple[str, bool]]:
    """(line, is_heading) pairs: the title, each section's heading and lines, the footer. With
    `card`, the title and the cause are left out: the embed says them."""
    lines = [] if card else [(f"**{markdown_escape(' '.join(doc.title.split()))}**", True)]
    for section in doc.sections:
        if card and section.heading == CAUSE_HEADING:
            continue
        lines.append((f"__**{markdown_escape(section.heading)}**__", True))
        # A finding and its link lines are one unit: a split never separates them.
        lines.extend((line, False) for line in grouped_lines(section.lines, DISCORD, LINE_LIMIT))
    lines.extend((f"-# {line}", False) for line in format_line(doc.footer, DISCORD, LINE_LIMIT))
    return lines


def _split(lines: list[tuple[str, bool]], first_budget: int = MAX_MESSAGE) -> list[str]:
    messages: list[str] = []
    current: list[str] = []
    used = 0
    budget = first_budget
    for i, (line, heading) in enumerate(lines):
        extra = size(line) + (1 if current else 0)
        # A heading never ends a message: move it to the next one with its first line.
        follower = size(lines[i + 1][0]) + 1 if heading and i + 1 < len(lines) else 0
        if (current or budget < MAX_MESSAGE) and used + extra + follower > budget:
            messages.append("\n".join(current))
            current, used, extra, budget = [], 0, size(line), MAX_MESSAGE
        current.append(line)
        used += extra
    if current:
        messages.append("\n".join(current))
    return messages


def render_discord(report: IncidentReport) -> list[str]:
    """The report as plain Discord messages (no embed), each at most 2000 characters: what a
    text-only path (an interaction's follow-up, a terminal) posts."""
    return _split(document_lines(build_document(report)))


def _embed(report: IncidentReport) -> tuple[dict[str, Any], str, list[str]]:
    """The card: title, the cause and its fields, coloured by severity; and the same as text."""
    cause = report.cause
    # Discord refuses an embed whose title is empty: a blank report title says what the card is.
    title = one_line(markdown_escape(" ".join(report.title.split()) or "Incident report"), MAX_EMBED_TITLE)
    head = f"**{markdown_escape(label(cause.category))}**"
    summary = format_lines(((Span(cause.summary),),), DISCORD, LINE_LIMIT)
    description = head + "\n" + "\n".join(summary)
    overflow: list[str] = []
    if size(description) > MAX_DESCRIPTION - 100:
        # Too long for the card: the summary goes on in the content, in lines that fit a message.
        description, overflow = head, summary
    fields = [
        {"name": name, "value": markdown_escape(value)[:MAX_FIELD_VALUE], "inline": True}
        for name, value in cause_fields(report)
    ]
    matchers = silence_matchers(report.alert.labels)
    if matchers:
        fields.append(
            {
                "name": MATCHERS_FIELD,
                "value": "`" + matchers_text(matchers).replace("`", "\u02cb")[: MAX_FIELD_VALUE - 2] + "`",
                "inline": False,
            }
        )
    sev = severity(report)
    embed: dict[str, Any] = {
        "title": title,
        "description": description,
        "color": COLOURS[sev] if sev is not None else GREY,
        "fields": fields,
        "footer": {"text": f"investigation {report.investigation_id}"[:MAX_FOOTER]},
    }
    said = [f"**{title}**", f"__**{CAUSE_HEADING}**__", description]
    said += [f"{f['name']}: {f['value']}" for f in fields]
    return embed, "\n".join(said), overflow


def _components(report: IncidentReport, signer: ActionSigner | None) -> list[dict[str, Any]]:
    elements = []
    for button in buttons(report, signer):
        element: dict[str, Any] = {"type": BUTTON, "label": button.text[:MAX_LABEL]}
        if button.url:
            element.update(style=LINK, url=button.url)
        else:
            assert button.action is not None
            action = button.action
            mac = signer.mac(action) if signer and action.name in SIGNED else "-"
            element.update(style=STYLES.get(button.style, SECONDARY), custom_id=f"sre:{action.name}:{mac}")
        elements.append(element)
    rows = [elements[i : i + ROW] for i in range(0, min(len(elements), ROW * MAX_ROWS), ROW)]
    return [{"type": ACTION_ROW, "components": row} for row in rows]


def render_discord_parts(report: IncidentReport, signer: ActionSigner | None = None) -> list[SlackPart]:
    """The report as Discord messages: the first carries the embed (the card), the last the
    buttons; `text` is each message's content, `said` the embed and the content as text."""
    embed, said, overflow = _embed(report)
    lines = document_lines(build_document(report), card=True)
    if overflow:
        lines = [(f"__**{CAUSE_HEADING}**__", True), *((c, False) for c in overflow), *lines]
    contents = _split(lines)
    parts = []
    for i, content in enumerate(contents):
        rich: dict[str, Any] = {"embeds": [embed] if i == 0 else [], "components": []}
        if i == len(contents) - 1:
            rich["components"] = _components(report, signer)
        text = (said + "\n" + content) if i == 0 else content
        parts.append(SlackPart(content, [rich], said=text))
    return parts


def split_messages(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Text already rendered for Discord (a report's `posted_text`: its messages joined by blank
    lines, perhaps with a note after it) as messages of at most `limit` each: cut between
    paragraphs where possible, else between lines, else inside a line at a space."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if size(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        lines: list[str] = []
        for line in paragraph.split("\n"):
            # Half the limit in characters: a UTF-16 surrogate pair per character at worst.
            lines.extend([line] if size(line) <= limit else split_raw(line, limit // 2))
        pieces.extend(pack(lines, limit))
    return [m for m in pack(pieces, limit, sep="\n\n") if m.strip()]
