"""Tokens and syntax tree of the sandbox's Logs Insights subset (parsed by `insights_parser`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shared.errors import SreOnCallError


class InsightsSyntaxError(SreOnCallError, ValueError):
    """The query is malformed or uses a part of the language the sandbox does not implement."""


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>/(?:[^/\\\n]|\\.)*/)
  | (?P<quoted>`[^`]+`)
  | (?P<num>-?\d+(?:\.\d+)?(?:[a-zA-Z]+)?)
  | (?P<ident>[@A-Za-z_][A-Za-z0-9_.@$]*)
  | (?P<op>!=|<=|>=|=~|=|<|>)
  | (?P<punct>[|()\[\],*])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # str, regex, num, dur, ident, op, punct
    text: str
    pos: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.lower() in words


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:
            raise InsightsSyntaxError(f"unexpected character {query[pos]!r} at position {pos}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "quoted":
            tokens.append(Token("ident", text[1:-1], pos))
        elif kind == "num" and not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            tokens.append(Token("dur", text, pos))
        elif kind not in {"ws", "comment"}:
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    return tokens


def unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def compile_regex(literal: str) -> re.Pattern[str]:
    """`/.../` as Insights writes it (`(?<name>...)` groups, `(?i)` flags) as a Python pattern."""
    body = literal[1:-1].replace("\\/", "/")
    body = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body)
    try:
        return re.compile(body)
    except re.error as e:
        raise InsightsSyntaxError(f"invalid regular expression {literal}: {e}") from e


_DURATION_UNITS = {
    "ms": "milliseconds",
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}


def parse_bin(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", text)
    if match is None or int(match.group(1)) == 0:
        raise InsightsSyntaxError(f"bin({text}): use a period such as 30s, 5m, 1h, 1d")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class FieldRef:
    name: str


@dataclass(frozen=True)
class Literal:
    value: str | float


@dataclass(frozen=True)
class RegexLit:
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Compare:
    op: str  # like, not like, =~, =, !=, <, >, <=, >=, in, not in
    left: Any
    right: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or
    left: Any
    right: Any


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class FieldsCmd:
    items: tuple[tuple[str, str], ...]  # (source field, output name)


@dataclass(frozen=True)
class DisplayCmd:
    names: tuple[str, ...]


@dataclass(frozen=True)
class FilterCmd:
    condition: Any


@dataclass(frozen=True)
class ParseCmd:
    source: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # glob: names for the groups in order; regex: the named groups


@dataclass(frozen=True)
class Aggregate:
    func: str  # count, count_distinct, min, max, avg, sum, earliest, latest
    field: str | None  # None for count(*)
    name: str


@dataclass(frozen=True)
class Group:
    field: str  # for bins: @timestamp
    bin: timedelta | None
    name: str


@dataclass(frozen=True)
class StatsCmd:
    aggregates: tuple[Aggregate, ...]
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class SortCmd:
    keys: tuple[tuple[str, bool], ...]  # (field, descending)


@dataclass(frozen=True)
class LimitCmd:
    count: int


@dataclass(frozen=True)
class DedupCmd:
    names: tuple[str, ...]


@dataclass(frozen=True)
class InsightsQuery:
    text: str
    commands: tuple[Any, ...] = field(default_factory=tuple)
