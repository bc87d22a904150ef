"""Terraform grants each agent the model the code calls: the module's resolution (locals.tf, models.tf,
evaluated by `terraform console`) against shared/config.py's `model_for` and agents/llm's `model_id_of`."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from terraform_hcl import MODULE, ROOT, TERRAFORM, blocks, console, parse

from agents.llm.providers import model_id_of
from shared.config import ModelConfig, parse_config
from shared.errors import ConfigError

pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
REAL = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def config(defaults_model: dict[str, Any], **agent_models: dict[str, Any]) -> dict[str, Any]:
    """config.yaml with `defaults.model` replaced and the given agents' `model:` overrides."""
    data = copy.deepcopy(REAL)
    data["defaults"]["model"] = defaults_model
    for agent_id, override in agent_models.items():
        data["agents"][agent_id]["model"] = override
    return data


CONFIGS = {
    "repo_config": REAL,
    "default_only": config({"provider": "bedrock", "region": "us-east-1"}),
    "override_model_id_only": config(
        {"provider": "bedrock", "model_id": f"eu.{HAIKU}", "region": "eu-central-1"},
        eks={"model_id": SONNET},
        master={"model_id": None, "region": None},  # null inherits, as in shared/config.py
    ),
    "override_region_eu_west_1": config(
        {"provider": "bedrock", "region": "us-east-1"},
        eks={"region": "eu-west-1"},
    ),
    "provider_none": config(
        {"provider": "bedrock", "region": "us-east-1"},
        prometheus={"provider": "none"},
        cloudwatch_logs={"provider": "openai", "model_id": "qwen3", "base_url": "http://vllm:8000/v1"},
    ),
    "tokyo_global_profile": config({"provider": "bedrock", "region": "ap-northeast-1"}),
    "intake_classifier_on_bedrock": {
        **config({"provider": "none"}),
        "intake": {**REAL["intake"], "classifier_model": {"provider": "bedrock", "region": "eu-west-1"}},
    },
}
INTAKE = "intake-classifier"  # local.intake_model_key


