"""Each deployed scanner's role holds only its kind's actions, derived from the kinds' declarations
(shared/plugins.py), evaluated by `terraform console` over the module's real locals.tf and kinds.tf."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from terraform_hcl import MODULE, ROOT, TERRAFORM

from shared.plugins import known_kinds, terraform_kinds

needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")
EXPRESSION = "{iam = local.scanner_iam, unknown = local.unknown_kind_agents}"


def test_the_modules_kinds_file_is_what_the_declarations_export() -> None:
    shipped = json.loads((MODULE / "scanner_kinds.json").read_text(encoding="utf-8"))
    assert shipped == terraform_kinds(known_kinds()), (
        "run: python -m shared.plugins > modules/sre-on-call/scanner_kinds.json"
    )


def evaluate(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    from terraform_hcl import console

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return console(  # type: ignore[no-any-return]
        EXPRESSION,
        path,
        tmp_path / "tf",
        files=("locals.tf", "kinds.tf", "scanner_kinds.json"),
        variables={"scanner_kinds_path": None},
    )


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in statement["actions"]}


@needs_terraform
def test_each_scanner_role_holds_only_its_kinds_actions(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    found = evaluate(tmp_path, config)
    iam = found["iam"]
    assert iam["slack_scanner"] == [] and iam["discord_scanner"] == []  # chat readers touch no AWS API
    assert actions(iam["eks"]) == {"eks:DescribeCluster"}
    assert actions(iam["prometheus"]) == {
        "aps:QueryMetrics",
        "aps:GetSeries",
        "aps:GetLabels",
        "aps:GetMetricMetadata",
    }
    assert "logs:StartQuery" in actions(iam["cloudwatch_logs"])
    assert not any(a.startswith(("aps:", "eks:")) for a in actions(iam["cloudwatch_logs"]))
    [logs_read] = [s for s in iam["cloudwatch_logs"] if s["sid"] == "LogsRead"]
    assert logs_read["resources"] == ["arn:aws:logs:us-east-1:123456789012:log-group:*"]
    assert found["unknown"] == []


@needs_terraform
def test_a_second_instance_gets_its_kinds_actions_and_an_unknown_kind_is_caught(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["agents"]["prometheus_staging"] = {
        "kind": "prometheus",
        "port": 9110,
        "runtime_arn_env": "SRE_PROMETHEUS_STAGING_RUNTIME_ARN",
        "source": {"url_env": "STAGING_PROMETHEUS_URL"},
    }
    config["agents"]["pagerduty"] = {"kind": "pagerduty", "port": 9111, "runtime_arn_env": "SRE_PD_ARN"}
    found = evaluate(tmp_path, config)
    assert found["iam"]["prometheus_staging"] == found["iam"]["prometheus"]
    assert found["unknown"] == ["pagerduty"]


@needs_terraform
def test_an_agent_without_runtime_arn_env_gets_the_same_default_name_as_in_python(tmp_path: Path) -> None:
    from terraform_hcl import console

    from shared.config import parse_config

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    del config["agents"]["eks"]["runtime_arn_env"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    found = console("local.agents.eks.runtime_arn_env", path, tmp_path / "tf")
    assert found == parse_config(config).agents["eks"].runtime_arn_env == "SRE_EKS_RUNTIME_ARN"
