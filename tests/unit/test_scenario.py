from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.scenario import load_scenario, load_scenarios, parse_scenario
from shared.contracts import CauseCategory, Platform
from shared.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"
TEST_SCENARIOS = ROOT / "tests" / "scenarios"
NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)


def minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "oom",
        "title": "t",
        "alert": {"platform": "slack", "channel": "C1", "at": "now-2m", "text": "hello"},
        "expected": {"category": "oom"},
    }
    data.update(overrides)
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str | None = None) -> Path:
    path = tmp_path / f"{name or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_shipped_examples_load() -> None:
    scenarios = load_scenarios([EXAMPLES])
    ids = {s.id for s in scenarios}
    assert {"oom-after-deploy", "db-pool-exhausted"} <= ids
    oom = next(s for s in scenarios if s.id == "oom-after-deploy")
    assert oom.expected.category is CauseCategory.OOM
    assert oom.alert.platform is Platform.SLACK
    assert oom.path == EXAMPLES / "oom-after-deploy.yaml"


def test_the_blind_sets_load_with_unique_ids_named_after_their_files() -> None:
    """The blind sets were written by people who never read the loader: each must keep loading."""
    scenarios = load_scenarios([ROOT / "examples" / "blind"])
    assert len(scenarios) >= 72
    assert len({s.id for s in scenarios}) == len(scenarios)
    assert all(s.path is not None and s.path.stem == s.id for s in scenarios)


def test_error_names_file_key_path_and_problem(tmp_path: Path) -> None:
    data = minimal(
        sources={
            "slack": {
                "channels": [
                    {
                        "id": "C1",
                        "name": "alerts",
                        "messages": [
                            {"at": "now-9m", "user": "U1", "text": "a"},
                            {"at": "now-8m", "user": "U1", "text": "b"},
                            {"at": "now-5x", "user": "U1", "text": "c"},
                        ],
                    }
                ]
            }
        }
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, data))
    message = str(err.value)
    assert message.startswith(str(tmp_path / "oom.yaml") + ": ")
    assert "sources.slack.channels.0.messages.2.at: 'now-5x' is not a relative time" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"colour": "red"}, "colour: unknown key"),
        (
            {"alert": {"platform": "slack", "channel": "C1", "at": "now", "text": "x", "sev": 1}},
            "alert.sev: unknown key",
        ),
        ({"expected": {"category": "oom-ish"}}, "expected.category"),
        ({"expected": {"category": "oom", "trigger": "moon"}}, "expected.trigger"),
        ({"expected": {"category": "oom", "evidence_from": ["EKS agent"]}}, "expected.evidence_from.0"),
        ({"expected": {}}, "expected.category: missing"),
        ({"alert": {"platform": "teams", "channel": "C1", "at": "now", "text": "x"}}, "alert.platform"),
        ({"alert": {"platform": "slack", "channel": "C1", "at": "now"}}, "alert: a slack alert needs `text`"),
        (
            {"alert": {"platform": "alertmanager", "channel": "C1", "at": "now", "text": "x"}},
            "needs `alerts`",
        ),
        ({"sources": {"discord": {"channels": [{"id": "general", "name": "g"}]}}}, "not a numeric string"),
        ({"sources": {"teams": {}}}, "sources.teams: unknown key"),
        # Google's region name: the sandbox's AWS would fail on it, and every scenario after it.
        ({"context": {"region": "us-central1"}}, "context.region: 'us-central1'"),
    ],
)
def test_schema_violations_are_reported(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError, match="oom.yaml: .*" + re.escape(expected)):
        load_scenario(write(tmp_path, minimal(**change)))


def test_id_must_be_kebab_case_and_match_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="does not match the file name"):
        load_scenario(write(tmp_path, minimal(), name="other"))
    with pytest.raises(ScenarioError, match="not kebab-case"):
        load_scenario(write(tmp_path, minimal(id="Oom_Case")))


def test_log_events_must_be_well_formed(tmp_path: Path) -> None:
    def groups(event: dict[str, Any]) -> dict[str, Any]:
        stream = {"name": "s", "events": [event]}
        return {"cloudwatch_logs": {"log_groups": [{"name": "/g", "streams": [stream]}]}}

    path = write(tmp_path, minimal(sources=groups({"at": "now", "count": 3, "message": "m"})))
    with pytest.raises(ScenarioError, match=r"events\.0: a repeated event \(count > 1\) needs `every`"):
        load_scenario(path)
    path = write(tmp_path, minimal(sources=groups({"at": "now", "every": "1x", "count": 2, "message": "m"})))
    with pytest.raises(ScenarioError, match=r"events\.0\.every: '1x' is not a duration"):
        load_scenario(path)


def prometheus(*segments: dict[str, Any], **extra: Any) -> dict[str, Any]:
    series = {"labels": {"__name__": "up", "job": "api"}, "samples": list(segments)}
    return {"prometheus": {"step": "60s", "series": [series], **extra}}


def test_prometheus_segments_are_checked(tmp_path: Path) -> None:
    gap = prometheus(
        {"from": "now-10m", "to": "now-5m", "value": 1}, {"from": "now-4m", "to": "now", "value": 0}
    )
    with pytest.raises(ScenarioError, match="segments are not consecutive"):
        load_scenario(write(tmp_path, minimal(sources=gap)))
    both = prometheus({"from": "now-10m", "to": "now", "value": 1, "ramp": [1, 2]})
    with pytest.raises(ScenarioError, match="exactly one of `value` or `ramp"):
        load_scenario(write(tmp_path, minimal(sources=both)))
    backwards = prometheus({"from": "now", "to": "now-10m", "value": 1})
    with pytest.raises(ScenarioError, match="is not after"):
        load_scenario(write(tmp_path, minimal(sources=backwards)))
    bad_rules = prometheus({"from": "now-10m", "to": "now", "value": 1}, rules="- not a rule file")
    with pytest.raises(ScenarioError, match="`groups:` list"):
        load_scenario(write(tmp_path, minimal(sources=bad_rules)))


