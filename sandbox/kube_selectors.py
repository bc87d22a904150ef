"""Kubernetes label and field selectors, parsed and matched as the API server does.

Label selectors (k8s.io/apimachinery `labels.Parse`): comma-separated requirements `key`, `!key`,
`key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`, `key>n`, `key<n`. `!=` and `notin`
also match objects that lack the label. Field selectors (`fields.ParseSelector`): `field=v`,
`field==v`, `field!=v`, with `\\,` `\\=` `\\\\` escapes, and only the fields the server indexes for
that kind (anything else is refused with "field label not supported", as the real server does).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}$")
_VALUE = re.compile(rf"^({_NAME})?$")
_SPECIAL = set("=!(),<>")


class SelectorError(ValueError):
    """A selector the API server would refuse with 400 BadRequest; the text is its message."""


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # exists, !, =, !=, in, notin, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        try:
            have, bound = int(str(value)), int(self.values[0])
        except (TypeError, ValueError):
            return False
        return present and (have > bound if self.op == "gt" else have < bound)


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _SPECIAL:
            two = text[i : i + 2]
            if two in ("==", "!="):
                tokens.append(two)
                i += 2
            else:
                tokens.append(ch)
                i += 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            tokens.append(text[i:j])
            i = j
    return tokens


def _check_key(key: str) -> str:
    if not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise SelectorError(f'unable to parse requirement: invalid label key "{key}"')
    return key


def _check_value(value: str) -> str:
    if not _VALUE.match(value):
        raise SelectorError(f'unable to parse requirement: invalid label value: "{value}"')
    return value


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse a `labelSelector` query value; empty or None selects everything."""
    tokens = _tokens(text or "")
    requirements: list[Requirement] = []
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise SelectorError(f"unable to parse requirement: unexpected end of selector {text!r}")
        pos += 1
        return tokens[pos - 1]

    def ident(what: str) -> str:
        token = take()
        if token in _SPECIAL or token in ("==", "!="):
            raise SelectorError(f"found '{token}', expected: {what}")
        return token

    while pos < len(tokens):
        if peek() == "!":
            take()
            requirements.append(Requirement(_check_key(ident("identifier after '!'")), "!"))
        else:
            key = _check_key(ident("identifier"))
            op = peek()
            if op in (None, ","):
                requirements.append(Requirement(key, "exists"))
            elif op in ("=", "==", "!="):
                take()
                nxt = peek()
                value = "" if nxt in (None, ",") else _check_value(ident("value"))
                requirements.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
            elif op in ("in", "notin"):
                take()
                if take() != "(":
                    raise SelectorError(f"found '{tokens[pos - 1]}', expected: '('")
                values: list[str] = []
                expect_value = True
                while True:
                    token = take()
                    if token == ")":
                        if expect_value and values:
                            values.append("")
                        break
                    if token == ",":
                        if expect_value:
                            values.append("")
                        expect_value = True
                        continue
                    if not expect_value:
                        raise SelectorError(f"found '{token}', expected: ',' or ')'")
                    values.append(_check_value(token))
                    expect_value = False
                if not values:
                    raise SelectorError(
                        "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty"
                    )
                requirements.append(Requirement(key, op, tuple(values)))
            elif op in ("<", ">"):
                take()
                bound = ident("integer")
                if not re.fullmatch(r"-?\d+", bound):
                    raise SelectorError(
                        f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an "
                        f"integer: {bound}"
                    )
                requirements.append(Requirement(key, "gt" if op == ">" else "lt", (bound,)))
            else:
                raise SelectorError(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")
        if pos < len(tokens):
            if take() != ",":
                raise SelectorError(f"found '{tokens[pos - 1]}', expected: ',' or 'end of string'")
            if pos >= len(tokens):
                raise SelectorError("found '', expected: identifier")
    return LabelSelector(tuple(requirements))


# ----------------------------------------------------------------------------- field selectors


@dataclass(frozen=True)
class FieldTerm:
    field: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[FieldTerm, ...] = ()

    def matches(self, obj: Mapping[str, Any], getter: Callable[[Mapping[str, Any], str], str]) -> bool:
        return all((getter(obj, t.field) == t.value) != t.negated for t in self.terms)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if text[i] == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value) or value[i + 1] not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence in {value!r}")
            out.append(value[i + 1])
            i += 2
            continue
        if ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped {ch!r} in value {value!r}")
        out.append(ch)
        i += 1
    return "".join(out)


def _operator_at(term: str) -> tuple[int, str] | None:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return i, op
        i += 1
    return None


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse a `fieldSelector` query value; empty or None selects everything."""
    if not text or not text.strip():
        return FieldSelector()
    terms: list[FieldTerm] = []
    for raw in _split_unescaped(text, ","):
        term = raw.strip()
        if not term:
            continue
        found = _operator_at(term)
        if found is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        at, op = found
        field = term[:at].strip()
        if not field:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        terms.append(FieldTerm(field, _unescape(term[at + len(op) :].strip()), negated=op == "!="))
    return FieldSelector(tuple(terms))


_EVENT_FIELDS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }
)

# Fields each kind's registry indexes beyond metadata.name / metadata.namespace.
KIND_FIELDS: dict[str, frozenset[str]] = {
    "Pod": frozenset(
        {
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        }
    ),
    "Event": _EVENT_FIELDS,
    "Node": frozenset({"spec.unschedulable"}),
    "Namespace": frozenset({"status.phase"}),
    "Secret": frozenset({"type"}),
    "ReplicaSet": frozenset({"status.replicas"}),
    "ReplicationController": frozenset({"status.replicas"}),
    "Job": frozenset({"status.successful"}),
}

# Paths that differ from the field label (core Event: `source` is the reporting component).
_FIELD_PATHS = {"source": "source.component"}


def supported_fields(kind: str, namespaced: bool) -> frozenset[str]:
    common = {"metadata.name", "metadata.namespace"} if namespaced else {"metadata.name"}
    return frozenset(common) | KIND_FIELDS.get(kind, frozenset())


def check_fields(selector: FieldSelector, kind: str, namespaced: bool) -> None:
    """Raise SelectorError, worded as the API server's, for a field the kind does not index."""
    allowed = supported_fields(kind, namespaced)
    for term in selector.terms:
        if term.field not in allowed:
            raise SelectorError(f"field label not supported: {term.field}")


def field_value(obj: Mapping[str, Any], field: str) -> str:
    """The string the server compares for `field` of `obj` ("" when absent, booleans lowercase)."""
    node: Any = obj
    for part in _FIELD_PATHS.get(field, field).split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)
