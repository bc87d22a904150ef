"""`agent_environment`: the settings a platform team gives each deployed scanner (where its
Prometheus or Kubernetes API is). Evaluated by `terraform console` over the module's real
locals.tf, environment.tf and the variable's own declaration; the runtimes' wiring read from HCL."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from terraform_hcl import MODULE, ROOT, TERRAFORM, blocks, parse

from shared.config import load_config

needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")
CHECKS = (
    "{extra = local.agent_extra_env, unknown = local.agent_environment_unknown_ids,"
    " secrets = local.agent_environment_secret_names}"
)


def evaluate(tmp_path: Path, environment: dict[str, Any]) -> dict[str, Any]:
    from terraform_hcl import console

    return console(  # type: ignore[no-any-return]
        CHECKS,
        ROOT / "config.yaml",
        tmp_path / "tf",
        files=("locals.tf", "environment.tf"),
        variables={"agent_environment": environment},
    )


@needs_terraform
def test_each_enabled_agent_gets_its_own_settings_and_no_one_elses(tmp_path: Path) -> None:
    url = "https://prometheus.internal:9090"
    found = evaluate(
        tmp_path, {"prometheus": {"PROMETHEUS_URL": url}, "eks": {"KUBERNETES_BASE_URL": "https://k"}}
    )
    config = load_config(ROOT / "config.yaml")
    assert set(found["extra"]) == {config.master_id, *config.scanners()}
    assert found["extra"]["prometheus"] == {"PROMETHEUS_URL": url}
    assert found["extra"]["eks"] == {"KUBERNETES_BASE_URL": "https://k"}
    assert all(env == {} for agent, env in found["extra"].items() if agent not in ("prometheus", "eks"))
    assert found["unknown"] == [] and found["secrets"] == []


@needs_terraform
def test_a_misspelt_agent_and_a_secret_in_plain_environment_are_caught(tmp_path: Path) -> None:
    config = load_config(ROOT / "config.yaml")
    token = config.sources.slack.bot_token_env
    found = evaluate(
        tmp_path, {"promethues": {"PROMETHEUS_URL": "https://p"}, "slack_scanner": {token: "xoxb-1"}}
    )
    assert found["unknown"] == ["promethues"]
    assert found["secrets"] == [token]


@needs_terraform
@pytest.mark.parametrize("name", ["PROMETHEUS_URL_SECRET_ARN", "prometheus_url", "PROMETHEUS-URL"])
def test_names_that_are_not_plain_environment_variables_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        evaluate(tmp_path, {"prometheus": {name: "x"}})
    assert "agent_environment names must be environment variable names" in " ".join(
        refused.value.stderr.split()
    )


def test_both_runtimes_add_the_settings_under_the_modules_own_and_refuse_overlaps() -> None:
    resources = blocks(parse(MODULE), "resource")
    scanner = resources[("aws_bedrockagentcore_agent_runtime", "scanner")]
    master = resources[("aws_bedrockagentcore_agent_runtime", "master")]
    assert (
        scanner["environment_variables"]
        == "${merge(local.agent_extra_env[each.key], local.scanner_own_env[each.key])}"
    )
    assert (
        master["environment_variables"]
        == "${merge(local.agent_extra_env[local.master_id], local.master_own_env)}"
    )
    scanner_checks = " ".join(p["condition"] for p in scanner["lifecycle"][0]["precondition"])
    master_checks = " ".join(p["condition"] for p in master["lifecycle"][0]["precondition"])
    assert (
        "setintersection(keys(local.agent_extra_env[each.key]), keys(local.scanner_own_env[each.key]))"
        in scanner_checks
    )
    assert (
        "setintersection(keys(local.agent_extra_env[local.master_id]), keys(local.master_own_env))"
        in master_checks
    )
    assert "local.agent_environment_unknown_ids" in master_checks
    assert "local.agent_environment_secret_names" in master_checks
