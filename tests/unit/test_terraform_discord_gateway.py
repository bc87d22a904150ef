"""The Discord Gateway listener's deployment: one always-on Fargate task, created only when
config.yaml enables it, whose role may invoke the intake and read its bot token and nothing else,
with no way in. Its settings evaluated by `terraform console` over the module's real
locals.tf and discord_gateway_settings.tf; the resources read from HCL."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from terraform_hcl import MODULE, ROOT, TERRAFORM, blocks, parse, unquote

needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")
SETTINGS = (
    "{count = local.discord_gateway_count, secrets = local.discord_gateway_secret_env_names,"
    " channels = local.discord_gateway_alert_channels, problems = local.discord_gateway_problems}"
)
SUBNET = "subnet-0123456789abcdef0"


def evaluate(tmp_path: Path, gateway: dict[str, Any] | None, subnets: list[str]) -> dict[str, Any]:
    from terraform_hcl import console

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config.setdefault("intake", {}).pop("discord_gateway", None)
    if gateway is not None:
        config["intake"]["discord_gateway"] = gateway
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return console(  # type: ignore[no-any-return]
        SETTINGS,
        path,
        tmp_path / "tf",
        files=("locals.tf", "discord_gateway_settings.tf"),
        variables={"discord_gateway_subnet_ids": subnets, "name_prefix": "sre-on-call"},
    )


@needs_terraform
def test_without_discord_gateway_in_the_config_nothing_is_created(tmp_path: Path) -> None:
    found = evaluate(tmp_path, None, [])
    assert found == {"count": 0, "secrets": [], "channels": [], "problems": []}


@needs_terraform
def test_enabled_it_is_one_task_reading_only_the_bot_token(tmp_path: Path) -> None:
    found = evaluate(tmp_path, {"enabled": True, "alert_channels": ["1100000000000000001"]}, [SUBNET])
    assert found["count"] == 1
    assert found["secrets"] == ["DISCORD_BOT_TOKEN"]
    assert found["channels"] == ["1100000000000000001"]
    assert found["problems"] == []


@needs_terraform
def test_enabled_without_subnets_the_plan_says_what_is_missing(tmp_path: Path) -> None:
    found = evaluate(tmp_path, {"enabled": True}, [])
    assert found["count"] == 1
    assert any("discord_gateway_subnet_ids" in problem for problem in found["problems"])


@needs_terraform
def test_a_subnet_that_is_not_a_subnet_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        evaluate(tmp_path, {"enabled": True}, ["my-subnet"])
    assert "discord_gateway_subnet_ids must be subnet ids" in " ".join(refused.value.stderr.split())


def gateway_resources() -> dict[tuple[str, ...], dict[str, Any]]:
    resources = blocks(parse(MODULE), "resource")
    return {key: body for key, body in resources.items() if "discord_gateway" in key[1]}


def test_every_listener_resource_exists_only_when_enabled() -> None:
    resources = gateway_resources()
    assert ("aws_ecs_service", "discord_gateway") in resources
    for key, body in resources.items():
        count = body.get("count", "")
        assert "local.discord_gateway_count" in count or "data.aws_subnet.discord_gateway" in count, key
    data = blocks(parse(MODULE), "data")
    assert "local.discord_gateway_enabled" in data[("aws_subnet", "discord_gateway")]["count"]


def test_one_always_on_fargate_task_that_runs_the_listener() -> None:
    resources = gateway_resources()
    service = resources[("aws_ecs_service", "discord_gateway")]
    assert unquote(service["launch_type"]) == "FARGATE"
    assert service["desired_count"] == 1
    assert service["deployment_maximum_percent"] == 100  # never two sessions at once
    assert "load_balancer" not in service
    task = resources[("aws_ecs_task_definition", "discord_gateway")]
    containers = task["container_definitions"]
    assert '["sre-on-call", "discord-gateway"]' in containers
    assert "SRE_INTAKE_FUNCTION" in containers and "aws_lambda_function.intake.function_name" in containers
    assert "readonlyRootFilesystem = true" in containers


def listed(values: list[Any]) -> list[Any]:
    return [unquote(value) for value in values]


def test_the_listener_has_no_way_in_and_its_roles_hold_only_what_it_does() -> None:
    resources = gateway_resources()
    group = resources[("aws_security_group", "discord_gateway")]
    assert "ingress" not in group
    [egress] = group["egress"]
    assert egress["from_port"] == egress["to_port"] == 443
    # No new public endpoint: nothing in the module grants anyone else a way to invoke the intake.
    permissions = [key for key in blocks(parse(MODULE), "resource") if key[0] == "aws_lambda_permission"]
    assert sorted(name for _, name in permissions) == ["intake_url_invoke", "intake_url_public"]

    data = blocks(parse(MODULE), "data")
    task = data[("aws_iam_policy_document", "discord_gateway_task")]
    statements = {unquote(s["sid"]): s for s in task["statement"]}
    assert set(statements) == {"HandToTheIntake", "BotToken", "KeyUse"}
    assert listed(statements["HandToTheIntake"]["actions"]) == ["lambda:InvokeFunction"]
    assert listed(statements["HandToTheIntake"]["resources"]) == ["${aws_lambda_function.intake.arn}"]
    assert listed(statements["BotToken"]["actions"]) == ["secretsmanager:GetSecretValue"]
    assert "local.discord_gateway_secret_env_names" in json.dumps(statements["BotToken"]["resources"])
    execution = data[("aws_iam_policy_document", "discord_gateway_execution")]
    actions = sorted(a for s in execution["statement"] for a in listed(s["actions"]))
    assert not any(re.match(r"(lambda|secretsmanager|s3|dynamodb|bedrock):", a) for a in actions)
    task_role = resources[("aws_iam_role", "discord_gateway_task")]
    execution_role = resources[("aws_iam_role", "discord_gateway_execution")]
    assert task_role["assume_role_policy"] == execution_role["assume_role_policy"]
    assert "ecs_tasks_assume" in task_role["assume_role_policy"]


def test_the_module_is_terraform_fmt_clean() -> None:
    if TERRAFORM is None:
        pytest.skip("terraform binary not installed")
    done = subprocess.run(
        [TERRAFORM, "fmt", "-check", "-diff", str(MODULE)],
        capture_output=True,
        text=True,
        env={"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stdout
