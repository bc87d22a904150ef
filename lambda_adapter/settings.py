"""What the intake needs from `config.yaml` and the environment, read once per process.

Secrets are read from the environment variables config names; they are kept out of `repr`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lambda_adapter.own_ids import OwnIds

if TYPE_CHECKING:
    from shared.config import AppConfig

DEFAULT_DISCORD_API = "https://discord.com/api/v10"
# Slack's response_url for a slash command; anything else is not followed (it came signed, but
# the intake posts a report there).
SLACK_RESPONSE_URL_PREFIX = "https://hooks.slack.com/"
# A second /sre-snapshot in the same channel within this many seconds joins the first.
SNAPSHOT_WINDOW_SECONDS = 30
SNAPSHOT_BUSY = "A snapshot of this channel is already on its way."
# An Alertmanager group holds its investigation until it resolves (or this long at most).
ALERT_GROUP_SECONDS = 24 * 3600
# Slack retries a delivery for about five minutes; its event id is remembered at least that long.
MIN_DELIVERY_SECONDS = 300
# Bodies larger than this are refused (413) before any parsing.
MAX_BODY_BYTES = 512 * 1024


@dataclass(frozen=True)
class Allowed:
    """Allowlists; an empty one allows any."""

    slack_teams: frozenset[str] = frozenset()
    slack_apps: frozenset[str] = frozenset()
    discord_guilds: frozenset[str] = frozenset()
    discord_applications: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    snapshot_users: frozenset[str] = frozenset()

    @property
    def any(self) -> bool:
        return any(
            (
                self.slack_teams,
                self.slack_apps,
                self.discord_guilds,
                self.discord_applications,
                self.channels,
                self.snapshot_users,
            )
        )


@dataclass(frozen=True)
class Secrets:
    slack_signing_secret: str = field(default="", repr=False)
    discord_public_key: str = field(default="", repr=False)
    alertmanager_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class ActionSettings:
    """The report's acting buttons (config `intake.actions`): the key their values are signed
    with, the Alertmanager a silence goes to, who may silence and for how long."""

    key: str = field(default="", repr=False)
    alertmanager_url: str = ""
    alertmanager_token: str = field(default="", repr=False)
    silence_minutes: int = 60
    allowed_users: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()
    # Slack user groups are looked up with the bot token (usergroups.users.list).
    slack_bot_token: str = field(default="", repr=False)
    slack_api_base: str | None = None


@dataclass(frozen=True)
class IntakeSettings:
    secrets: Secrets = Secrets()
    trigger_reaction: str = "rotating_light"
    dedup_window_seconds: float = 600
    storm_window_seconds: float = 300
    alertmanager_channel: str | None = None
    alertmanager_platform: str = "slack"
    window_minutes: int = 60
    cluster_default: str | None = None
    region: str | None = None
    discord_api_base: str = DEFAULT_DISCORD_API
    # The master posts a snapshot by then (`defaults.snapshot_deadline_seconds`).
    snapshot_deadline_seconds: float = 25.0
    response_url_prefix: str = SLACK_RESPONSE_URL_PREFIX
    handoff_attempts: int = 3
    handoff_lease_seconds: float = 30.0
    # Who may use the app (`tenancy.py`); empty lists allow any, unless `own_ids` fills them in.
    allowed: Allowed = Allowed()
    actions: ActionSettings = ActionSettings()
    # The deployer's own team, app, guild and application (`own_ids.py`): what empty allowlists of
    # those default to. None: no default (empty lists allow any).
    own_ids: OwnIds | None = field(default=None, compare=False, repr=False)

    @property
    def delivery_seconds(self) -> float:
        return max(self.dedup_window_seconds, MIN_DELIVERY_SECONDS)

    @classmethod
    def from_config(cls, config: AppConfig, environ: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if environ is None else environ
        intake, sources = config.intake, config.sources
        return cls(
            secrets=Secrets(
                slack_signing_secret=env.get(sources.slack.signing_secret_env, ""),
                discord_public_key=env.get(sources.discord.public_key_env, ""),
                alertmanager_token=env.get(intake.alertmanager_token_env, ""),
            ),
            trigger_reaction=intake.trigger_reaction.strip(":"),
            dedup_window_seconds=intake.dedup_window_seconds,
            storm_window_seconds=intake.storm_window_seconds,
            alertmanager_channel=intake.alertmanager_channel,
            alertmanager_platform=intake.alertmanager_platform,
            window_minutes=config.defaults.investigation_window_minutes,
            cluster_default=sources.eks.cluster,
            region=sources.aws.region,
            discord_api_base=(env.get(sources.discord.base_url_env) or DEFAULT_DISCORD_API).rstrip("/"),
            snapshot_deadline_seconds=config.defaults.snapshot_deadline_seconds,
            handoff_attempts=intake.handoff_attempts,
            handoff_lease_seconds=intake.handoff_lease_seconds,
            allowed=Allowed(
                slack_teams=frozenset(intake.allowed.slack_teams),
                slack_apps=frozenset(intake.allowed.slack_apps),
                discord_guilds=frozenset(intake.allowed.discord_guilds),
                discord_applications=frozenset(intake.allowed.discord_applications),
                channels=frozenset(intake.allowed.channels),
                snapshot_users=frozenset(intake.allowed.snapshot_users),
            ),
            actions=ActionSettings(
                key=env.get(intake.actions.key_env, ""),
                alertmanager_url=env.get(intake.actions.alertmanager_url_env, "").rstrip("/"),
                alertmanager_token=env.get(intake.actions.alertmanager_token_env, ""),
                silence_minutes=intake.actions.silence_minutes,
                allowed_users=intake.actions.allowed_users,
                allowed_groups=intake.actions.allowed_groups,
                slack_bot_token=env.get(sources.slack.bot_token_env, ""),
                slack_api_base=env.get(sources.slack.base_url_env) or None,
            ),
            own_ids=OwnIds(
                slack_token=env.get(sources.slack.bot_token_env, ""),
                slack_api_base=env.get(sources.slack.base_url_env) or None,
                discord_token=env.get(sources.discord.bot_token_env, ""),
                discord_api_base=(env.get(sources.discord.base_url_env) or DEFAULT_DISCORD_API).rstrip("/"),
                discord_guild=sources.discord.guild_id,
            )
            if intake.allowed.own_by_default
            else None,
        )
