"""Pod logs as `GET .../pods/{name}/log` serves them: which container, which instance (current or
`previous`), and the kubelet's options (`sinceSeconds`/`sinceTime`, `tailLines`, `limitBytes`,
`timestamps`), with the API server's 400 messages for a container it cannot show.

A scenario's log text has no per-line times. A line that starts with an RFC 3339 time carries
its own; any other line takes the time of the line before it, and lines before the first such
time take the container's start time. Those times are what `sinceSeconds` filters on and what
`timestamps=true` prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_LEADING_TIME = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")


class LogError(Exception):
    """The API server's answer for a log it cannot show: HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class LogOptions:
    container: str | None = None
    previous: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: datetime | None = None
    limit_bytes: int | None = None
    timestamps: bool = False


def parse_time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text.strip().replace(",", ".").replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _containers(pod: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    spec = pod.get("spec") or {}

    def names(key: str) -> list[str]:
        return [str(c.get("name")) for c in spec.get(key) or [] if isinstance(c, Mapping) and c.get("name")]

    return names("containers"), names("initContainers") + names("ephemeralContainers")


def _status(pod: Mapping[str, Any], container: str) -> Mapping[str, Any]:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            if isinstance(entry, Mapping) and entry.get("name") == container:
                return entry
    return {}


def choose_container(pod: Mapping[str, Any], requested: str | None, logged: list[str]) -> str:
    """The container a log request is for; `logged` are the containers the scenario has logs for."""
    name = str((pod.get("metadata") or {}).get("name"))
    main, other = _containers(pod)
    if requested:
        if (main or other) and requested not in main + other:
            raise LogError(400, f"container {requested} is not valid for pod {name}")
        return requested
    if len(main) == 1:
        return main[0]
    if not main and len(set(logged)) == 1:
        return logged[0]
    choices = " ".join(main or sorted(set(logged)))
    message = f"a container name must be specified for pod {name}, choose one of: [{choices}]"
    if other:
        message += f" or one of the init containers: [{' '.join(other)}]"
    raise LogError(400, message)


def start_time(pod: Mapping[str, Any], container: str, previous: bool) -> datetime | None:
    entry = _status(pod, container)
    state = (entry.get("lastState") if previous else entry.get("state")) or {}
    for phase in ("running", "terminated"):
        started = (state.get(phase) or {}).get("startedAt")
        if started:
            return parse_time(str(started))
    created = (pod.get("metadata") or {}).get("creationTimestamp")
    return parse_time(str(created)) if created else None


def missing_log(pod: Mapping[str, Any], container: str, previous: bool) -> LogError | None:
    """The error for a container with no log in the scenario, or None when an empty log is right."""
    name = str((pod.get("metadata") or {}).get("name"))
    if previous:
        return LogError(400, f'previous terminated container "{container}" in pod "{name}" not found')
    entry = _status(pod, container)
    waiting = (entry.get("state") or {}).get("waiting")
    if isinstance(waiting, Mapping) and not entry.get("restartCount"):
        reason = waiting.get("reason") or "ContainerCreating"
        return LogError(400, f'container "{container}" in pod "{name}" is waiting to start: {reason}')
    return None


def render_log(text: str, options: LogOptions, first_time: datetime | None, now: datetime) -> str:
    """`text` cut and decorated as the kubelet would for `options`."""
    lines = text.splitlines(keepends=True)
    timed: list[tuple[datetime | None, str]] = []
    current = first_time
    for line in lines:
        match = _LEADING_TIME.match(line)
        if match and (own := parse_time(match.group(1))) is not None:
            current = own
        timed.append((current, line if line.endswith("\n") else line + "\n"))
    cutoff = options.since_time
    if options.since_seconds is not None:
        by_seconds = now.timestamp() - options.since_seconds
        cutoff = datetime.fromtimestamp(by_seconds, UTC) if cutoff is None else cutoff
    if cutoff is not None:
        timed = [(at, line) for at, line in timed if at is None or at >= cutoff]
    if options.tail_lines is not None:
        timed = timed[-options.tail_lines :] if options.tail_lines > 0 else []
    if options.timestamps:
        stamp_default = first_time or now
        out = "".join(f"{_rfc3339_nano(at or stamp_default)} {line}" for at, line in timed)
    else:
        out = "".join(line for _, line in timed)
    if options.limit_bytes is not None:
        out = out.encode("utf-8")[: options.limit_bytes].decode("utf-8", errors="ignore")
    return out


def _rfc3339_nano(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond * 1000:09d}Z"
