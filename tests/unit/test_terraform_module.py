"""The Terraform module reads config.yaml and creates one AgentCore runtime per enabled agent."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from terraform_hcl import EXAMPLE, MODULE, ROOT, blocks, locals_of, parse, unquote

from shared.config import load_config

TERRAFORM = shutil.which("terraform")


def planned_runtimes(config: dict[str, Any]) -> tuple[set[str], str]:
    """The module's locals (enabled_agents -> scanner_agents, master_id), reproduced in Python."""
    enabled = {aid: a for aid, a in config["agents"].items() if a.get("enabled", True)}
    scanners = {aid for aid, a in enabled.items() if a.get("role", "scanner") == "scanner"}
    (master,) = [aid for aid, a in enabled.items() if a.get("role", "scanner") == "master"]
    return scanners, master


def config_with_disabled(tmp_path: Path, agent_id: str) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["agents"][agent_id]["enabled"] = False
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_runtimes_are_one_for_each_over_enabled_scanners_plus_the_master() -> None:
    resources = blocks(parse(MODULE), "resource")
    runtimes = {
        key[1]: body for key, body in resources.items() if key[0] == "aws_bedrockagentcore_agent_runtime"
    }
    assert set(runtimes) == {"scanner", "master"}
    assert runtimes["scanner"]["for_each"] == "${local.scanner_agents}"
    assert "for_each" not in runtimes["master"] and "count" not in runtimes["master"]
    for body in runtimes.values():
        assert unquote(body["protocol_configuration"][0]["server_protocol"]) == "A2A"

    found = locals_of(parse(MODULE))
    assert found["config"] == "${yamldecode(file(var.config_path))}"
    assert (
        "for id, agent in local.agents" in found["enabled_agents"]
        and "if agent.enabled" in found["enabled_agents"]
    )
    assert "local.enabled_agents" in found["scanner_agents"] and '== "scanner"' in found["scanner_agents"]
    assert "local.enabled_agents" in found["master_id"] and '== "master"' in found["master_id"]


def test_master_environment_holds_each_scanner_arn_under_its_configured_name() -> None:
    master = blocks(parse(MODULE), "resource")[("aws_bedrockagentcore_agent_runtime", "master")]
    assert "local.master_own_env" in master["environment_variables"]
    (runtime_env,) = parse(MODULE)["runtimes.tf"]["locals"]
    env = runtime_env["master_own_env"]
    assert "agent.runtime_arn_env => aws_bedrockagentcore_agent_runtime.scanner[id].agent_runtime_arn" in env
    assert "local.scanner_agents" in env


def test_agent_list_is_not_repeated_in_terraform() -> None:
    agent_ids = set(yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["agents"])
    for path in MODULE.glob("*.tf"):
        text = path.read_text(encoding="utf-8")
        for agent_id in agent_ids - {"master"}:
            assert f'"{agent_id}"' not in text, f"{path.name} names agent {agent_id}"


def test_reproduced_filter_matches_the_config_loader(tmp_path: Path) -> None:
    real = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    cfg = load_config(ROOT / "config.yaml")
    assert planned_runtimes(real) == (set(cfg.scanners()), cfg.master_id)

    disabled = config_with_disabled(tmp_path, "eks")
    scanners, master = planned_runtimes(yaml.safe_load(disabled.read_text(encoding="utf-8")))
    assert "eks" not in scanners and scanners == set(load_config(disabled).scanners())
    assert master == "master"


