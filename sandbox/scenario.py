"""Scenario files (SCENARIOS.md): strict models, the loader, and resolution against a `now`.

Every time in a scenario is relative (`now-15m`); `Scenario.resolve(now)` turns the whole file into
absolute UTC data the sandbox servers are seeded from (see `sandbox.resolved`). The
`sources:` models live in `scenario_sources`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from sandbox.resolved import ResolvedScenario, alertmanager_payload, resolve_scenario
from sandbox.scenario_sources import (
    ChatChannel,
    ChatMessage,
    ChatSource,
    CloudWatchLogsSource,
    DiscordSource,
    KubernetesSource,
    LogEvent,
    LogGroup,
    LogStream,
    PrometheusSource,
    RelTime,
    Segment,
    Series,
    Sources,
    StrictModel,
    StrId,
    StringMap,
    offset,
)
from shared.contracts import CauseCategory, Platform, Trigger
from shared.errors import ScenarioError

__all__ = [
    "Alert",
    "AlertmanagerAlert",
    "ChatChannel",
    "ChatMessage",
    "ChatSource",
    "CloudWatchLogsSource",
    "Context",
    "DiscordSource",
    "Expected",
    "KubernetesSource",
    "LogEvent",
    "LogGroup",
    "LogStream",
    "PrometheusSource",
    "Scenario",
    "Segment",
    "Series",
    "Sources",
    "load_scenario",
    "load_scenarios",
    "parse_scenario",
    "scenario_files",
]

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_AGENT_NAME = re.compile(r"^[a-z0-9_]+$")


class AlertmanagerAlert(StrictModel):
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


class Alert(StrictModel):
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


class Context(StrictModel):
    cluster: str | None = None
    # An AWS region (`us-east-1`, `eu-central-2`, `us-gov-west-1`): the sandbox's AWS keeps the
    # scenario's logs there, and a name AWS does not know (`us-central1` is Google's) would break it.
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")] | None = None


class Expected(StrictModel):
    category: CauseCategory
    trigger: Trigger | None = None
    must_mention: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    must_not_mention: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    evidence_from: list[Annotated[str, Field(pattern=_AGENT_NAME.pattern)]] = Field(default_factory=list)


class Scenario(StrictModel):
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


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings: a scenario's times must reach us as written."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _duplicate_key(node: yaml.Node, path: tuple[str, ...] = ()) -> str | None:
    """The key path of the first key repeated in one mapping (YAML forbids it; PyYAML keeps the
    last silently), e.g. `sources.slack.channels.0.messages`; None when there is none."""
    if isinstance(node, yaml.MappingNode):
        seen: set[tuple[str, str]] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if (key.tag, key.value) in seen:
                    return ".".join((*path, name))
                seen.add((key.tag, key.value))
            found = _duplicate_key(value, (*path, name))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _duplicate_key(item, (*path, str(index)))
            if found:
                return found
    return None


def _load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document, rejecting a repeated key with `<source>: <key path>: duplicate key`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicate = _duplicate_key(node)
        if duplicate:
            raise ScenarioError(f"{source}: {duplicate}: duplicate key")
        return loader.construct_document(node)
    finally:
        loader.dispose()


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
        data = _load_yaml(text, str(path))
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
