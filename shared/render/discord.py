"""The report as Discord messages: plain markdown content, at most 2000 characters each.

Plain content rather than embeds: it reads the same on mobile, it is what `posted_text` records
verbatim, and the one limit (2000 per message) is easy to keep. A report longer than that is
split across messages at line boundaries, keeping each section heading with what follows it.
"""

from __future__ import annotations

from shared.contracts import IncidentReport
from shared.render.document import Document, build_document
from shared.render.escape import code_text, markdown_escape
from shared.render.layout import Formatter, format_line, format_lines, pack, size, split_raw

MAX_MESSAGE = 2000
LINE_LIMIT = MAX_MESSAGE - 100

DISCORD = Formatter(
    text=markdown_escape,
    bold=lambda s: f"**{markdown_escape(s)}**",
    code=lambda s: f"`{code_text(s)}`",
    # `<url>` keeps Discord from unfurling a preview for every evidence link.
    link=lambda label, url: f"{markdown_escape(label)} <{url}>",
    expansion=3,  # a backslash before each special character, a zero-width space after `@`
)


def document_lines(doc: Document) -> list[tuple[str, bool]]:
    """(line, is_heading) pairs: the title, each section's heading and lines, the footer."""
    lines = [(f"**{markdown_escape(' '.join(doc.title.split()))}**", True)]
    for section in doc.sections:
        lines.append((f"__**{markdown_escape(section.heading)}**__", True))
        lines.extend((line, False) for line in format_lines(section.lines, DISCORD, LINE_LIMIT))
    lines.extend((f"-# {line}", False) for line in format_line(doc.footer, DISCORD, LINE_LIMIT))
    return lines


def render_discord(report: IncidentReport) -> list[str]:
    """The report as one or more Discord messages, each at most 2000 characters."""
    lines = document_lines(build_document(report))
    messages: list[str] = []
    current: list[str] = []
    used = 0
    for i, (line, heading) in enumerate(lines):
        extra = size(line) + (1 if current else 0)
        # A heading never ends a message: move it to the next one with its first line.
        follower = size(lines[i + 1][0]) + 1 if heading and i + 1 < len(lines) else 0
        if current and used + extra + follower > MAX_MESSAGE:
            messages.append("\n".join(current))
            current, used, extra = [], 0, size(line)
        current.append(line)
        used += extra
    if current:
        messages.append("\n".join(current))
    return messages


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
