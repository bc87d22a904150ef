"""Chat platforms: the `ChatPlatform` protocol (`base`), Slack (`slack`), Discord (`discord`).

`platform_from_env` builds the client config.yaml describes, reading the bot token and an optional
API base URL (the sandbox's fake APIs) from the environment variables named there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.chat.base import ChatMessage, ChatPlatform, HistoryPage
from shared.errors import ConfigError

if TYPE_CHECKING:  # the intake's cold start imports shared.chat.text; config loads on use
    from pydantic import BaseModel

    from shared.config import AppConfig

__all__ = ["ChatMessage", "ChatPlatform", "HistoryPage", "platform_from_env"]


def platform_from_env(
    name: str, config: AppConfig, env: Mapping[str, str] = os.environ, source: BaseModel | None = None
) -> ChatPlatform:
    """The `name` ("slack" or "discord") client, with the token from `config.sources.<name>.bot_token_env`
    and the base URL from `base_url_env` when set. A missing token is a `ConfigError` naming the
    variable (never a value). `source` is a scanner instance's own settings (`AppConfig.source_for`);
    by default the global `sources.<name>`."""
    from shared.config import DiscordSource, SlackSource

    if name == "slack":
        from shared.chat.slack import SlackPlatform

        source = source if isinstance(source, SlackSource) else config.sources.slack
        return SlackPlatform(_token(env, source.bot_token_env, name), env.get(source.base_url_env) or None)
    if name == "discord":
        from shared.chat.discord import DEFAULT_BASE_URL, DiscordPlatform

        dsource = source if isinstance(source, DiscordSource) else config.sources.discord
        base_url = env.get(dsource.base_url_env) or DEFAULT_BASE_URL
        return DiscordPlatform(_token(env, dsource.bot_token_env, name), base_url, guild_id=dsource.guild_id)
    raise ConfigError(f"unknown chat platform {name!r} (slack or discord)")


def _token(env: Mapping[str, str], variable: str, name: str) -> str:
    token = (env.get(variable) or "").strip()
    if not token:
        raise ConfigError(f"{variable} is not set: the {name} bot token is needed to read and post")
    return token
