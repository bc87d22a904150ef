from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.timeutil import epoch_ms, is_relative, parse_duration, parse_relative, parse_time, rfc3339

NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("now-90s", NOW - timedelta(seconds=90)),
        ("now-15m", NOW - timedelta(minutes=15)),
        ("now+2h", NOW + timedelta(hours=2)),
        ("now-1d", NOW - timedelta(days=1)),
    ],
)
def test_relative_times_resolve_against_now(text: str, expected: datetime) -> None:
    assert parse_relative(text, NOW) == expected
    assert is_relative(text)


@pytest.mark.parametrize(
    "text", ["now-5x", "now - 5m", "now-5", "now-1.5h", "-5m", "Now-5m", "now-5m ", "", "5m"]
)
def test_anything_else_is_rejected(text: str) -> None:
    assert not is_relative(text)
    with pytest.raises(ValueError, match="not a relative time"):
        parse_relative(text, NOW)


def test_durations() -> None:
    assert parse_duration("30s") == timedelta(seconds=30)
    assert parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration("1d") == timedelta(days=1)
    for bad in ("30", "1h30m", "-5m", "5 m", "now-5m"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_rfc3339_is_utc_with_z() -> None:
    assert rfc3339(NOW) == "2026-11-22T21:40:00Z"
    plus_two = datetime(2026, 11, 22, 23, 40, tzinfo=timezone(timedelta(hours=2)))
    assert rfc3339(plus_two) == "2026-11-22T21:40:00Z"
    assert rfc3339(NOW.replace(microsecond=250_000)) == "2026-11-22T21:40:00.25Z"


def test_parse_time_accepts_rfc3339_and_datetimes() -> None:
    assert parse_time("2026-11-22T21:40:00Z") == NOW
    assert parse_time("2026-11-22T22:40:00+01:00") == NOW
    assert parse_time(NOW.replace(tzinfo=None)) == NOW
    assert parse_time(rfc3339(NOW)) == NOW
    with pytest.raises(ValueError, match="time zone"):
        parse_time("2026-11-22T21:40:00")
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_epoch_ms() -> None:
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 1, 500_000, tzinfo=UTC)) == 1500
