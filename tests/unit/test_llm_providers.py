"""Models from config: each provider builds offline with the settings that matter (no retries,
the timeout, the key read from the environment), and cost comes from the price table."""

from __future__ import annotations

import pytest

from agents.llm.pricing import cost_usd, usage_of
from agents.llm.providers import build_model, default_bedrock_model, model_id_of
from shared.config import ModelConfig, Price
from shared.errors import ConfigError


def test_none_builds_no_model() -> None:
    assert build_model(ModelConfig()) is None and model_id_of(ModelConfig()) == "none"


def test_without_a_region_the_profile_follows_the_region_the_client_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An AgentCore runtime in Frankfurt with `region: null`: boto3 calls eu-central-1, so must the id.
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    cfg = ModelConfig(provider="bedrock")
    assert model_id_of(cfg) == "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert build_model(cfg).client.meta.region_name == "eu-central-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    assert model_id_of(cfg) == "global.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-west-2", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("eu-central-1", "eu.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("ap-southeast-2", "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ],
)
def test_bedrock_defaults_to_haiku_45_through_the_regions_inference_profile(
    region: str, expected: str
) -> None:
    assert default_bedrock_model(region) == expected
    model = build_model(ModelConfig(provider="bedrock", region=region, timeout_seconds=12))
    assert model.config["model_id"] == expected
    assert model.client.meta.region_name == region
    assert model.client.meta.config.read_timeout == 12
    assert model.client.meta.config.retries["total_max_attempts"] == 1


def test_openai_compatible_endpoint_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VLLM_KEY", "sk-local")
    cfg = ModelConfig(
        provider="openai",
        model_id="Qwen/Qwen2.5-7B-Instruct",
        base_url="http://127.0.0.1:8000/v1",
        api_key_env="VLLM_KEY",
        max_tokens=900,
    )
    model = build_model(cfg)
    assert model.client_args == {
        "base_url": "http://127.0.0.1:8000/v1",
        "api_key": "sk-local",
        "timeout": 30.0,
        "max_retries": 0,
    }
    assert model.config["model_id"] == "Qwen/Qwen2.5-7B-Instruct"
    assert model.config["params"]["max_tokens"] == 900


def test_ollama_uses_its_host_and_model() -> None:
    model = build_model(
        ModelConfig(provider="ollama", model_id="qwen2.5:7b", base_url="http://127.0.0.1:11434")
    )
    assert model.host == "http://127.0.0.1:11434" and model.config["model_id"] == "qwen2.5:7b"


@pytest.mark.parametrize(
    "cfg",
    [
        ModelConfig(provider="openai", model_id="m"),
        ModelConfig(provider="ollama"),
        ModelConfig(provider="openai"),
    ],
)
def test_incomplete_provider_settings_are_a_config_error(cfg: ModelConfig) -> None:
    with pytest.raises(ConfigError):
        build_model(cfg)


def test_cost_from_the_price_table_with_inference_profile_fallback() -> None:
    prices = {"anthropic.claude-haiku-4-5-20251001-v1:0": Price(input=1.0, output=5.0)}
    assert cost_usd(prices, "us.anthropic.claude-haiku-4-5-20251001-v1:0", 10_000, 2_000) == 0.02
    assert cost_usd(prices, "some-local-model", 10_000, 2_000) == 0.0
    usage = usage_of(
        prices, "eu.anthropic.claude-haiku-4-5-20251001-v1:0", {"inputTokens": 3, "outputTokens": 1}
    )
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (3, 1, 8e-06)