def test_numeric_strings_are_numbers(tmp_path: Path) -> None:
    # YAML 1.1 reads 2.1e8 (no exponent sign) as a string; it must still be a number.
    path = tmp_path / "oom.yaml"
    path.write_text(
        yaml.safe_dump(minimal())
        + "sources:\n  prometheus:\n    series:\n"
        + "      - labels: {__name__: mem, code: 201}\n"
        + "        samples:\n          - {from: now-2m, to: now, value: 2.1e8}\n",
        encoding="utf-8",
    )
    resolved = load_scenario(path).resolve(NOW)
    assert resolved.prometheus is not None
    series = resolved.prometheus.series[0]
    assert series.labels == {"__name__": "mem", "code": "201"}
    assert [v for _, v in series.samples] == [2.1e8] * 5  # default step 30s over 2 minutes, both ends


def test_absolute_timestamps_in_objects_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "oom.yaml"
    path.write_text(
        yaml.safe_dump(minimal())
        + "sources:\n  kubernetes:\n    objects:\n"
        + "      - apiVersion: v1\n        kind: Pod\n"
        + "        metadata: {name: p, creationTimestamp: 2026-01-01T00:00:00Z}\n",
        encoding="utf-8",
    )
    obj = load_scenario(path).resolve(NOW).kube_objects[0]
    assert obj["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"


def test_kubernetes_objects_need_identity(tmp_path: Path) -> None:
    data = minimal(sources={"kubernetes": {"objects": [{"apiVersion": "v1", "kind": "Pod", "metadata": {}}]}})
    with pytest.raises(ScenarioError, match=r"objects\.0: needs metadata\.name"):
        load_scenario(write(tmp_path, data))
    data = minimal(sources={"kubernetes": {"pod_logs": {"shop/pod": "x"}}})
    with pytest.raises(ScenarioError, match="namespace/pod/container"):
        load_scenario(write(tmp_path, data))


def test_directories_are_searched_and_ids_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", minimal())
    write(tmp_path / "b", minimal())
    with pytest.raises(ScenarioError, match="'oom' is also used by"):
        load_scenarios([tmp_path])
    with pytest.raises(ScenarioError, match="no scenario files"):
        load_scenarios([_empty(tmp_path)])
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenarios([tmp_path / "nope.yaml"])


def _empty(tmp_path: Path) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty


def test_invalid_yaml_and_non_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: not valid YAML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="a scenario is a YAML mapping"):
        parse_scenario(["x"], "list.yaml")


def test_shipped_test_scenario_resolves() -> None:
    resolved = load_scenario(TEST_SCENARIOS / "minimal-discord.yaml").resolve(NOW)
    assert resolved.alert.channel == "1100000000000000001"  # a YAML number, still an id string
    assert resolved.discord_channels[0].messages[0].at == NOW - timedelta(minutes=5)
    events = resolved.log_groups[0].streams[0].events
    assert [(e.timestamp, e.message) for e in events] == [
        (NOW - timedelta(minutes=10), "INFO started"),
        (NOW - timedelta(minutes=3), "ERROR boom"),
        (NOW - timedelta(minutes=2), "ERROR boom"),
        (NOW - timedelta(minutes=1), "ERROR boom"),
    ]


DUPLICATE_NESTED = """\
id: dup-nested
title: t
alert: {platform: slack, channel: C1, at: now-2m, text: hello}
sources:
  slack:
    channels:
      - id: C1
        name: alerts
        messages:
          - {at: now-9m, user: U1, text: first}
          - at: now-8m
            user: U1
            text: second
            text: the second text silently replaced the first
expected: {category: oom}
"""


@pytest.mark.parametrize(
    ("text", "key_path"),
    [
        (DUPLICATE_NESTED, "sources.slack.channels.0.messages.1.text"),
        (
            "id: dup-top\ntitle: t\nalert: {platform: slack, channel: C1, at: now-2m, text: hi}\n"
            "expected: {category: oom}\nexpected: {category: cpu_saturation}\n",
            "expected",
        ),
    ],
)
def test_a_repeated_yaml_key_is_an_error_naming_file_and_key_path(
    tmp_path: Path, text: str, key_path: str
) -> None:
    path = tmp_path / f"{text.split(chr(10), 1)[0].removeprefix('id: ')}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}: {key_path}: duplicate key"


def test_the_same_key_in_sibling_mappings_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "dup-nested.yaml"
    path.write_text(
        DUPLICATE_NESTED.replace("            text: the second text silently replaced the first\n", "")
    )
    assert load_scenario(path).sources.slack is not None


def test_the_same_kubernetes_object_twice_is_an_error(tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-1", "namespace": "shop"}}
    other_namespace = {**pod, "metadata": {"name": "api-1", "namespace": "web"}}
    other_kind = {**pod, "apiVersion": "apps/v1", "kind": "Deployment"}
    fine = minimal(sources={"kubernetes": {"objects": [pod, other_namespace, other_kind]}})
    assert len(load_scenario(write(tmp_path, fine)).sources.kubernetes.objects) == 3  # type: ignore[union-attr]
    twice = minimal(
        sources={"kubernetes": {"objects": [pod, other_kind, dict(pod, status={"phase": "Running"})]}}
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, twice))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'oom.yaml'}: sources.kubernetes")
    assert "objects.2: duplicate object v1 Pod shop/api-1 (also objects.0)" in message
