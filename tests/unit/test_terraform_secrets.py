"""Each deployed process may read only its own secrets: the agents' `secrets:` lists in config.yaml,
the intake's fixed set. The module's locals are evaluated by `terraform console`; the wiring from
those locals to the roles and environments is read from the HCL."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from terraform_hcl import MODULE, ROOT, TERRAFORM, blocks, console, parse, unquote

from shared.config import load_config, parse_config
from shared.secrets import secret_env_names

REAL = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
CHAT_READERS = {"master", "slack_scanner", "discord_scanner"}
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")


def secret_reads(tmp_path: Path, data: dict[str, Any] = REAL) -> dict[str, Any]:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    expression = (
        "{agents = local.agent_secret_env_names, intake = local.intake_secret_env_names,"
        " containers = local.secret_env_names, undeclared = local.undeclared_agent_secrets}"
    )
    return console(expression, path, tmp_path / "tf")  # type: ignore[no-any-return]


def resources_granted(statement: dict[str, Any], agent_id: str, tmp_path: Path) -> list[str]:
    """Evaluate a statement's real `resources` expression for one agent, with each secret's ARN
    standing for its name (the secret resources need a provider)."""
    expression = unquote(statement["resources"])[2:-1]  # "${...}" -> ...
    expression = expression.replace("each.key", f'"{agent_id}"')
    expression = expression.replace("aws_secretsmanager_secret.this[name].arn", "name")
    return console(expression, ROOT / "config.yaml", tmp_path / agent_id)  # type: ignore[no-any-return]


def own_secrets_statement() -> dict[str, Any]:
    own = blocks(parse(MODULE), "data")[("aws_iam_policy_document", "agent_own")]
    (statement,) = [
        d['"statement"']["content"][0]
        for d in own["dynamic"]
        if d['"statement"']["content"][0]["sid"] == '"OwnSecrets"'
    ]
    return statement


@needs_terraform
def test_a_scanner_cannot_read_the_signing_secret(tmp_path: Path) -> None:
    statement = own_secrets_statement()
    assert unquote(statement["actions"][0]) == "secretsmanager:GetSecretValue"
    cfg = load_config(ROOT / "config.yaml")
    for scanner in cfg.scanners():
        granted = resources_granted(statement, scanner, tmp_path)
        assert cfg.sources.slack.signing_secret_env not in granted, scanner
        assert cfg.sources.discord.public_key_env not in granted, scanner
        assert cfg.intake.alertmanager_token_env not in granted, scanner
    assert resources_granted(statement, "slack_scanner", tmp_path / "x") == ["SLACK_BOT_TOKEN"]
    assert resources_granted(statement, "eks", tmp_path / "y") == []


@needs_terraform
def test_each_process_reads_exactly_its_own_secrets(tmp_path: Path) -> None:
    reads = secret_reads(tmp_path)
    assert reads["agents"] == {
        "master": ["DISCORD_BOT_TOKEN", "SLACK_BOT_TOKEN", "SRE_ACTION_KEY"],  # posts, signs buttons
        "slack_scanner": ["SLACK_BOT_TOKEN"],
        "discord_scanner": ["DISCORD_BOT_TOKEN"],
        "cloudwatch_logs": [],
        "eks": [],
        "prometheus": [],
    }
    assert set(reads["intake"]) == {
        "SLACK_SIGNING_SECRET",
        "DISCORD_PUBLIC_KEY",
        "ALERTMANAGER_WEBHOOK_TOKEN",
        "SLACK_BOT_TOKEN",
        "DISCORD_BOT_TOKEN",
        "SRE_ACTION_KEY",
        "ALERTMANAGER_API_TOKEN",
    }
    # Terraform reads config.yaml as the loader does, and creates a container for each secret the
    # deployed code hydrates (shared/secrets.py), no other.
    cfg = load_config(ROOT / "config.yaml")
    assert {aid: set(names) for aid, names in reads["agents"].items()} == {
        aid: set(agent.secrets) for aid, agent in cfg.agents.items() if agent.enabled
    }
    assert set(reads["containers"]) == set(secret_env_names(cfg))
    assert reads["undeclared"] == {}


@needs_terraform
def test_an_agent_naming_an_undeclared_secret_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(REAL)
    data["agents"]["eks"]["secrets"] = ["SLACK_SIGNING_SECRET", "KUBE_TOKEN"]
    parse_config(data)  # the loader takes any env var name; the module decides what exists
    reads = secret_reads(tmp_path, data)
    assert reads["undeclared"] == {"eks": ["KUBE_TOKEN"]}
    master_role = blocks(parse(MODULE), "resource")[("aws_iam_role", "master")]
    conditions = [p["condition"] for p in master_role["lifecycle"][0]["precondition"]]
    assert any("local.undeclared_agent_secrets" in c for c in conditions)
    assert any("local.chat_bot_token_env_names" in c for c in conditions)  # the master must post


def test_roles_and_environments_follow_the_per_agent_lists() -> None:
    resources = blocks(parse(MODULE), "resource")
    data = blocks(parse(MODULE), "data")
    # One role and one policy per scanner, each runtime on its own role.
    for kind in ("aws_iam_role", "aws_iam_role_policy"):
        assert resources[(kind, "scanner")]["for_each"] == "${local.scanner_agents}"
    scanner_rt = resources[("aws_bedrockagentcore_agent_runtime", "scanner")]
    assert scanner_rt["role_arn"] == "${aws_iam_role.scanner[each.key].arn}"
    (runtime_env,) = parse(MODULE)["runtimes.tf"]["locals"]
    assert "local.scanner_own_env[each.key]" in scanner_rt["environment_variables"]
    assert "local.runtime_secret_env[id]" in runtime_env["scanner_own_env"]
    master_rt = resources[("aws_bedrockagentcore_agent_runtime", "master")]
    assert "local.master_own_env" in master_rt["environment_variables"]
    assert "local.runtime_secret_env[local.master_id]" in runtime_env["master_own_env"]
    assert "_SECRET_ARN" not in str(runtime_env["runtime_common_env"])
    assert "local.agent_secret_env_names" in runtime_env["runtime_secret_env"]

    # No other statement reads secrets: each agent's OwnSecrets, the intake's fixed set, and the
    # Discord Gateway listener's bot token.
    readers = []
    for (kind, name), body in data.items():
        if kind != "aws_iam_policy_document":
            continue
        statements = body.get("statement", []) + [
            d['"statement"']["content"][0] for d in body.get("dynamic", [])
        ]
        for statement in statements:
            if any("secretsmanager:" in action for action in statement["actions"]):
                readers.append((name, unquote(statement["sid"]), statement["resources"]))
    assert sorted(r[:2] for r in readers) == [
        ("agent_own", "OwnSecrets"),
        ("discord_gateway_task", "BotToken"),
        ("intake", "Secrets"),
    ]
    listener = next(r for r in readers if r[0] == "discord_gateway_task")
    assert "local.discord_gateway_secret_env_names" in str(listener[2])
    intake = next(r for r in readers if r[0] == "intake")
    assert "local.intake_secret_env_names" in str(intake[2])
    lambda_env = resources[("aws_lambda_function", "intake")]["environment"][0]["variables"]
    assert "local.intake_secret_env_names" in lambda_env


def test_config_yaml_gives_the_chat_readers_their_bot_tokens_only() -> None:
    cfg = load_config(ROOT / "config.yaml")
    bot_tokens = {cfg.sources.slack.bot_token_env, cfg.sources.discord.bot_token_env}
    for agent_id, agent in cfg.agents.items():
        # The master also signs the report's buttons; no scanner holds the key.
        own = bot_tokens | ({cfg.intake.actions.key_env} if agent_id == cfg.master_id else set())
        assert set(agent.secrets) <= own, agent_id
        assert bool(agent.secrets) == (agent_id in CHAT_READERS), agent_id
