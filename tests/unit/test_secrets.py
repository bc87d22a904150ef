from __future__ import annotations

import logging

import pytest

from shared.config import load_config
from shared.errors import ConfigError
from shared.secrets import hydrate_secrets

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sre/slack-signing-AbCdEf"


def test_missing_secret_is_filled_from_its_arn_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "SLACK_SIGNING_SECRET_SECRET_ARN": ARN,
        "SLACK_BOT_TOKEN": "xoxb-already-set",
        "SLACK_BOT_TOKEN_SECRET_ARN": ARN,
    }
    asked: list[str] = []

    def fetch(arn: str) -> str:
        asked.append(arn)
        return "s3cr3t-value"

    with caplog.at_level(logging.DEBUG):
        filled = hydrate_secrets(load_config(), env, fetch)
    assert filled == ["SLACK_SIGNING_SECRET"]
    assert env["SLACK_SIGNING_SECRET"] == "s3cr3t-value"
    assert env["SLACK_BOT_TOKEN"] == "xoxb-already-set"  # an explicit value wins
    assert asked == [ARN]
    assert "s3cr3t-value" not in caplog.text


def test_unreadable_secret_names_the_variable_not_the_value() -> None:
    def fetch(arn: str) -> str:
        raise PermissionError("AccessDenied")

    with pytest.raises(ConfigError, match=r"SLACK_SIGNING_SECRET .*PermissionError"):
        hydrate_secrets(load_config(), {"SLACK_SIGNING_SECRET_SECRET_ARN": ARN}, fetch)


def test_terraform_provisions_a_secret_for_every_name_hydrated() -> None:
    from pathlib import Path

    locals_tf = (Path(__file__).resolve().parents[2] / "modules/sre-on-call/locals.tf").read_text()
    # the module reads the same config keys the hydration reads (shared.secrets.secret_env_names)
    for key in (
        "sources.slack.bot_token_env",
        "sources.slack.signing_secret_env",
        "sources.discord.bot_token_env",
        "sources.discord.public_key_env",
        "intake.alertmanager_token_env",
        "sources.prometheus.bearer_token_env",
        "sources.prometheus.basic_auth_password_env",
    ):
        assert f"local.config.{key}" in locals_tf


def test_prometheus_credentials_named_in_config_are_hydrated(tmp_path) -> None:
    """A deployed Prometheus scanner gets its bearer token from Secrets Manager like the chat tokens."""
    import yaml

    from shared.config import DEFAULT_CONFIG_PATH

    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["sources"]["prometheus"]["bearer_token_env"] = "AMP_BEARER_TOKEN"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    env = {"AMP_BEARER_TOKEN_SECRET_ARN": ARN}
    filled = hydrate_secrets(load_config(path), env, lambda arn: "bearer-from-secrets-manager")
    assert filled == ["AMP_BEARER_TOKEN"]
    assert env["AMP_BEARER_TOKEN"] == "bearer-from-secrets-manager"
