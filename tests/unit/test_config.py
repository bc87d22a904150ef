from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from shared.config import AppConfig, load_config, parse_config
from shared.errors import ConfigError
from sre_on_call.cli import main

ROOT = Path(__file__).resolve().parents[2]


def shipped() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_shipped_config_is_valid_and_lists_the_five_scanners() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.master_id == "master"
    assert set(config.scanners()) == {
        "slack_scanner",
        "discord_scanner",
        "cloudwatch_logs",
        "eks",
        "prometheus",
    }
    assert config.defaults.deadline_seconds == 60


def test_every_scanner_in_config_has_its_agent_folder() -> None:
    config = load_config(ROOT / "config.yaml")
    for agent_id in config.agents:
        assert (ROOT / "agents" / agent_id / "agent.py").is_file(), agent_id


def test_unknown_key_is_rejected_with_its_path() -> None:
    data = shipped()
    data["agents"]["eks"]["prot"] = 1
    with pytest.raises(ConfigError, match=r"agents\.eks\.prot: Extra inputs are not permitted"):
        parse_config(data)


def test_wrong_type_names_the_key() -> None:
    data = shipped()
    data["agents"]["eks"]["port"] = "nine"
    with pytest.raises(ConfigError, match=r"agents\.eks\.port"):
        parse_config(data)


def test_duplicate_ports_and_missing_master_are_rejected() -> None:
    data = shipped()
    data["agents"]["eks"]["port"] = data["agents"]["prometheus"]["port"]
    with pytest.raises(ConfigError, match="share port"):
        parse_config(data)
    data = shipped()
    data["agents"]["master"]["role"] = "scanner"
    with pytest.raises(ConfigError, match="role: master"):
        parse_config(data)


def test_disabled_agent_is_not_a_scanner_and_budget_never_exceeds_deadline() -> None:
    data = shipped()
    data["agents"]["discord_scanner"]["enabled"] = False
    data["agents"]["eks"]["budget_seconds"] = 500
    config = parse_config(data)
    assert "discord_scanner" not in config.scanners()
    assert "discord_scanner" in config.scanners(enabled_only=False)
    assert config.budget_for("eks") == config.defaults.deadline_seconds


def test_mcp_server_needs_exactly_one_transport() -> None:
    data = shipped()
    data["agents"]["eks"]["mcp_servers"] = [{"name": "k8s"}]
    with pytest.raises(ConfigError, match="exactly one of command"):
        parse_config(data)


def test_config_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(ROOT / "config.yaml")]) == 0
    assert "ok" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: {eks: {port: 1}}\n")
    assert main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "agents.eks.port" in err and "greater than or equal to 1024" in err


def test_config_schema_command_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert "agents" in schema["properties"]
    assert AppConfig.model_json_schema()["required"] == ["agents"]


def test_config_check_with_no_file_reads_config_yaml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = shipped()
    data["agents"]["eks"]["enabled"] = False  # this file, not the shipped one, must be the one read
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.delenv("SRE_ON_CALL_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)

    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'config.yaml'}: ok")
    assert "eks" not in out.split("enabled scanners:")[1]
    assert "eks" not in load_config().scanners()


def test_config_check_says_which_file_it_read_when_none_is_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SRE_ON_CALL_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out.startswith(f"{ROOT / 'config.yaml'}: ok")

    elsewhere = tmp_path / "team.yaml"
    elsewhere.write_text(yaml.safe_dump(shipped()))
    monkeypatch.setenv("SRE_ON_CALL_CONFIG", str(elsewhere))
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out.startswith(f"{elsewhere}: ok")


def test_an_agent_of_no_known_kind_is_rejected_by_the_check_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = shipped()
    data["agents"]["promethues"] = data["agents"].pop("prometheus")  # a typo in the agent id
    typo = tmp_path / "config.yaml"
    typo.write_text(yaml.safe_dump(data))

    assert main(["config", "check", str(typo)]) == 2
    err = capsys.readouterr().err
    assert "agents.promethues" in err and "did you mean 'prometheus'?" in err
    assert "prometheus" in err  # the folders that do exist, so the typo is easy to spot
    with pytest.raises(ConfigError, match=r"agents\.promethues"):
        load_config(typo)  # what `serve` loads: it stops here, not on an import error


def test_an_agent_model_override_is_merged_field_by_field_with_the_defaults() -> None:
    data = shipped()
    data["defaults"]["model"] = {"provider": "bedrock", "model_id": "base-model", "region": "eu-west-1"}
    data["agents"]["eks"]["model"] = {"model_id": "bigger-model"}
    data["agents"]["prometheus"]["model"] = {"provider": "openai", "base_url": "http://127.0.0.1:8000/v1"}
    config = parse_config(data)

    eks = config.model_for("eks")  # sets only model_id: still bedrock, in the default region
    assert (eks.provider, eks.model_id, eks.region) == ("bedrock", "bigger-model", "eu-west-1")
    prom = config.model_for("prometheus")
    assert (prom.provider, prom.base_url, prom.model_id) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "base-model",
    )
    assert config.model_for("slack_scanner") == config.defaults.model  # no override: the defaults
    # The merge survives a dump and reload (unset override fields stay unset, not "none").
    assert parse_config(config.model_dump(mode="json")).model_for("eks") == eks


def test_a_bad_model_override_field_names_its_key() -> None:
    data = shipped()
    data["agents"]["eks"]["model"] = {"max_tokens": 0}
    with pytest.raises(ConfigError, match=r"agents\.eks\.model\.max_tokens"):
        parse_config(data)


def test_a_misspelt_key_is_answered_with_the_key_it_resembles() -> None:
    data = shipped()
    data["agents"]["eks"]["budget_secnds"] = 3
    data["defaults"]["model"]["modle_id"] = "x"
    with pytest.raises(ConfigError) as raised:
        parse_config(data)
    assert "agents.eks.budget_secnds" in str(raised.value)
    assert "did you mean 'budget_seconds'?" in str(raised.value)
    assert "did you mean 'model_id'?" in str(raised.value)


def test_a_local_only_agent_needs_no_runtime_arn_variable() -> None:
    data = shipped()
    del data["agents"]["eks"]["runtime_arn_env"]
    assert parse_config(data).agents["eks"].runtime_arn_env == "SRE_EKS_RUNTIME_ARN"
