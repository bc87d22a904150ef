"""A pure CloudWatch Logs Insights engine for the sandbox (moto honours only fields/sort/limit).

`run_insights(query, records)` returns rows as Insights shows them: every value a string,
`@timestamp` as `2026-11-22 21:40:00.000` (UTC), `@ptr` on rows that are log events. The language
subset is in `insights_parser`; what it does not implement raises InsightsSyntaxError.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.insights_parser import parse_insights
from sandbox.insights_syntax import (
    BoolOp,
    Call,
    Compare,
    DedupCmd,
    DisplayCmd,
    FieldRef,
    FieldsCmd,
    FilterCmd,
    InsightsQuery,
    InsightsSyntaxError,
    LimitCmd,
    Literal,
    Not,
    ParseCmd,
    RegexLit,
    SortCmd,
    StatsCmd,
)
from shared.timeutil import epoch_ms

__all__ = [
    "InsightsResult",
    "InsightsSyntaxError",
    "LogRecord",
    "execute_insights",
    "parse_insights",
    "run_insights",
]

DEFAULT_LIMIT = 10_000  # StartQuery's documented default
_DEFAULT_FIELDS = ("@timestamp", "@message", "@logStream", "@log")
Row = dict[str, Any]


@dataclass(frozen=True)
class LogRecord:
    """One log event as Insights sees it."""

    timestamp: datetime
    message: str
    log_stream: str = ""
    log_group: str = ""  # Insights shows @log as "<account-id>:<log-group>"
    ptr: str | None = None
    ingestion_time: datetime | None = None


class Stamp(int):
    """Epoch milliseconds that print as an Insights timestamp."""

    def text(self) -> str:
        return datetime.fromtimestamp(self / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


@dataclass(frozen=True)
class InsightsResult:
    rows: list[dict[str, str]]
    records_scanned: int
    records_matched: int
    bytes_scanned: int


def run_insights(
    query: str | InsightsQuery, records: Iterable[LogRecord], *, limit: int | None = None
) -> list[dict[str, str]]:
    """Run `query` over `records`; rows of field name to string value, in result order."""
    return execute_insights(query, records, limit=limit).rows


def execute_insights(
    query: str | InsightsQuery, records: Iterable[LogRecord], *, limit: int | None = None
) -> InsightsResult:
    """Like run_insights, with the statistics GetQueryResults reports."""
    parsed = parse_insights(query) if isinstance(query, str) else query
    rows = [_row(r, i) for i, r in enumerate(records)]
    scanned = len(rows)
    bytes_scanned = sum(len(r["@message"].encode()) for r in rows)
    output: list[str] = []
    explicit_fields = False
    display: tuple[str, ...] | None = None
    aggregated = False
    sorted_explicitly = False
    matched = scanned
    for command in parsed.commands:
        if isinstance(command, FieldsCmd):
            for source, alias in command.items:
                for row in rows:
                    if source in row:
                        row[alias] = row[source]
                _add(output, alias)
            explicit_fields = True
        elif isinstance(command, FilterCmd):
            rows = [row for row in rows if _truth(command.condition, row)]
            if not aggregated:
                matched = len(rows)
        elif isinstance(command, ParseCmd):
            for row in rows:
                _parse_into(command, row)
            for name in command.names:
                _add(output, name)
        elif isinstance(command, StatsCmd):
            rows = _stats(command, rows)
            output = [g.name for g in command.groups] + [a.name for a in command.aggregates]
            aggregated = True
        elif isinstance(command, SortCmd):
            rows = _sort(rows, command.keys)
            sorted_explicitly = True
        elif isinstance(command, LimitCmd):
            if not sorted_explicitly and not aggregated:
                rows = _sort(rows, (("@timestamp", True),))
                sorted_explicitly = True
            rows = rows[: command.count]
        elif isinstance(command, DedupCmd):
            rows = _dedup(rows, command.names)
        elif isinstance(command, DisplayCmd):
            display = command.names
        else:  # pragma: no cover - the parser only builds the commands above
            raise InsightsSyntaxError(f"unsupported command {command!r}")
    if not sorted_explicitly and not aggregated:
        rows = _sort(rows, (("@timestamp", True),))  # newest first, as Insights returns events
    if display is not None:
        columns = list(display)
    elif aggregated:
        columns = output
    else:
        columns = output if explicit_fields else [*_DEFAULT_FIELDS, *output]
    if not aggregated and "@ptr" not in columns:
        columns.append("@ptr")
    rows = rows[: limit or DEFAULT_LIMIT]
    return InsightsResult(
        rows=[{c: _text(row[c]) for c in columns if c in row} for row in rows],
        records_scanned=scanned,
        records_matched=matched,
        bytes_scanned=bytes_scanned,
    )


def _add(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def _row(record: LogRecord, index: int) -> Row:
    row: Row = {}
    message = record.message
    if message.startswith("{"):
        # Insights discovers the fields of JSON events, nested keys joined with dots.
        try:
            document = json.loads(message)
        except ValueError:
            document = None
        if isinstance(document, dict):
            _flatten(document, "", row)
    row.update(
        {
            "@timestamp": Stamp(epoch_ms(record.timestamp)),
            "@message": message,
            "@logStream": record.log_stream,
            "@log": record.log_group,
            "@ptr": record.ptr if record.ptr is not None else str(index),
        }
    )
    if record.ingestion_time is not None:
        row["@ingestionTime"] = Stamp(epoch_ms(record.ingestion_time))
    return row


def _flatten(value: Any, prefix: str, into: Row) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", into)
    elif value is not None:
        into[prefix] = value if isinstance(value, str) else json.dumps(value)


def _text(value: Any) -> str:
    if isinstance(value, Stamp):
        return value.text()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*", value):
        return float(value)
    return None


# ---------------------------------------------------------------- filter


def _value(node: Any, row: Row) -> Any:
    if isinstance(node, FieldRef):
        return row.get(node.name)
    if isinstance(node, Literal):
        return node.value
    return node


def _truth(node: Any, row: Row) -> bool:
    if isinstance(node, BoolOp):
        if node.op == "and":
            return _truth(node.left, row) and _truth(node.right, row)
        return _truth(node.left, row) or _truth(node.right, row)
    if isinstance(node, Not):
        return not _truth(node.operand, row)
    if isinstance(node, Call):
        return _predicate(node, row)
    if isinstance(node, Compare):
        return _compare(node, row)
    raise InsightsSyntaxError(f"not a condition: {node!r}")  # pragma: no cover


def _predicate(call: Call, row: Row) -> bool:
    value = _value(call.args[0], row)
    if call.name == "ispresent":
        return value is not None
    if call.name == "isempty":
        return value is None or _text(value) == ""
    if call.name == "isblank":
        return value is None or _text(value).strip() == ""
    needle = _value(call.args[1], row)
    return value is not None and needle is not None and _text(needle) in _text(value)


def _compare(node: Compare, row: Row) -> bool:
    if node.op in {"not like", "not in"}:
        return not _compare(Compare(node.op.removeprefix("not "), node.left, node.right), row)
    left = _value(node.left, row)
    if left is None:
        return False
    if node.op in {"like", "=~"}:
        if isinstance(node.right, RegexLit):
            return node.right.pattern.search(_text(left)) is not None
        return _text(
            node.right.value if isinstance(node.right, Literal) else _value(node.right, row)
        ) in _text(left)
    if node.op == "in":
        return any(_equal(left, _value(item, row)) for item in node.right)
    right = _value(node.right, row)
    if right is None:
        return False
    if node.op == "=":
        return _equal(left, right)
    if node.op == "!=":
        return not _equal(left, right)
    a, b = _number(left), _number(right)
    pair: tuple[Any, Any] = (a, b) if a is not None and b is not None else (_text(left), _text(right))
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda x, y: x < y,
        ">": lambda x, y: x > y,
        "<=": lambda x, y: x <= y,
        ">=": lambda x, y: x >= y,
    }
    return ops[node.op](*pair)


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return _text(left) == _text(right)


# ---------------------------------------------------------------- parse, stats, sort, dedup


def _parse_into(command: ParseCmd, row: Row) -> None:
    source = row.get(command.source)
    if source is None:
        return
    match = command.pattern.search(_text(source))
    if match is None:
        return  # Insights keeps the event, without the extracted fields
    groups = (
        match.groupdict()
        if command.pattern.groupindex
        else dict(zip(command.names, match.groups(), strict=False))
    )
    for name, value in groups.items():
        if value is not None:
            row[name] = value


def _stats(command: StatsCmd, rows: list[Row]) -> list[Row]:
    buckets: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        key = []
        for group in command.groups:
            value = row.get(group.field)
            if group.bin is not None and value is not None:
                width = int(group.bin.total_seconds() * 1000)
                value = Stamp(int(value) // width * width)
            key.append(value)
        buckets.setdefault(tuple(key), []).append(row)
    if not command.groups and not buckets:
        buckets[()] = []  # an ungrouped count over nothing is still one row: 0
    result = []
    for group_key, members in buckets.items():
        out: Row = {g.name: v for g, v in zip(command.groups, group_key, strict=True) if v is not None}
        for agg in command.aggregates:
            value = _aggregate(agg.func, agg.field, members)
            if value is not None:
                out[agg.name] = value
        result.append(out)
    names = [g.name for g in command.groups]
    return _sort(result, tuple((n, False) for n in names)) if names else result


def _aggregate(func: str, field: str | None, rows: list[Row]) -> Any:
    if func == "count":
        return len(rows) if field is None else sum(1 for r in rows if r.get(field) is not None)
    present = [r[field] for r in rows if field is not None and r.get(field) is not None]
    if func in {"earliest", "latest"} and field is not None:
        # the field's value in the group's oldest / newest event that has it
        dated = [r for r in rows if r.get(field) is not None]
        if not dated:
            return None
        pick = min if func == "earliest" else max
        return pick(dated, key=lambda r: int(r.get("@timestamp", 0)))[field]
    if func == "count_distinct":
        return len({_text(v) for v in present})
    if func in {"min", "max"} and present and all(isinstance(v, Stamp) for v in present):
        return Stamp(min(present) if func == "min" else max(present))
    numbers = [n for n in (_number(v) for v in present) if n is not None and not math.isnan(n)]
    if not numbers:
        return None
    if func == "min":
        return min(numbers)
    if func == "max":
        return max(numbers)
    if func == "sum":
        return sum(numbers)
    return sum(numbers) / len(numbers)


def _natural_key(value: Any) -> tuple[Any, ...]:
    """Insights' documented order: non-numbers first (digit runs by length, then value), then numbers."""
    number = _number(value)
    if number is not None:
        return (1, number)
    chunks: list[tuple[int, ...]] = []
    for digits, other in re.findall(r"(\d+)|(\D+)", _text(value)):
        if digits:
            # ord("0") sorts a digit run against other characters by Unicode, as Insights does.
            chunks.append((ord("0"), len(digits), int(digits)))
        else:
            chunks.append(tuple(ord(c) for c in other))
    return (0, tuple(chunks))


def _sort(rows: list[Row], keys: tuple[tuple[str, bool], ...]) -> list[Row]:
    result = list(rows)
    for name, descending in reversed(keys):
        present = [r for r in result if r.get(name) is not None]
        missing = [r for r in result if r.get(name) is None]
        # Equal values ("01" and "1" are both the number 1) keep their input order, ascending and
        # descending alike: list.sort is stable with reverse=True too. Insights documents no
        # tie order; this one is deterministic, so `sort ... | limit` always picks the same rows.
        present.sort(key=lambda r: _natural_key(r[name]), reverse=descending)
        result = present + missing  # rows without the field come last either way
    return result


def _dedup(rows: list[Row], names: tuple[str, ...]) -> list[Row]:
    seen: set[tuple[str, ...]] = set()
    result = []
    for row in rows:
        if any(row.get(n) is None for n in names):
            result.append(row)  # rows missing a dedup field are not duplicates of anything
            continue
        key = tuple(_text(row[n]) for n in names)
        if key not in seen:
            seen.add(key)
            result.append(row)
    return result
