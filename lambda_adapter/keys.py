"""Dedup keys: one place decides what counts as "the same".

- a delivery: Slack `event_id` (retries carry the same one), a Discord interaction id, a slash
  command's `trigger_id`, an Alertmanager body's hash (its own retries resend the same bytes);
- a subject: the alert message (`channel` + `ts`), an Alertmanager group (`groupKey`), a snapshot
  per channel;
- a re-post: the alert text with what changes between re-posts (times, counts, ids) blanked out;
- a storm: one service (or namespace) in one channel.
"""

from __future__ import annotations

import hashlib
import re

_VOLATILE = (
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| ?UTC)?"),
    re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"),
    re.compile(r"\b\d{5,}\b"),  # epoch times, message ids
    re.compile(r"\[(FIRING|RESOLVED):\d+\]", re.IGNORECASE),
)
_SPACE = re.compile(r"\s+")


def _digest(text: str, size: int = 24) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:size]


def normalise_alert_text(text: str) -> str:
    """The alert text with timestamps, counters and long ids blanked, case and spacing folded."""
    for pattern in _VOLATILE:
        text = pattern.sub("#", text)
    return _SPACE.sub(" ", text).strip().lower()


def delivery(source: str, delivery_id: str) -> str:
    return f"delivery:{source}:{delivery_id}"


def delivery_body(source: str, body: bytes) -> str:
    return f"delivery:{source}:{hashlib.sha256(body).hexdigest()[:32]}"


def message(platform: str, channel: str, message_id: str) -> str:
    return f"msg:{platform}:{channel}:{message_id}"


def repost(platform: str, channel: str, text: str) -> str | None:
    """None for text too short to say two posts are the same alert."""
    normal = normalise_alert_text(text)
    if len(normal) < 12:
        return None
    return f"repost:{platform}:{channel}:{_digest(normal)}"


def alert_group(group_key: str) -> str:
    return f"am-group:{_digest(group_key, 32)}"


def snapshot(platform: str, channel: str) -> str:
    return f"snapshot:{platform}:{channel}"


def storm(platform: str, channel: str, group: str) -> str:
    return f"storm:{platform}:{channel}:{_digest(group, 16)}"


def job_run(investigation_id: str) -> str:
    """Held while (and after) a job of this investigation runs: a redriven job does not run twice."""
    return f"run:{investigation_id}"


def investigation_id(platform: str, subject_key: str, now: float) -> str:
    """Stable for one claim of one subject, different for a later claim of the same subject."""
    return f"{platform}-{_digest(f'{subject_key}@{now:.6f}', 20)}"
