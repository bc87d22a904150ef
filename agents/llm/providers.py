"""Strands models from `config.yaml`'s `model` section: bedrock, openai (any OpenAI-compatible
server: vLLM, llama.cpp server, LM Studio), ollama, or none.

Construction needs no network and no credentials; a missing key or endpoint shows up as the first
model call failing, which the callers turn into a deterministic fallback. Provider retries are off:
a throttled call falls back at once instead of sleeping past the investigation's deadline.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from shared.config import ModelConfig
from shared.errors import ConfigError

logger = logging.getLogger(__name__)

# Claude Haiku 4.5 through a cross-region inference profile: the geography prefix follows the region.
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


def default_bedrock_model(region: str | None) -> str:
    """`us.`/`eu.` inference profiles for those regions, the `global.` profile elsewhere. No region
    means the one the client will call (AWS_REGION, as in an AgentCore runtime, else
    AWS_DEFAULT_REGION), as the Terraform module resolves it when granting the model."""
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    prefix = region.split("-", 1)[0]
    return f"{prefix if prefix in ('us', 'eu') else 'global'}.{HAIKU_45}"


def model_id_of(cfg: ModelConfig) -> str:
    """The id a report shows and the price table is keyed by; `none` without a model."""
    if cfg.provider == "none":
        return "none"
    if cfg.model_id:
        return cfg.model_id
    if cfg.provider == "bedrock":
        return default_bedrock_model(cfg.region)
    raise ConfigError(f"model.model_id is required for provider {cfg.provider}")


def api_key(cfg: ModelConfig) -> str | None:
    """The key named by `api_key_env`, read at use so it never sits in config or logs."""
    if not cfg.api_key_env:
        return None
    value = os.environ.get(cfg.api_key_env)
    if not value:
        logger.warning("env=<%s> | the model API key variable is not set", cfg.api_key_env)
    return value or None


def build_model(cfg: ModelConfig, *, max_tokens: int | None = None) -> Any | None:
    """A Strands `Model` for `cfg`, or None for provider `none`. Raises `ConfigError` when the
    configuration cannot name a model."""
    if cfg.provider == "none":
        return None
    model_id = model_id_of(cfg)
    tokens = max_tokens or cfg.max_tokens
    if cfg.provider == "bedrock":
        return _bedrock(cfg, model_id, tokens)
    if cfg.provider == "openai":
        return _openai(cfg, model_id, tokens)
    if cfg.provider == "ollama":
        return _ollama(cfg, model_id, tokens)
    raise ConfigError(f"unknown model provider {cfg.provider!r}")


def _bedrock(cfg: ModelConfig, model_id: str, max_tokens: int) -> Any:
    from botocore.config import Config
    from strands.models.bedrock import BedrockModel

    client_config = Config(
        connect_timeout=min(10.0, cfg.timeout_seconds),
        read_timeout=cfg.timeout_seconds,
        retries={"total_max_attempts": 1, "mode": "standard"},  # no retry: fall back at once
    )
    return BedrockModel(
        model_id=model_id,
        region_name=cfg.region,
        endpoint_url=cfg.base_url,
        boto_client_config=client_config,
        max_tokens=max_tokens,
        temperature=cfg.temperature,
    )


def _openai(cfg: ModelConfig, model_id: str, max_tokens: int) -> Any:
    from strands.models.openai import OpenAIModel

    if not cfg.base_url:
        raise ConfigError("model.base_url is required for provider openai (e.g. http://127.0.0.1:8000/v1)")
    client_args: dict[str, Any] = {
        "base_url": cfg.base_url,
        # Local servers (vLLM, llama.cpp) accept any key; the client insists on one.
        "api_key": api_key(cfg) or "not-needed",
        "timeout": cfg.timeout_seconds,
        "max_retries": 0,
    }
    return OpenAIModel(
        client_args=client_args,
        model_id=model_id,
        params={"max_tokens": max_tokens, "temperature": cfg.temperature},
    )


def _ollama(cfg: ModelConfig, model_id: str, max_tokens: int) -> Any:
    from strands.models.ollama import OllamaModel

    return OllamaModel(
        cfg.base_url or DEFAULT_OLLAMA_HOST,
        ollama_client_args={"timeout": cfg.timeout_seconds},
        model_id=model_id,
        max_tokens=max_tokens,
        temperature=cfg.temperature,
    )