def terraform_locals(config_path: Path, tmp_path: Path) -> dict[str, Any]:
    """Evaluate the module's real locals.tf with `terraform console` (no providers, no init)."""
    work = tmp_path / "tf"
    work.mkdir(parents=True)
    shutil.copy(MODULE / "locals.tf", work / "locals.tf")
    (work / "variables.tf").write_text('variable "config_path" {\n  type = string\n}\n', encoding="utf-8")
    expr = "jsonencode({scanners = keys(local.scanner_agents), master = local.master_id})\n"
    done = subprocess.run(
        [str(TERRAFORM), "console", f"-var=config_path={config_path}"],
        input=expr,
        capture_output=True,
        text=True,
        cwd=work,
        timeout=30,
        env={"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=True,
    )
    return json.loads(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")
def test_terraform_evaluates_one_runtime_per_enabled_agent(tmp_path: Path) -> None:
    real = terraform_locals(ROOT / "config.yaml", tmp_path / "a")
    scanners, master = planned_runtimes(yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8")))
    assert set(real["scanners"]) == scanners and real["master"] == master

    disabled_path = config_with_disabled(tmp_path, "slack_scanner")
    disabled = terraform_locals(disabled_path, tmp_path / "b")
    assert set(disabled["scanners"]) == scanners - {"slack_scanner"}
    assert disabled["master"] == "master"


def test_vpc_agents_require_subnets_and_security_groups() -> None:
    runtimes = blocks(parse(MODULE), "resource")
    for name in ("scanner", "master"):
        body = runtimes[("aws_bedrockagentcore_agent_runtime", name)]
        conditions = " ".join(p["condition"] for p in body["lifecycle"][0]["precondition"])
        assert "var.vpc_subnet_ids" in conditions and "var.vpc_security_group_ids" in conditions
        dynamic = body["network_configuration"][0]["dynamic"][0]['"network_mode_config"']
        assert '"vpc"' in dynamic["for_each"]


def test_provider_version_has_the_agentcore_runtime_resource() -> None:
    versions = parse(MODULE)["versions.tf"]["terraform"][0]["required_providers"][0]["aws"]
    # 6.28: aws_lambda_permission.invoked_via_function_url (the function URL's InvokeFunction grant).
    assert unquote(versions["version"]).startswith(">= 6.28")
    example = parse(EXAMPLE)["main.tf"]["terraform"][0]["required_providers"][0]["aws"]
    assert unquote(example["version"]) == unquote(versions["version"])


def test_dedup_table_and_intake_match_the_lambda_adapter() -> None:
    resources = blocks(parse(MODULE), "resource")
    table = resources[("aws_dynamodb_table", "dedup")]
    assert unquote(table["hash_key"]) == "pk"
    assert table["attribute"][0]["type"] == '"S"'
    assert unquote(table["ttl"][0]["attribute_name"]) == "expires_at"
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    intake = resources[("aws_lambda_function", "intake")]
    assert unquote(intake["handler"]) == "lambda_adapter.handler.lambda_handler"
    env = intake["environment"][0]["variables"]
    assert "local.dedup_table_env" in env and "_SECRET_ARN" in env
    url = resources[("aws_lambda_function_url", "intake")]
    assert unquote(url["authorization_type"]) == "NONE"


def test_the_public_function_url_is_granted_in_the_functions_resource_policy() -> None:
    """A NONE function URL answers 403 unless the resource policy lets anyone call the URL and,
    for URLs created since October 2025, invoke the function through it (and only through it)."""
    resources = blocks(parse(MODULE), "resource")
    grants = {
        name: {key: unquote(value) for key, value in body.items() if not key.startswith("__")}
        for (kind, name), body in resources.items()
        if kind == "aws_lambda_permission"
    }
    for grant in grants.values():
        assert grant["function_name"] == "${aws_lambda_function.intake.function_name}"
        assert "qualifier" not in grant  # the URL is on the unqualified function
    by_action = {grant["action"]: grant for grant in grants.values()}
    assert set(by_action) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}

    url = by_action["lambda:InvokeFunctionUrl"]
    assert url["principal"] == "*" and url["function_url_auth_type"] == "NONE"

    invoke = by_action["lambda:InvokeFunction"]
    # Without this condition anyone could invoke the function directly, past the signature checks.
    assert invoke["principal"] == "*" and invoke["invoked_via_function_url"] is True
    assert "function_url_auth_type" not in invoke  # AWS rejects it on lambda:InvokeFunction

    # The provider adds these ids itself when it creates the URL: reusing one is a 409 on apply.
    assert not {grant.get("statement_id") for grant in grants.values()} & {
        "FunctionURLAllowPublicAccess",
        "FunctionURLAllowInvokeAction",
    }


# Read by libraries, not by our code.
LIBRARY_ENV = {"AWS_REGION"}


def test_every_environment_variable_the_module_sets_is_read_by_the_code_it_deploys() -> None:
    """A renamed variable on one side only would deploy a master that silently stops archiving."""
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for package in ("shared", "agents", "lambda_adapter")
        for path in (ROOT / package).rglob("*.py")
        if "tests" not in path.parts
    ) + (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    env_files = [MODULE / "runtimes.tf", MODULE / "lambda.tf"]
    literal_names = {
        name
        for path in env_files
        for name in re.findall(
            r"\b([A-Z][A-Z0-9_]{2,})\s*=(?!=)", re.sub(r"#[^\n]*", "", path.read_text(encoding="utf-8"))
        )
    }
    assert {"AGENT_ID", "SRE_ARCHIVE_BUCKET", "SRE_ARCHIVE_KMS_KEY", "SRE_METRICS_NAMESPACE"} <= literal_names
    unread = {
        name
        for name in literal_names - LIBRARY_ENV
        if f'"{name}"' not in source and f'"${name}"' not in source
    }
    assert not unread, f"set by the module but read nowhere: {sorted(unread)}"
