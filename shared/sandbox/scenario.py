"""Scenario files (SCENARIOS.md): strict models, the loader, and resolution against a `now`.

Every time in a scenario is relative (`now-15m`); `Scenario.resolve(now)` turns the whole file into
absolute UTC data the sandbox servers are seeded from (see `shared.sandbox.resolved`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from shared.contracts import CauseCategory, Platform, Trigger
from shared.errors import ScenarioError
from shared.sandbox.resolved import ResolvedScenario, alertmanager_payload, resolve_scenario
from shared.timeutil import is_relative, parse_duration

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_AGENT_NAME = re.compile(r"^[a-z0-9_]+$")
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
    from shared.timeutil import parse_relative

    return parse_relative(text, _EPOCH) - _EPOCH


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AlertmanagerAlert(_Strict):
    labels: StringMap
    annotations: StringMap = Field(default_factory=dict)
    startsAt: RelTime
    endsAt: RelTime | None = None
    generatorURL: str | None = None

    @model_validator(mode="after")
    def _check(self) -> AlertmanagerAlert:
        if "alertname" not in self.labels:
            raise ValueError("labels must include alertname")
        if self.endsAt is not None and offset(self.endsAt) < offset(self.startsAt):
            raise ValueError("endsAt is before startsAt")
        return self


class Alert(_Strict):
    platform: Platform
    channel: StrId
    at: RelTime
    text: str | None = None
    alerts: list[AlertmanagerAlert] | None = None

    @model_validator(mode="after")
    def _check(self) -> Alert:
        if self.platform is Platform.ALERTMANAGER:
            if not self.alerts:
                raise ValueError("an alertmanager alert needs `alerts` (a non-empty list)")
            if self.text is not None:
                raise ValueError("an alertmanager alert has `alerts` instead of `text`")
        else:
            if not self.text or not self.text.strip():
                raise ValueError(f"a {self.platform.value} alert needs `text`")
            if self.alerts is not None:
                raise ValueError("`alerts` is only for platform alertmanager")
        return self


class Context(_Strict):
    cluster: str | None = None
    region: str | None = None


class ChatMessage(_Strict):
    at: RelTime
    user: StrId
    text: str
    bot: bool = False


class ChatChannel(_Strict):
    id: StrId
    name: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(default_factory=list)


class ChatSource(_Strict):
    channels: list[ChatChannel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ChatSource:
        _require_unique([c.id for c in self.channels], "channel id")
        return self


class DiscordSource(ChatSource):
    @model_validator(mode="after")
    def _numeric_ids(self) -> DiscordSource:
        for channel in self.channels:
            if not channel.id.isdigit():
                raise ValueError(f"discord channel id {channel.id!r} is not a numeric string")
        return self


class LogEvent(_Strict):
    at: RelTime
    message: str
    every: Duration | None = None
    count: int = Field(default=1, ge=1, le=100_000)

    @model_validator(mode="after")
    def _check(self) -> LogEvent:
        if self.count > 1 and self.every is None:
            raise ValueError("a repeated event (count > 1) needs `every`")
        return self


class LogStream(_Strict):
    name: str = Field(min_length=1, max_length=512)
    events: list[LogEvent] = Field(default_factory=list)


class LogGroup(_Strict):
    name: str = Field(min_length=1, max_length=512)
    streams: list[LogStream] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> LogGroup:
        _require_unique([s.name for s in self.streams], "stream name")
        return self


class CloudWatchLogsSource(_Strict):
    log_groups: list[LogGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> CloudWatchLogsSource:
        _require_unique([g.name for g in self.log_groups], "log group name")
        return self


class KubernetesSource(_Strict):
    # Objects are free-form manifests: only what every object has is checked.
    objects: list[dict[str, Any]] = Field(default_factory=list)
    pod_logs: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> KubernetesSource:
        for index, obj in enumerate(self.objects):
            metadata = obj.get("metadata")
            if not obj.get("apiVersion") or not obj.get("kind"):
                raise ValueError(f"objects.{index}: needs apiVersion and kind")
            if not isinstance(metadata, dict) or not metadata.get("name"):
                raise ValueError(f"objects.{index}: needs metadata.name")
        for key in self.pod_logs:
            if not _POD_LOG_KEY.match(key):
                raise ValueError(f"pod_logs key {key!r} is not namespace/pod/container[/previous]")
        return self


class Segment(_Strict):
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


class Series(_Strict):
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


class PrometheusSource(_Strict):
    step: Duration = "30s"
    series: list[Series] = Field(default_factory=list)
    rules: str | None = None

    @model_validator(mode="after")
    def _check(self) -> PrometheusSource:
        if parse_duration(self.step) <= timedelta(0):
            raise ValueError("step must be positive")
        _require_unique([tuple(sorted(s.labels.items())) for s in self.series], "series label set")
        if self.rules is not None:
            try:
                parsed = yaml.safe_load(self.rules)
            except yaml.YAMLError as e:
                raise ValueError(f"rules is not YAML: {e}") from e
            if not isinstance(parsed, dict) or not isinstance(parsed.get("groups"), list):
                raise ValueError("rules must be a rule file with a `groups:` list")
        return self


class Sources(_Strict):
    slack: ChatSource | None = None
    discord: DiscordSource | None = None
    cloudwatch_logs: CloudWatchLogsSource | None = None
    kubernetes: KubernetesSource | None = None
    prometheus: PrometheusSource | None = None


class Expected(_Strict):
    category: CauseCategory
    trigger: Trigger | None = None
    must_mention: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    must_not_mention: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    evidence_from: list[Annotated[str, Field(pattern=_AGENT_NAME.pattern)]] = Field(default_factory=list)


class Scenario(_Strict):
    id: str
    title: str = Field(min_length=1)
    tags: list[StrId] = Field(default_factory=list)
    alert: Alert
    context: Context = Field(default_factory=Context)
    sources: Sources = Field(default_factory=Sources)
    expected: Expected

    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_id(self) -> Scenario:
        if not _KEBAB.match(self.id):
            raise ValueError(f"id {self.id!r} is not kebab-case")
        return self

    @property
    def path(self) -> Path | None:
        """The file this scenario was loaded from, if any."""
        return self._path

    def resolve(self, now: datetime | None = None) -> ResolvedScenario:
        """Absolute UTC data for every source; `now` defaults to the current second."""
        return resolve_scenario(self, now)

    def alertmanager_payload(
        self,
        now: datetime | None = None,
        *,
        receiver: str = "sre-on-call",
        external_url: str = "http://127.0.0.1:9093",
    ) -> dict[str, Any]:
        """The version-4 Alertmanager webhook body for an alertmanager scenario."""
        return alertmanager_payload(self.resolve(now), receiver=receiver, external_url=external_url)


def _require_unique(values: Iterable[object], what: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings: a scenario's times must reach us as written."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(part) for part in error["loc"] if part not in {"function-after[_check()]"})
    kind = error["type"]
    if kind == "extra_forbidden":
        problem = "unknown key"
    elif kind == "missing":
        problem = "missing"
    else:
        problem = str(error["msg"]).removeprefix("Value error, ")
    if kind not in {"extra_forbidden", "missing", "value_error"} and "input" in error:
        problem = f"{error['input']!r}: {problem}"
    return f"{loc}: {problem}" if loc else problem


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML; errors name `source`, the key path and the problem."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario is a YAML mapping, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(_describe(dict(err)) for err in e.errors())
        raise ScenarioError(f"{source}: {problems}") from e


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; its id must equal the file name (`<id>.yaml`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read: {e.strerror or e}") from e
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise ScenarioError(f"{path}: not valid YAML: {e}") from e
    scenario = parse_scenario(data, str(path))
    if path.stem != scenario.id:
        raise ScenarioError(f"{path}: id: {scenario.id!r} does not match the file name {path.name!r}")
    scenario._path = path
    return scenario


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """The scenario files named by `paths`: files as given, directories searched for *.yaml/*.yml."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
            if not found:
                raise ScenarioError(f"{path}: no scenario files (*.yaml) in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or directory")
    return files


def load_scenarios(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario under `paths` (files or directories), ids unique across them."""
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    for file in scenario_files(paths):
        scenario = load_scenario(file)
        if scenario.id in seen:
            raise ScenarioError(f"{file}: id: {scenario.id!r} is also used by {seen[scenario.id]}")
        seen[scenario.id] = file
        scenarios.append(scenario)
    return scenarios
