"""Secrets from AWS Secrets Manager into the environment, once per process.

Deployed, the Lambda and the runtimes get `<NAME>_SECRET_ARN` (the Terraform module sets them) and
read `<NAME>` (the env var config.yaml names). At cold start each missing `<NAME>` is filled from
its secret. Values are never logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, MutableMapping

from shared.config import AppConfig
from shared.errors import ConfigError
from shared.plugins import load_kind

logger = logging.getLogger(__name__)

SUFFIX = "_SECRET_ARN"


def secret_env_names(config: AppConfig) -> list[str]:
    """The env vars config.yaml says hold secrets: the intake's and the master's (signing secret,
    public key, webhook token, the bot tokens it posts with), and those each scanner instance's kind
    declares among its source settings (`ScannerKind.secret_fields`)."""
    sources, intake = config.sources, config.intake
    names = [
        sources.slack.bot_token_env,
        sources.slack.signing_secret_env,
        sources.discord.bot_token_env,
        sources.discord.public_key_env,
        intake.alertmanager_token_env,
        intake.actions.key_env,
        intake.actions.alertmanager_token_env,
    ]
    for agent_id in config.scanners(enabled_only=False):
        try:
            kind = load_kind(config.kind_of(agent_id))
            names += kind.secret_env_names(config.source_for(agent_id))
        except ConfigError:
            continue  # a kind not installed here (the intake's zip): its own process fails loudly
    return list(dict.fromkeys(name for name in names if name))


def _fetch_with_boto3(arn: str) -> str:
    import boto3  # deferred: only deployed processes have secrets to fetch

    region = arn.split(":")[3] if arn.count(":") >= 5 else None
    return str(
        boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=arn)["SecretString"]
    )


def hydrate_secrets(
    config: AppConfig,
    env: MutableMapping[str, str] = os.environ,
    fetch: Callable[[str], str] = _fetch_with_boto3,
) -> list[str]:
    """Fill each secret env var that is unset but has a `_SECRET_ARN`; return the names filled."""
    filled = []
    for name in secret_env_names(config):
        arn = env.get(f"{name}{SUFFIX}")
        if not arn or env.get(name):
            continue
        try:
            env[name] = fetch(arn)
        except Exception as e:
            raise ConfigError(f"cannot read the secret for {name} ({arn}): {type(e).__name__}") from e
        filled.append(name)
    if filled:
        logger.info("names=<%s> | secrets loaded from Secrets Manager", ",".join(filled))
    return filled