def python_models(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the deployed code resolves for each enabled agent, and for the intake's classifier,
    in a runtime whose AWS_REGION is the stub account's region (us-east-1)."""
    with mock.patch.dict(os.environ, {"AWS_REGION": "us-east-1"}):
        return _python_models(data)


def _python_models(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cfg = parse_config(data)
    resolved = {}
    for agent_id, agent in cfg.agents.items():
        if not agent.enabled:
            continue
        model = cfg.model_for(agent_id)
        resolved[agent_id] = resolve(model)
    resolved[INTAKE] = resolve(cfg.intake.classifier_model)  # lambda_adapter/model_tier.py
    return resolved


def resolve(model: ModelConfig) -> dict[str, Any]:
    try:
        model_id: str | None = model_id_of(model)
    except ConfigError:  # openai/ollama without a model_id: nothing to grant
        model_id = None
    return {"provider": model.provider, "model_id": model_id, "region": model.region}


def terraform(data: dict[str, Any], tmp_path: Path, expression: str) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return console(expression, path, tmp_path / "tf", files=("locals.tf", "models.tf"))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_terraform_resolves_each_agents_model_as_the_code_does(name: str, tmp_path: Path) -> None:
    data = CONFIGS[name]
    assert terraform(data, tmp_path, "local.resolved_models") == python_models(data)


def test_an_agent_in_eu_west_1_is_granted_the_eu_profile_there(tmp_path: Path) -> None:
    data = CONFIGS["override_region_eu_west_1"]
    grants = terraform(data, tmp_path, "local.bedrock_grants")
    assert python_models(data)["eks"]["model_id"] == f"eu.{HAIKU}"
    assert grants["eks"] == [
        f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{HAIKU}",
        f"arn:aws:bedrock:*::foundation-model/{HAIKU}",
    ]
    # An agent without a region calls from the runtime's own (AWS_REGION, the stub's us-east-1).
    assert grants["prometheus"][0] == f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"


def test_only_bedrock_agents_are_granted_a_model(tmp_path: Path) -> None:
    data = CONFIGS["provider_none"]
    grants = terraform(data, tmp_path, "local.bedrock_grants")
    bedrock = {aid for aid, m in python_models(data).items() if m["provider"] == "bedrock"}
    assert INTAKE not in bedrock  # its classifier is off (provider none)
    assert set(grants) == bedrock and "prometheus" not in grants and "cloudwatch_logs" not in grants
    assert terraform(REAL, tmp_path / "real", "local.bedrock_grants") == {}  # provider none everywhere


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        (
            f"global.{HAIKU}",
            [
                f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.{HAIKU}",
                f"arn:aws:bedrock:*::foundation-model/{HAIKU}",
                f"arn:aws:bedrock:::foundation-model/{HAIKU}",  # a global profile's model has no region
            ],
        ),
        *[
            (
                f"{geo}.{HAIKU}",
                [
                    f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{geo}.{HAIKU}",
                    f"arn:aws:bedrock:*::foundation-model/{HAIKU}",
                ],
            )
            for geo in ("us", "eu", "apac", "jp", "au", "ca", "us-gov")
        ],
        (HAIKU, [f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"]),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
            ["arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"],
        ),
    ],
)
def test_every_profile_geography_is_stripped_to_its_foundation_model(
    model_id: str, expected: list[str], tmp_path: Path
) -> None:
    data = config({"provider": "bedrock", "model_id": model_id})
    assert terraform(data, tmp_path, "local.bedrock_grants")["eks"] == expected


def test_a_profile_called_outside_its_geography_is_flagged(tmp_path: Path) -> None:
    # defaults name the us. profile; an agent moved to eu-west-1 keeps it (field-by-field merge),
    # and Bedrock in eu-west-1 refuses a us. profile: the plan warns (check block).
    data = config(
        {"provider": "bedrock", "model_id": f"us.{HAIKU}", "region": "us-east-1"}, eks={"region": "eu-west-1"}
    )
    assert python_models(data)["eks"] == {
        "provider": "bedrock",
        "model_id": f"us.{HAIKU}",
        "region": "eu-west-1",
    }
    assert terraform(data, tmp_path, "local.bedrock_profile_mismatches") == {
        "eks": f"us.{HAIKU} from eu-west-1"
    }
    for name in ("default_only", "override_region_eu_west_1", "tokyo_global_profile"):
        assert terraform(CONFIGS[name], tmp_path / name, "local.bedrock_profile_mismatches") == {}
    checks = parse(MODULE)["models.tf"]["check"]
    assert "local.bedrock_profile_mismatches" in str(checks)


def test_each_role_may_invoke_only_its_own_agents_model() -> None:
    data = blocks(parse(MODULE), "data")
    own = data[("aws_iam_policy_document", "agent_own")]
    assert own["for_each"] == "${local.enabled_agents}"
    (model,) = [
        d['"statement"'] for d in own["dynamic"] if d['"statement"']["content"][0]["sid"] == '"OwnModel"'
    ]
    assert model["content"][0]["resources"] == "${local.bedrock_grants[each.key]}"
    scanner = data[("aws_iam_policy_document", "scanner")]
    assert scanner["for_each"] == "${local.scanner_agents}"
    assert "${data.aws_iam_policy_document.agent_own[each.key].json}" in scanner["source_policy_documents"]
    master = data[("aws_iam_policy_document", "master")]
    assert (
        "${data.aws_iam_policy_document.agent_own[local.master_id].json}" in master["source_policy_documents"]
    )
    # The shared base grants no model and no secret.
    base = str(data[("aws_iam_policy_document", "runtime_base")])
    assert "bedrock:" not in base and "secretsmanager:" not in base


def test_the_intake_may_invoke_its_classifier_model_only(tmp_path: Path) -> None:
    data = CONFIGS["intake_classifier_on_bedrock"]
    grants = terraform(data, tmp_path, "local.bedrock_grants")
    assert grants == {
        INTAKE: [
            f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{HAIKU}",
            f"arn:aws:bedrock:*::foundation-model/{HAIKU}",
        ]
    }
    intake = blocks(parse(MODULE), "data")[("aws_iam_policy_document", "intake")]
    (model,) = [d['"statement"']["content"][0] for d in intake["dynamic"]]
    assert model["resources"] == "${local.bedrock_grants[local.intake_model_key]}"
