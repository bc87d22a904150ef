"""A scenario with every relative time made absolute: what the sandbox servers are seeded from."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.timeutil import is_relative, parse_duration, parse_relative, rfc3339, to_utc

if TYPE_CHECKING:
    from sandbox.scenario import Context, Expected, Scenario, Series

# Alertmanager's zero time, sent as endsAt of an alert that is still firing.
ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class ResolvedMessage:
    at: datetime
    user: str
    text: str
    bot: bool = False


@dataclass(frozen=True)
class ResolvedChannel:
    id: str
    name: str
    messages: tuple[ResolvedMessage, ...]


@dataclass(frozen=True)
class ResolvedLogEvent:
    timestamp: datetime
    message: str


@dataclass(frozen=True)
class ResolvedLogStream:
    name: str
    events: tuple[ResolvedLogEvent, ...]  # sorted by time


@dataclass(frozen=True)
class ResolvedLogGroup:
    name: str
    streams: tuple[ResolvedLogStream, ...]


@dataclass(frozen=True)
class ResolvedSeries:
    labels: dict[str, str]
    samples: tuple[tuple[datetime, float], ...]  # sorted by time, one per step

    @property
    def name(self) -> str:
        return self.labels["__name__"]


@dataclass(frozen=True)
class ResolvedPrometheus:
    step: timedelta
    series: tuple[ResolvedSeries, ...]
    rules: str | None


@dataclass(frozen=True)
class ResolvedAlertmanagerAlert:
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str

    def status(self, now: datetime) -> str:
        return "resolved" if self.ends_at is not None and self.ends_at <= now else "firing"


@dataclass(frozen=True)
class ResolvedAlert:
    platform: str
    channel: str
    at: datetime
    text: str | None
    alerts: tuple[ResolvedAlertmanagerAlert, ...]


@dataclass(frozen=True)
class ResolvedScenario:
    id: str
    title: str
    now: datetime
    alert: ResolvedAlert
    context: Context
    expected: Expected
    tags: tuple[str, ...] = ()
    slack_channels: tuple[ResolvedChannel, ...] = ()
    discord_channels: tuple[ResolvedChannel, ...] = ()
    log_groups: tuple[ResolvedLogGroup, ...] = ()
    kube_objects: tuple[dict[str, Any], ...] = ()
    pod_logs: dict[str, str] = field(default_factory=dict)
    prometheus: ResolvedPrometheus | None = None

    @property
    def region(self) -> str:
        return self.context.region or "us-east-1"


def resolve_scenario(scenario: Scenario, now: datetime | None = None) -> ResolvedScenario:
    """Every relative time of `scenario` against `now` (UTC, whole seconds)."""
    now = to_utc(now or datetime.now(UTC)).replace(microsecond=0)
    sources = scenario.sources

    def at(text: str) -> datetime:
        return parse_relative(text, now)

    def channels(source: Any) -> tuple[ResolvedChannel, ...]:
        if source is None:
            return ()
        return tuple(
            ResolvedChannel(
                id=c.id,
                name=c.name,
                messages=tuple(ResolvedMessage(at(m.at), m.user, m.text, m.bot) for m in c.messages),
            )
            for c in source.channels
        )

    log_groups: tuple[ResolvedLogGroup, ...] = ()
    if sources.cloudwatch_logs is not None:
        log_groups = tuple(
            ResolvedLogGroup(g.name, tuple(_resolve_stream(s, now) for s in g.streams))
            for g in sources.cloudwatch_logs.log_groups
        )
    kube = sources.kubernetes
    prom = sources.prometheus
    prometheus = None
    if prom is not None:
        step = parse_duration(prom.step)
        prometheus = ResolvedPrometheus(
            step, tuple(_expand_series(s, now, step) for s in prom.series), prom.rules
        )
    alert = scenario.alert
    return ResolvedScenario(
        id=scenario.id,
        title=scenario.title,
        now=now,
        tags=tuple(scenario.tags),
        alert=ResolvedAlert(
            platform=alert.platform.value,
            channel=alert.channel,
            at=at(alert.at),
            text=alert.text,
            alerts=tuple(
                ResolvedAlertmanagerAlert(
                    labels=dict(a.labels),
                    annotations=dict(a.annotations),
                    starts_at=at(a.startsAt),
                    ends_at=at(a.endsAt) if a.endsAt else None,
                    generator_url=a.generatorURL or "",
                )
                for a in alert.alerts or ()
            ),
        ),
        context=scenario.context,
        expected=scenario.expected,
        slack_channels=channels(sources.slack),
        discord_channels=channels(sources.discord),
        log_groups=log_groups,
        kube_objects=tuple(resolve_times_deep(copy.deepcopy(o), now) for o in kube.objects) if kube else (),
        pod_logs=dict(kube.pod_logs) if kube else {},
        prometheus=prometheus,
    )


def _resolve_stream(stream: Any, now: datetime) -> ResolvedLogStream:
    events: list[ResolvedLogEvent] = []
    for event in stream.events:
        first = parse_relative(event.at, now)
        every = parse_duration(event.every) if event.every else timedelta(0)
        events.extend(ResolvedLogEvent(first + every * i, event.message) for i in range(event.count))
    events.sort(key=lambda e: e.timestamp)  # stable: same-time events keep the file's order
    return ResolvedLogStream(stream.name, tuple(events))


def _expand_series(series: Series, now: datetime, step: timedelta) -> ResolvedSeries:
    """One sample per step from the first segment's start to the last one's end (inclusive).

    A segment covers [from, to); the last one also its `to`, so a boundary belongs to the later segment.
    """
    segments = [(parse_relative(s.from_, now), parse_relative(s.to, now), s) for s in series.samples]
    start, end = segments[0][0], segments[-1][1]
    samples: list[tuple[datetime, float]] = []
    index = 0
    t = start
    while t <= end:
        while index < len(segments) - 1 and t >= segments[index][1]:
            index += 1
        seg_from, seg_to, seg = segments[index]
        if seg.ramp is not None:
            first, last = seg.ramp
            fraction = (t - seg_from) / (seg_to - seg_from)
            value = first + (last - first) * fraction
        else:
            value = float(seg.value)  # type: ignore[arg-type]  # checked: exactly one of value/ramp
        samples.append((t, value))
        t += step
    return ResolvedSeries(dict(series.labels), tuple(samples))


def resolve_times_deep(value: Any, now: datetime) -> Any:
    """Replace every string of exactly the relative form (`now-5m`) by its RFC 3339 time, in place."""
    if isinstance(value, str):
        return rfc3339(parse_relative(value, now)) if is_relative(value) else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = resolve_times_deep(item, now)
        return value
    if isinstance(value, list):
        return [resolve_times_deep(item, now) for item in value]
    return value


_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF


def fingerprint(labels: dict[str, str]) -> str:
    """Prometheus' label-set fingerprint (FNV-1a 64 over sorted names and values), as 16 hex digits."""
    digest = _FNV_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), bytes([_SEPARATOR]), labels[name].encode(), bytes([_SEPARATOR])):
            for byte in chunk:
                digest = ((digest ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    common = dict(maps[0])
    for other in maps[1:]:
        common = {k: v for k, v in common.items() if other.get(k) == v}
    return common


def scenario_group_by(resolved: ResolvedScenario) -> tuple[str, ...]:
    """The labels Alertmanager groups the scenario's alerts by: those they all share, so that the
    alerts of a scenario arrive as one notification, as the scenario format promises ("the
    webhook's alerts"), however many rules fired: by `alertname` when they are one rule's, else by
    every label they share (none shared: one group for all)."""
    common = _common([a.labels for a in resolved.alert.alerts])
    return ("alertname",) if "alertname" in common else tuple(sorted(common))


def alertmanager_payload(
    resolved: ResolvedScenario,
    *,
    receiver: str = "sre-on-call",
    external_url: str = "http://127.0.0.1:9093",
) -> dict[str, Any]:
    """The version-4 webhook Alertmanager would send for the scenario's alerts (one group)."""
    if resolved.alert.platform != "alertmanager":
        raise ValueError(f"scenario {resolved.id} alerts through {resolved.alert.platform}, not alertmanager")
    now = resolved.now
    alerts: list[dict[str, Any]] = []
    for alert in resolved.alert.alerts:
        alerts.append(
            {
                "status": alert.status(now),
                "labels": dict(alert.labels),
                "annotations": dict(alert.annotations),
                "startsAt": rfc3339(alert.starts_at),
                "endsAt": rfc3339(alert.ends_at) if alert.ends_at else ZERO_TIME,
                "generatorURL": alert.generator_url,
                "fingerprint": fingerprint(alert.labels),
            }
        )
    common_labels = _common([a.labels for a in resolved.alert.alerts])
    group_labels = {k: common_labels[k] for k in scenario_group_by(resolved)}
    group_key = "{}:{" + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(group_labels.items())) + "}"
    return {
        "receiver": receiver,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": _common([a.annotations for a in resolved.alert.alerts]),
        "externalURL": external_url,
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }
