"""The `sources:` part of a scenario (SCENARIOS.md) and the field types every part shares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.timeutil import is_relative, parse_duration, parse_relative

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_POD_LOG_KEY = re.compile(r"^[^/\s]+/[^/\s]+/[^/\s]+(?:/previous)?$")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _relative(text: str) -> str:
    if not is_relative(text):
        raise ValueError(f"{text!r} is not a relative time (now, now-15m, now+2h; units s, m, h, d)")
    return text


def _duration(text: str) -> str:
    parse_duration(text)
    return text


def _scalar_to_str(value: Any) -> Any:
    """Label values and ids written as YAML numbers or booleans are still strings on the wire."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _string_map(value: Any) -> Any:
    if isinstance(value, dict):
        return {_scalar_to_str(k): _scalar_to_str(v) for k, v in value.items()}
    return value


RelTime = Annotated[str, AfterValidator(_relative)]
Duration = Annotated[str, AfterValidator(_duration)]
StrId = Annotated[str, BeforeValidator(_scalar_to_str), Field(min_length=1)]
StringMap = Annotated[dict[str, str], BeforeValidator(_string_map)]


def offset(text: str) -> timedelta:
    """How far a relative time lies from `now` (negative in the past)."""
    return parse_relative(text, _EPOCH) - _EPOCH


class StrictModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def require_unique(values: Iterable[object], what: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


class ChatMessage(StrictModel):
    at: RelTime
    user: StrId
    text: str
    bot: bool = False


class ChatChannel(StrictModel):
    id: StrId
    name: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(default_factory=list)


class ChatSource(StrictModel):
    channels: list[ChatChannel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ChatSource:
        require_unique([c.id for c in self.channels], "channel id")
        return self


class DiscordSource(ChatSource):
    @model_validator(mode="after")
    def _numeric_ids(self) -> DiscordSource:
        for channel in self.channels:
            if not channel.id.isdigit():
                raise ValueError(f"discord channel id {channel.id!r} is not a numeric string")
        return self


class LogEvent(StrictModel):
    at: RelTime
    message: str
    every: Duration | None = None
    count: int = Field(default=1, ge=1, le=100_000)

    @model_validator(mode="after")
    def _check(self) -> LogEvent:
        if self.count > 1 and self.every is None:
            raise ValueError("a repeated event (count > 1) needs `every`")
        return self


class LogStream(StrictModel):
    name: str = Field(min_length=1, max_length=512)
    events: list[LogEvent] = Field(default_factory=list)


class LogGroup(StrictModel):
    name: str = Field(min_length=1, max_length=512)
    streams: list[LogStream] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> LogGroup:
        require_unique([s.name for s in self.streams], "stream name")
        return self


class CloudWatchLogsSource(StrictModel):
    log_groups: list[LogGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> CloudWatchLogsSource:
        require_unique([g.name for g in self.log_groups], "log group name")
        return self


class KubernetesSource(StrictModel):
    # Objects are free-form manifests: only what every object has is checked.
    objects: list[dict[str, Any]] = Field(default_factory=list)
    pod_logs: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> KubernetesSource:
        seen: dict[tuple[str, str, str, str], int] = {}
        for index, obj in enumerate(self.objects):
            metadata = obj.get("metadata")
            if not obj.get("apiVersion") or not obj.get("kind"):
                raise ValueError(f"objects.{index}: needs apiVersion and kind")
            if not isinstance(metadata, dict) or not metadata.get("name"):
                raise ValueError(f"objects.{index}: needs metadata.name")
            namespace = str(metadata.get("namespace") or "")
            identity = (str(obj["apiVersion"]), str(obj["kind"]), namespace, str(metadata["name"]))
            if identity in seen:
                where = f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
                raise ValueError(
                    f"objects.{index}: duplicate object {obj['apiVersion']} {obj['kind']} {where} "
                    f"(also objects.{seen[identity]})"
                )
            seen[identity] = index
        for key in self.pod_logs:
            if not _POD_LOG_KEY.match(key):
                raise ValueError(f"pod_logs key {key!r} is not namespace/pod/container[/previous]")
        return self


class Segment(StrictModel):
    from_: RelTime = Field(alias="from")
    to: RelTime
    value: float | None = None
    ramp: tuple[float, float] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> Segment:
        if (self.value is None) == (self.ramp is None):
            raise ValueError("a segment holds exactly one of `value` or `ramp: [start, end]`")
        if offset(self.to) <= offset(self.from_):
            raise ValueError(f"segment `to` ({self.to}) is not after `from` ({self.from_})")
        return self


class Series(StrictModel):
    labels: StringMap
    samples: list[Segment] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Series:
        name = self.labels.get("__name__", "")
        if not _METRIC_NAME.match(name):
            raise ValueError(f"labels.__name__ {name!r} is not a metric name")
        for label in self.labels:
            if label != "__name__" and not _LABEL_NAME.match(label):
                raise ValueError(f"label name {label!r} is not valid")
        for prev, nxt in zip(self.samples, self.samples[1:], strict=False):
            if offset(prev.to) != offset(nxt.from_):
                raise ValueError(
                    f"segments are not consecutive: one ends {prev.to}, the next starts {nxt.from_}"
                )
        return self


class PrometheusSource(StrictModel):
    step: Duration = "30s"
    series: list[Series] = Field(default_factory=list)
    rules: str | None = None

    @model_validator(mode="after")
    def _check(self) -> PrometheusSource:
        if parse_duration(self.step) <= timedelta(0):
            raise ValueError("step must be positive")
        require_unique([tuple(sorted(s.labels.items())) for s in self.series], "series label set")
        if self.rules is not None:
            try:
                parsed = yaml.safe_load(self.rules)
            except yaml.YAMLError as e:
                raise ValueError(f"rules is not YAML: {e}") from e
            if not isinstance(parsed, dict) or not isinstance(parsed.get("groups"), list):
                raise ValueError("rules must be a rule file with a `groups:` list")
        return self


class Sources(StrictModel):
    slack: ChatSource | None = None
    discord: DiscordSource | None = None
    cloudwatch_logs: CloudWatchLogsSource | None = None
    kubernetes: KubernetesSource | None = None
    prometheus: PrometheusSource | None = None
