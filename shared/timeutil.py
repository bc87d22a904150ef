"""Relative scenario times (`now-15m`), durations (`30s`) and RFC 3339 formatting, in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_RELATIVE = re.compile(r"now(?:([+-])(\d+)([smhd]))?")
_DURATION = re.compile(r"(\d+)([smhd])")


def is_relative(text: object) -> bool:
    """True when `text` is exactly a relative time such as `now`, `now-90s` or `now+2h`."""
    return isinstance(text, str) and _RELATIVE.fullmatch(text) is not None


def parse_relative(text: str, now: datetime) -> datetime:
    """`now`, `now-90s`, `now+2h`, `now-1d` against `now` (units s, m, h, d; nothing else)."""
    match = _RELATIVE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a relative time (now, now-15m, now+2h; units s, m, h, d)")
    sign, amount, unit = match.groups()
    if sign is None:
        return now
    delta = timedelta(**{_UNITS[unit]: int(amount)})
    return now - delta if sign == "-" else now + delta


def parse_duration(text: str) -> timedelta:
    """`30s`, `5m`, `2h`, `1d` as a timedelta (a single positive amount and unit)."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a duration (30s, 5m, 2h, 1d)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def to_utc(dt: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def rfc3339(dt: datetime) -> str:
    """`2026-11-22T21:40:00Z`, with fractional seconds only when there are any."""
    dt = to_utc(dt)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0") + "Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | datetime) -> datetime:
    """An RFC 3339 string (`Z` or an offset) or a datetime, as an aware UTC datetime."""
    if isinstance(value, datetime):
        return to_utc(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as e:
        raise ValueError(f"{value!r} is not an RFC 3339 time") from e
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone (add Z or an offset)")
    return parsed.astimezone(UTC)


def epoch_ms(dt: datetime) -> int:
    """Milliseconds since the epoch, as CloudWatch Logs counts them."""
    return round(to_utc(dt).timestamp() * 1000)
