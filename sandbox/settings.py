"""What a sandbox is configured with: fresh secrets, the config a team would write for the
scenarios it plays, and which env var holds which secret."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.chat_base import FakeChannel
from sandbox.resolved import ResolvedChannel
from sandbox.scenario import Scenario
from shared.config import AppConfig
from shared.secrets import secret_env_names

# The Discord stand-in's bot user (FakeDiscordApi's default).
DISCORD_BOT_USER = "1000000000000000001"
# The on-call person of the sandbox: may press the report's Silence button (Slack, Discord user id).
ONCALL_SLACK_USER = "U0ONCALL"
ONCALL_DISCORD_USER = "1200000000000000001"


@dataclass(frozen=True)
class SandboxSecrets:
    """Made fresh for every sandbox; never printed."""

    slack_token: str
    slack_signing_secret: str
    discord_token: str
    discord_signing_key: str  # Ed25519 seed, hex
    discord_public_key: str
    alertmanager_token: str
    kube_token: str
    action_key: str = ""  # signs the report's Silence and Re-run buttons

    @classmethod
    def generate(cls) -> SandboxSecrets:
        from nacl.signing import SigningKey

        key = SigningKey.generate()
        return cls(
            slack_token=f"xoxb-sandbox-{secrets.token_hex(12)}",
            slack_signing_secret=secrets.token_hex(16),
            discord_token=discord_token(),
            discord_signing_key=key.encode().hex(),
            discord_public_key=key.verify_key.encode().hex(),
            alertmanager_token=secrets.token_urlsafe(18),
            kube_token=secrets.token_urlsafe(18),
            action_key=secrets.token_urlsafe(24),
        )


def discord_token(bot_user: str = DISCORD_BOT_USER) -> str:
    """A bot token of Discord's shape: the bot's id in base64, then two random parts (the Gateway
    client reads the bot's id from the first)."""
    first = base64.b64encode(bot_user.encode()).decode().rstrip("=")
    return f"{first}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(24)}"


def with_scenario_channels(config: AppConfig, scenarios: Iterable[Scenario]) -> AppConfig:
    """The config a team would write for these scenarios: every chat channel a scenario holds is a
    channel the bot is in and the chat scanners may read (SCENARIOS.md: "the bot is a member of
    every channel listed here")."""
    slack = list(config.sources.slack.channels)
    discord = list(config.sources.discord.channels)
    for scenario in scenarios:
        if scenario.sources.slack:
            slack += [c.id for c in scenario.sources.slack.channels if c.id not in slack]
        if scenario.sources.discord:
            discord += [c.id for c in scenario.sources.discord.channels if c.id not in discord]
    sources = config.sources.model_copy(
        update={
            "slack": config.sources.slack.model_copy(update={"channels": slack}),
            "discord": config.sources.discord.model_copy(update={"channels": discord}),
        }
    )
    # A Discord alert is posted in its channel by the team's alerting bot: that channel is one of
    # the Gateway listener's alert channels.
    gateway = config.intake.discord_gateway
    alert_channels = list(gateway.alert_channels)
    for scenario in scenarios:
        channel = scenario.alert.channel
        if scenario.alert.platform == "discord" and channel.isdigit() and channel not in alert_channels:
            alert_channels.append(channel)
    if alert_channels != list(gateway.alert_channels):
        gateway = gateway.model_copy(update={"enabled": True, "alert_channels": alert_channels})
    intake = config.intake.model_copy(update={"discord_gateway": gateway})
    return config.model_copy(update={"sources": sources, "intake": intake})


def with_sandbox_operator(config: AppConfig) -> AppConfig:
    """The config with the sandbox's on-call user allowed to silence, when the config allows
    nobody (`intake.actions.allowed_users` and `allowed_groups` both empty): the Silence button
    can then be tried in the sandbox. A config that names its own people is left as it is."""
    actions = config.intake.actions
    if actions.allowed_users or actions.allowed_groups:
        return config
    actions = actions.model_copy(update={"allowed_users": (ONCALL_SLACK_USER, ONCALL_DISCORD_USER)})
    intake = config.intake.model_copy(update={"actions": actions})
    return config.model_copy(update={"intake": intake})


def quiet_channels(configured: Iterable[str], held: Iterable[ResolvedChannel]) -> list[FakeChannel]:
    """Empty channels for the ids the config lists that this scenario holds no messages for.

    A team's config names channels that a given incident never touches: on the real platform
    those exist and are quiet (the scanner reports no data), they do not vanish (an error).
    Entries given by name (`#deploys`) are left out: the platform resolves those, not the config.
    """
    held_ids = {channel.id for channel in held}
    return [
        FakeChannel(id=ref, name=f"quiet-{ref.lower()}")
        for ref in configured
        if ref not in held_ids and not ref.startswith("#")
    ]


def secret_values(config: AppConfig, made: SandboxSecrets) -> dict[str, str]:
    """The value of each env var config.yaml names as a secret (what the sandbox stores in its
    Secrets Manager)."""
    sources, intake = config.sources, config.intake
    values = {
        sources.slack.bot_token_env: made.slack_token,
        sources.slack.signing_secret_env: made.slack_signing_secret,
        sources.discord.bot_token_env: made.discord_token,
        sources.discord.public_key_env: made.discord_public_key,
        intake.alertmanager_token_env: made.alertmanager_token,
        intake.actions.key_env: made.action_key,
    }
    # The sandbox's Prometheus takes no credentials: a config naming some hydrates only the chat ones.
    return {name: values[name] for name in secret_env_names(config) if name in values}
