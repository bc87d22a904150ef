"""Logs Insights query texts, the client-side twins of their filters, and console deep links.

The queries stay inside the Insights subset the sandbox implements (fields, filter like /regex/,
stats count(*) by bin() / fields, sort, limit, parse); every filter also exists as a Python regex,
so results are re-checked locally whatever engine answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from agents.common.log_lines import ERROR_RE, ERROR_WORDS, MARKER_RE, MARKER_WORDS
from shared.timeutil import to_utc

__all__ = ["ERROR_RE", "ERROR_WORDS", "MARKER_RE", "MARKER_WORDS"]


FIELDS = "fields @timestamp, @message, @logStream, @log"


def error_regex(extra_terms: Iterable[str] = ()) -> str:
    """ERROR_WORDS plus literal `extra_terms` (the signatures' own words), as one Insights regex."""
    return "|".join([ERROR_WORDS, *(_regex_literal(term) for term in extra_terms)])


def _regex_literal(term: str) -> str:
    """`term` matched literally; a status code only after a space, `:`, `=` or a quote and not
    inside a longer number (`429`, not `14:29` or `1429ms`). Insights ends a regex at `/`."""
    if term.isdigit():
        return rf"[\s:=\"]{term}\b"
    return re.sub(r"([\\.^$*+?()\[\]{}|/])", r"\\\1", term)


def errors_query(limit: int, extra_terms: Iterable[str] = ()) -> str:
    """Recent error-looking lines, newest first."""
    regex = error_regex(extra_terms)
    return f"{FIELDS}\n| filter @message like /(?i)({regex})/\n| sort @timestamp desc\n| limit {limit}"


def markers_query(limit: int) -> str:
    """Lines that may record a change (config reload, a release starting), newest first."""
    return f"{FIELDS}\n| filter @message like /(?i)({MARKER_WORDS})/\n| sort @timestamp desc\n| limit {limit}"


def error_count_query(extra_terms: Iterable[str] = ()) -> str:
    """Error lines per log group (for the snapshot)."""
    return f"filter @message like /(?i)({error_regex(extra_terms)})/\n| stats count(*) as errors by @log"


def template_query(literal: str, limit: int = 100) -> str:
    """The lines of one template, by its longest literal run (for a per-template deep link)."""
    escaped = literal.replace("\\", "\\\\").replace('"', '\\"')
    return f'{FIELDS}\n| filter @message like "{escaped}"\n| sort @timestamp desc\n| limit {limit}'


# ---------------------------------------------------------------- console deep links


def _console_escape(value: str) -> str:
    """Values inside the Insights console's `queryDetail` are escaped as `*XX` (hex of each byte)
    for everything but ASCII letters, digits, `-`, `.` and `_`."""
    out: list[str] = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        out.append(char if (char.isascii() and char.isalnum()) or char in "-._" else f"*{byte:02x}")
    return "".join(out)


def _iso(dt: datetime) -> str:
    return to_utc(dt).strftime("%Y-%m-%dT%H:%M:%S.") + f"{to_utc(dt).microsecond // 1000:03d}Z"


def insights_console_url(
    region: str, log_groups: list[str] | tuple[str, ...], query: str, start: datetime, end: datetime
) -> str:
    """A link that opens Logs Insights on `log_groups` with `query` over [start, end] (UTC)."""
    sources = "".join(f"~'{_console_escape(g)}" for g in log_groups)
    detail = (
        f"~(end~'{_console_escape(_iso(end))}~start~'{_console_escape(_iso(start))}"
        f"~timeType~'ABSOLUTE~tz~'UTC~editorString~'{_console_escape(query)}"
        f"~source~({sources}))"
    )
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logsV2:logs-insights$3FqueryDetail$3D{detail}"
    )


def log_events_console_url(
    region: str,
    log_group: str,
    start: datetime,
    end: datetime,
    stream: str | None = None,
    filter_pattern: str | None = None,
) -> str:
    """A link to a log group's (or one stream's) events over [start, end], optionally filtered."""

    def esc(text: str) -> str:  # the console double-escapes path parts, `%` written as `$25`
        return quote(quote(text, safe=""), safe="").replace("%", "$")

    path = f"log-groups/log-group/{esc(log_group)}"
    if stream:
        path += f"/log-events/{esc(stream)}"
    else:
        path += "/log-events"
    params = f"start$3D{int(to_utc(start).timestamp() * 1000)}$26end$3D{int(to_utc(end).timestamp() * 1000)}"
    if filter_pattern:
        params += f"$26filterPattern$3D{esc(filter_pattern)}"
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:{path}$3F{params}"
