"""Parser for the subset of the CloudWatch Logs Insights query language the sandbox runs.

Supported: `fields`, `display`, `filter` (like / not like / =~ / = != < > <= >= / in [...] /
and or not / parentheses / ispresent isempty isblank strcontains), `parse` (glob and regex with
named groups), `stats` (count, count_distinct, min, max, avg, sum, earliest, latest; by fields and bin(...)),
`sort`, `limit`, `dedup`. Anything else raises InsightsSyntaxError: a query the sandbox cannot
run must fail loudly, never be half-answered.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.insights_syntax import (
    Aggregate,
    BoolOp,
    Call,
    Compare,
    DedupCmd,
    DisplayCmd,
    FieldRef,
    FieldsCmd,
    FilterCmd,
    Group,
    InsightsQuery,
    InsightsSyntaxError,
    LimitCmd,
    Literal,
    Not,
    ParseCmd,
    RegexLit,
    SortCmd,
    StatsCmd,
    Token,
    compile_regex,
    parse_bin,
    tokenize,
    unquote,
)

__all__ = ["InsightsQuery", "InsightsSyntaxError", "parse_insights"]

_UNSUPPORTED_COMMANDS = {
    "pattern",
    "diff",
    "anomaly",
    "unmask",
    "unnest",
    "lookup",
    "filterindex",
    "source",
    "addtotals",
}
_AGGREGATES = {"count", "count_distinct", "min", "max", "avg", "sum", "earliest", "latest"}
_PREDICATES = {"ispresent": 1, "isempty": 1, "isblank": 1, "strcontains": 2}


def parse_insights(query: str) -> InsightsQuery:
    """Parse a whole query; raises InsightsSyntaxError naming the problem."""
    tokens = tokenize(query)
    segments: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "punct" and token.text == "|":
            segments.append([])
        else:
            segments[-1].append(token)
    if all(not s for s in segments):
        raise InsightsSyntaxError("the query is empty")
    commands = []
    for segment in segments:
        if not segment:
            raise InsightsSyntaxError("empty command between pipes")
        commands.append(_CommandParser(segment).parse())
    return InsightsQuery(query, tuple(commands))


class _CommandParser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    # helpers
    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise InsightsSyntaxError(f"unexpected end of `{self.tokens[0].text}` command")
        self.index += 1
        return token

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text != text):
            wanted = text or kind
            raise InsightsSyntaxError(f"expected {wanted!r} at position {token.pos}, found {token.text!r}")
        return token

    def accept_punct(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == text:
            self.index += 1
            return True
        return False

    def accept_word(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.is_word(*words):
            self.index += 1
            return True
        return False

    def field_name(self) -> str:
        token = self.take()
        if token.kind != "ident":
            raise InsightsSyntaxError(f"expected a field name at position {token.pos}, found {token.text!r}")
        following = self.peek()
        if following is not None and following.kind == "punct" and following.text == "(":
            raise InsightsSyntaxError(f"function {token.text}() is not supported here by the sandbox")
        return token.text

    def done(self) -> None:
        token = self.peek()
        if token is not None:
            raise InsightsSyntaxError(f"unexpected {token.text!r} at position {token.pos}")

    # commands
    def parse(self) -> Any:
        head = self.take()
        name = head.text.lower() if head.kind == "ident" else ""
        handler = getattr(self, f"cmd_{name}", None)
        if handler is None:
            if name in _UNSUPPORTED_COMMANDS:
                raise InsightsSyntaxError(f"command `{head.text}` is not supported by the sandbox")
            raise InsightsSyntaxError(f"unknown command {head.text!r} at position {head.pos}")
        command = handler()
        self.done()
        return command

    def cmd_fields(self) -> FieldsCmd:
        items = []
        while True:
            source = self.field_name()
            alias = self.field_name() if self.accept_word("as") else source
            items.append((source, alias))
            if not self.accept_punct(","):
                return FieldsCmd(tuple(items))

    def _names(self) -> tuple[str, ...]:
        names = [self.field_name()]
        while self.accept_punct(","):
            names.append(self.field_name())
        return tuple(names)

    def cmd_display(self) -> DisplayCmd:
        return DisplayCmd(self._names())

    def cmd_dedup(self) -> DedupCmd:
        return DedupCmd(self._names())

    def cmd_limit(self) -> LimitCmd:
        token = self.expect("num")
        if not token.text.isdigit() or int(token.text) < 1:
            raise InsightsSyntaxError(f"limit needs a positive whole number, got {token.text}")
        return LimitCmd(int(token.text))

    def cmd_sort(self) -> SortCmd:
        keys = []
        while True:
            name = self.field_name()
            descending = True  # Insights sorts descending unless told `asc`
            if self.accept_word("asc"):
                descending = False
            else:
                self.accept_word("desc")
            keys.append((name, descending))
            if not self.accept_punct(","):
                return SortCmd(tuple(keys))

    def cmd_parse(self) -> ParseCmd:
        source = "@message"
        if (token := self.peek()) is not None and token.kind == "ident":
            source = self.field_name()
        pattern = self.take()
        if pattern.kind == "regex":
            regex = compile_regex(pattern.text)
            names = tuple(regex.groupindex)
            if not names:
                raise InsightsSyntaxError("a parse regex needs named groups: (?<name>...)")
            if self.accept_word("as"):
                raise InsightsSyntaxError(
                    "parse with a regex names its fields in (?<name>...) groups, not `as`"
                )
            return ParseCmd(source, regex, names)
        if pattern.kind != "str":
            raise InsightsSyntaxError(f'parse needs a "glob * pattern" or a /regex/, found {pattern.text!r}')
        glob = unquote(pattern.text)
        if not self.accept_word("as"):
            raise InsightsSyntaxError("parse with a glob pattern needs `as name, ...`")
        names = self._names()
        parts = glob.split("*")
        if len(parts) - 1 != len(names):
            raise InsightsSyntaxError(f"the glob has {len(parts) - 1} wildcards but {len(names)} names")
        body = "(.*?)".join(re.escape(p) for p in parts)
        if glob.endswith("*"):
            body = body[: -len("(.*?)")] + "(.*)"  # a trailing wildcard takes the rest of the value
        return ParseCmd(source, re.compile(body, re.DOTALL), names)

    def cmd_stats(self) -> StatsCmd:
        aggregates = []
        while True:
            aggregates.append(self._aggregate())
            if not self.accept_punct(","):
                break
        groups: list[Group] = []
        if self.accept_word("by"):
            while True:
                groups.append(self._group())
                if not self.accept_punct(","):
                    break
        return StatsCmd(tuple(aggregates), tuple(groups))

    def _aggregate(self) -> Aggregate:
        token = self.expect("ident")
        func = token.text.lower()
        if func not in _AGGREGATES:
            raise InsightsSyntaxError(f"stats function {token.text}() is not supported by the sandbox")
        self.expect("punct", "(")
        following = self.peek()
        empty = following is not None and following.kind == "punct" and following.text == ")"
        target = None if self.accept_punct("*") or empty else self.field_name()
        self.expect("punct", ")")
        if target is None and func != "count":
            raise InsightsSyntaxError(f"{func}() needs a field")
        default = f"{func}({'*' if target is None else target})"
        name = self.field_name() if self.accept_word("as") else default
        return Aggregate(func, target, name)

    def _group(self) -> Group:
        token = self.peek()
        if token is not None and token.is_word("bin"):
            self.take()
            self.expect("punct", "(")
            period = self.take()
            if period.kind not in {"dur", "num"}:
                raise InsightsSyntaxError(f"bin() needs a period such as 5m, found {period.text!r}")
            self.expect("punct", ")")
            name = self.field_name() if self.accept_word("as") else f"bin({period.text})"
            return Group("@timestamp", parse_bin(period.text), name)
        source = self.field_name()
        name = self.field_name() if self.accept_word("as") else source
        return Group(source, None, name)

    def cmd_filter(self) -> FilterCmd:
        return FilterCmd(self._or())

    def _or(self) -> Any:
        node = self._and()
        while self.accept_word("or"):
            node = BoolOp("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._unary()
        while self.accept_word("and"):
            node = BoolOp("and", node, self._unary())
        return node

    def _unary(self) -> Any:
        if self.accept_word("not"):
            return Not(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        if self.accept_punct("("):
            node = self._or()
            self.expect("punct", ")")
            return node
        token = self.peek()
        if token is not None and token.kind == "ident":
            following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
            if following is not None and following.kind == "punct" and following.text == "(":
                return self._call()
        left = self._operand()
        return self._comparison(left)

    def _call(self) -> Call:
        token = self.take()
        name = token.text.lower()
        if name not in _PREDICATES:
            raise InsightsSyntaxError(f"function {token.text}() is not supported in filter by the sandbox")
        self.expect("punct", "(")
        args = [self._operand()]
        while self.accept_punct(","):
            args.append(self._operand())
        self.expect("punct", ")")
        if len(args) != _PREDICATES[name] or not isinstance(args[0], FieldRef):
            raise InsightsSyntaxError(
                f"{name}() takes a field{' and a string' if name == 'strcontains' else ''}"
            )
        return Call(name, tuple(args))

    def _operand(self) -> Any:
        token = self.take()
        if token.kind == "ident":
            return FieldRef(token.text)
        if token.kind == "str":
            return Literal(unquote(token.text))
        if token.kind == "num":
            return Literal(float(token.text))
        if token.kind == "regex":
            return RegexLit(compile_regex(token.text))
        raise InsightsSyntaxError(
            f"expected a field, string, number or /regex/ at position {token.pos}, found {token.text!r}"
        )

    def _comparison(self, left: Any) -> Compare:
        token = self.take()
        negate = False
        if token.is_word("not"):
            negate = True
            token = self.take()
        if token.is_word("like"):
            right = self._operand()
            if not isinstance(right, Literal | RegexLit):
                raise InsightsSyntaxError('like needs a "string" or a /regex/')
            return Compare("not like" if negate else "like", left, right)
        if token.is_word("in"):
            self.expect("punct", "[")
            values = [self._operand()]
            while self.accept_punct(","):
                values.append(self._operand())
            self.expect("punct", "]")
            return Compare("not in" if negate else "in", left, tuple(values))
        if negate:
            raise InsightsSyntaxError(f"`not` must be followed by like or in, found {token.text!r}")
        if token.kind == "op":
            right = self._operand()
            if token.text == "=~" and not isinstance(right, RegexLit):
                raise InsightsSyntaxError("=~ needs a /regex/")
            return Compare(token.text, left, right)
        raise InsightsSyntaxError(f"expected a comparison at position {token.pos}, found {token.text!r}")
