"""The transport-neutral request and response the intake core speaks.

Each edge (the Lambda handler, the local Starlette server) converts its own request into a
`WebhookRequest` and a `WebhookResponse` back; the core never sees a transport object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import UnsupportedMediaType


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only headers. A repeated header keeps its values joined by ", "."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[str, str] = {}
        for name, value in pairs:
            key = str(name).lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else str(value)
        self._items = merged

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        # Never show values: they include signatures and bearer tokens.
        return f"Headers({sorted(self._items)})"


@dataclass(frozen=True)
class WebhookRequest:
    method: str
    path: str
    body: bytes = b""
    headers: Headers = field(default_factory=Headers)
    query: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        *,
        body: bytes | str = b"",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        query: Mapping[str, str] | None = None,
    ) -> WebhookRequest:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        return cls(method.upper(), path or "/", raw, Headers(headers), dict(query or {}))


def require_media_type(request: WebhookRequest, *accepted: str) -> None:
    """Refuse a body declared as another type than the route reads (a signed JSON body sent as
    `text/plain` is not processed). A request that declares no type is read as the route expects."""
    declared = request.headers.get("content-type", "")
    media = declared.split(";", 1)[0].strip().lower()
    if media and media not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {media[:60]!r} is not accepted on {request.path[:60]}: "
            f"send {' or '.join(accepted)}"
        )


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any) -> WebhookResponse:
        payload = json.dumps(data, separators=(",", ":")).encode("utf-8")
        return cls(status, payload, {"content-type": "application/json"})

    @classmethod
    def text(cls, status: int, text: str) -> WebhookResponse:
        return cls(status, text.encode("utf-8"), {"content-type": "text/plain; charset=utf-8"})

    @classmethod
    def error(cls, status: int, reason: str) -> WebhookResponse:
        return cls.json(status, {"error": reason})

    @classmethod
    def empty(cls, status: int = 200) -> WebhookResponse:
        return cls(status)
