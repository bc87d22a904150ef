"""`platform_from_env`: the client config.yaml names, with the token and base URL from the env."""

from __future__ import annotations

import pytest

from shared.chat import platform_from_env
from shared.chat.discord import DiscordPlatform
from shared.chat.slack import SlackPlatform
from shared.config import parse_config
from shared.errors import ConfigError

CONFIG = parse_config(
    {
        "agents": {"master": {"role": "master", "port": 9100, "runtime_arn_env": "MASTER_ARN"}},
        "sources": {
            "slack": {"bot_token_env": "MY_SLACK_TOKEN", "base_url_env": "MY_SLACK_URL"},
            "discord": {"bot_token_env": "MY_DISCORD_TOKEN", "base_url_env": "MY_DISCORD_URL"},
        },
    }
)


def test_slack_client_uses_the_configured_variables() -> None:
    chat = platform_from_env(
        "slack", CONFIG, {"MY_SLACK_TOKEN": "xoxb-1-2-abc", "MY_SLACK_URL": "http://127.0.0.1:1/api"}
    )

    assert isinstance(chat, SlackPlatform) and chat.name == "slack"
    assert chat.base_url == "http://127.0.0.1:1/api/"  # slack_sdk appends method names to it


def test_discord_client_uses_the_configured_variables() -> None:
    chat = platform_from_env("discord", CONFIG, {"MY_DISCORD_TOKEN": "abc"})
    assert isinstance(chat, DiscordPlatform) and chat.name == "discord"
    assert chat.base_url == "https://discord.com/api/v10"

    local = platform_from_env(
        "discord", CONFIG, {"MY_DISCORD_TOKEN": "abc", "MY_DISCORD_URL": "http://127.0.0.1:2/api/v10/"}
    )
    assert isinstance(local, DiscordPlatform) and local.base_url == "http://127.0.0.1:2/api/v10"


@pytest.mark.parametrize(("name", "variable"), [("slack", "MY_SLACK_TOKEN"), ("discord", "MY_DISCORD_TOKEN")])
def test_a_missing_token_names_the_variable(name: str, variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        platform_from_env(name, CONFIG, {variable: "  "})


def test_an_unknown_platform_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="teams"):
        platform_from_env("teams", CONFIG, {})
