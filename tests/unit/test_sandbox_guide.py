"""What `sandbox up` tells a new user: the scenario it loaded, where every part listens, and
commands that poke each one, with no secret in them."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path

from sandbox.guide import DEFAULT_STATE, guide
from sandbox.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
INFO = {
    "moto": "http://127.0.0.1:5001",
    "prometheus": "http://127.0.0.1:9091",
    "alertmanager": "http://127.0.0.1:9094",
    "stand_ins": {"kubernetes": "http://127.0.0.1:6001", "slack": "http://127.0.0.1:6002"},
    "agents": {
        "master": "http://127.0.0.1:7001",
        "eks": "http://127.0.0.1:7002",
        "cloudwatch_logs_staging": "http://127.0.0.1:7003",
    },
    "intake": "http://127.0.0.1:8001",
    "workdir": "/tmp/sre-on-call-sandbox-x",
    "start_seconds": 7.84,
}


def test_it_names_the_scenario_every_url_and_a_command_for_each_part() -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/oom-after-deploy.yaml")
    resolved = scenario.resolve(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    text = guide(INFO, scenario=scenario, resolved=resolved, state=DEFAULT_STATE, region="us-east-1")
    assert f"scenario loaded: {scenario.id}: {scenario.title}" in text
    assert "expected cause: oom" in text
    for url in ("5001", "9091", "9094", "6001", "6002", "7001", "7002", "8001"):
        assert f"http://127.0.0.1:{url}" in text
    [investigate] = [line for line in text.splitlines() if "sre-on-call investigate" in line]
    argv = shlex.split(investigate)
    assert argv[argv.index("--channel") + 1] == resolved.alert.channel
    assert "--sandbox" not in argv  # the default state file is found by itself
    pasted = argv[argv.index("--text") + 1]
    assert "KubePodCrashLooping" in pasted and "<@" not in pasted  # the bot's mention is not pasted
    assert "/api/v2/alerts" in text and "/api/v1/query?query=" in text and "describe-log-groups" in text
    assert "Ctrl-C" in text
    assert "agent cloudwatch_logs_staging  http://127.0.0.1:7003" in text  # a long id keeps its gap


def test_another_state_file_is_passed_to_investigate_and_no_scenario_is_said() -> None:
    text = guide(INFO, scenario=None, resolved=None, state=Path("/tmp/other.json"), region="eu-west-1")
    assert "no scenario loaded" in text
    assert "--sandbox /tmp/other.json" in text and "--region eu-west-1" in text


def test_an_alertmanager_scenario_is_pasted_as_its_firing_line() -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/alertmanager-latency-config.yaml")
    resolved = scenario.resolve(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    text = guide(INFO, scenario=scenario, resolved=resolved, state=DEFAULT_STATE, region="us-east-1")
    alertname = resolved.alert.alerts[0].labels["alertname"]
    assert f"[FIRING:{len(resolved.alert.alerts)}] {alertname}" in text
    assert f'"alertname": "{alertname}"' in text  # the curl into Alertmanager carries its labels
