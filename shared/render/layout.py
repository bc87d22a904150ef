"""Turning document lines into platform text that never exceeds a length limit.

Lengths are counted in UTF-16 code units, which is never less than the character count either
platform applies. A line longer than its limit is split between spans first; a single span that is
still too long is split in its raw text (at a space where possible) and each piece escaped on its
own, so an escape sequence or a link is never cut in half.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from shared.redact import redact
from shared.render.document import Line, Span


def size(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Formatter:
    """One platform's way of writing spans. `expansion` bounds how much escaping can grow text."""

    text: Callable[[str], str]
    bold: Callable[[str], str]
    code: Callable[[str], str]
    link: Callable[[str, str], str]
    expansion: int

    def span(self, span: Span) -> str:
        if span.style == "bold":
            return self.bold(span.text)
        if span.style == "code":
            return self.code(span.text)
        if span.style == "link" and span.url:
            return self.link(span.text, span.url)
        return self.text(span.text)


def split_raw(text: str, width: int) -> list[str]:
    """`text` in pieces of at most `width` characters, cut at the last space when there is one."""
    pieces = []
    while len(text) > width:
        cut = text.rfind(" ", width // 2, width)
        cut = cut if cut > 0 else width
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def _atoms(span: Span, fmt: Formatter, limit: int) -> list[str]:
    formatted = fmt.span(span)
    if size(formatted) <= limit:
        return [formatted]
    if span.style == "link":  # too long to keep as a link: its label alone still says what it was
        return _atoms(Span(span.text), fmt, limit)
    width = max(1, (limit - 8) // (2 * fmt.expansion))  # 2x: a UTF-16 surrogate pair per character
    # Redact the whole text before cutting it: a secret cut in two would escape redaction.
    return [fmt.span(Span(piece, span.style)) for piece in split_raw(redact(span.text), width) if piece]


def format_line(line: Line, fmt: Formatter, limit: int) -> list[str]:
    """The line as one or more output lines, each at most `limit` long."""
    out: list[str] = []
    current = ""
    for span in line:
        for atom in _atoms(span, fmt, limit):
            if current and size(current) + size(atom) > limit:
                out.append(current)
                current = ""
            current += atom
    out.append(current)
    return out


def format_lines(lines: Iterable[Line], fmt: Formatter, limit: int) -> list[str]:
    return [piece for line in lines for piece in format_line(line, fmt, limit)]


def pack(lines: Sequence[str], limit: int, *, sep: str = "\n") -> list[str]:
    """Consecutive lines joined into chunks of at most `limit` (each line must fit on its own)."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for line in lines:
        extra = size(line) + (size(sep) if current else 0)
        if current and used + extra > limit:
            chunks.append(sep.join(current))
            current, used = [], 0
            extra = size(line)
        current.append(line)
        used += extra
    if current:
        chunks.append(sep.join(current))
    return chunks


def is_continuation(line: Line) -> bool:
    """A line that belongs to the one before it (a finding's detail or link: indented)."""
    return bool(line) and line[0].text.startswith("    ")


def grouped_lines(lines: Iterable[Line], fmt: Formatter, limit: int) -> list[str]:
    """`format_lines`, with each line's continuation lines (`is_continuation`) joined to it by a
    newline while the whole fits `limit`: packing them never puts a finding and its link apart."""
    out: list[str] = []
    glue = False
    for line in lines:
        pieces = format_line(line, fmt, limit)
        if (
            glue
            and is_continuation(line)
            and len(pieces) == 1
            and size(out[-1]) + 1 + size(pieces[0]) <= limit
        ):
            out[-1] += "\n" + pieces[0]
            continue
        out.extend(pieces)
        glue = True
    return out
