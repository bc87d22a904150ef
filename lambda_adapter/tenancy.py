"""Only our workspace, guilds and application: a validly signed request from elsewhere gets 403.

A Slack app's signing secret signs the events of every workspace the app is installed in, and a
Discord application's key signs the interactions of every guild that added it: a signature alone
does not say the sender is ours. With allowlists in `intake.allowed` (config.yaml), a request that
names another Slack team or app, Discord guild or application, a channel outside the channel list,
or a snapshot asked by someone outside the snapshot users, is answered 403 and nothing else
happens. Team, app, guild and application lists left empty default to the deployer's own
(`own_ids.py`: the bot's, asked once per process; `allowed.own_by_default: false` turns that off);
another empty list allows any. Nothing is parsed when every list is empty; a foreign request is
refused only once its signature checks out (an unsigned one is 401).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from lambda_adapter.own_ids import OwnIds
from lambda_adapter.settings import Allowed, IntakeSettings
from lambda_adapter.verify import verify_discord, verify_slack
from lambda_adapter.webhook import WebhookRequest
from shared.errors import Unauthorized

logger = logging.getLogger(__name__)

SNAPSHOT = ("/sre-snapshot", "sre-snapshot")


@dataclass(frozen=True)
class Sender:
    team: str | None = None
    app: str | None = None
    guild: str | None = None
    application: str | None = None
    channel: str | None = None
    user: str | None = None
    snapshot: bool = False
    ping: bool = False  # Discord checking the endpoint: no guild


def refusal(path: str, request: WebhookRequest, settings: IntakeSettings, now: float) -> str | None:
    """Why this request is not ours to serve (None: it may be). Raises `Unauthorized` when it is
    foreign and its signature does not check out either."""
    if path not in ("/slack/events", "/slack/commands", "/discord/interactions"):
        return None
    allowed = with_own_ids(settings.allowed, settings.own_ids, discord=path.startswith("/discord"))
    if not allowed.any:
        return None
    sender = _sender(path, request.body)
    if sender is None:
        return None  # malformed: the route answers 400
    reason = _foreign(sender, allowed, discord=path.startswith("/discord"))
    if reason is None:
        return None
    headers = request.headers
    if path.startswith("/slack"):
        signed = verify_slack(
            settings.secrets.slack_signing_secret,
            request.body,
            headers.get("x-slack-request-timestamp"),
            headers.get("x-slack-signature"),
            now=now,
        )
    else:
        signed = verify_discord(
            settings.secrets.discord_public_key,
            request.body,
            headers.get("x-signature-timestamp"),
            headers.get("x-signature-ed25519"),
            now=now,
        )
    if not signed:
        raise Unauthorized("invalid or stale signature")
    return reason


def with_own_ids(allowed: Allowed, own: OwnIds | None, *, discord: bool) -> Allowed:
    """The allowlists with the empty team/app (Slack) or guild/application (Discord) lists filled in
    with our own ids, where known. The platform is asked only when a list is empty."""
    if own is None:
        return allowed
    if discord and not (allowed.discord_guilds and allowed.discord_applications):
        ids = own.discord()
        return replace(
            allowed,
            discord_guilds=allowed.discord_guilds or _only(ids.guild),
            discord_applications=allowed.discord_applications or _only(ids.application),
        )
    if not discord and not (allowed.slack_teams and allowed.slack_apps):
        ids = own.slack()
        return replace(
            allowed,
            slack_teams=allowed.slack_teams or _only(ids.team),
            slack_apps=allowed.slack_apps or _only(ids.app),
        )
    return allowed


def _only(value: str | None) -> frozenset[str]:
    return frozenset({value}) if value else frozenset()


def _foreign(sender: Sender, allowed: Allowed, *, discord: bool) -> str | None:
    if discord:
        if allowed.discord_applications and sender.application not in allowed.discord_applications:
            return f"discord application {sender.application or '(none)'} is not allowed"
        if allowed.discord_guilds and not sender.ping and sender.guild not in allowed.discord_guilds:
            return f"discord guild {sender.guild or '(none: a direct message)'} is not allowed"
    else:
        if allowed.slack_teams and sender.team is not None and sender.team not in allowed.slack_teams:
            return f"slack team {sender.team} is not allowed"
        if allowed.slack_apps and sender.app is not None and sender.app not in allowed.slack_apps:
            return f"slack app {sender.app} is not allowed"
    if allowed.channels and sender.channel is not None and sender.channel not in allowed.channels:
        return f"channel {sender.channel} is not allowed"
    if allowed.snapshot_users and sender.snapshot and sender.user not in allowed.snapshot_users:
        return f"user {sender.user or '(unknown)'} may not run snapshots"
    return None


def _sender(path: str, body: bytes) -> Sender | None:
    try:
        if path == "/slack/commands":
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            return Sender(
                team=form.get("team_id"),
                app=form.get("api_app_id"),
                channel=form.get("channel_id"),
                user=form.get("user_id"),
                snapshot=form.get("command", "").strip() in SNAPSHOT,
            )
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if path == "/slack/events":
        if data.get("type") == "url_verification":
            return Sender()  # setting up the Events URL: no workspace yet
        event = _dict(data.get("event"))
        item = _dict(event.get("item"))
        return Sender(
            team=_str(data.get("team_id")) or "",
            app=_str(data.get("api_app_id")) or "",
            channel=_str(event.get("channel")) or _str(item.get("channel")),
        )
    interaction_data = _dict(data.get("data"))
    member_user = _dict(_dict(data.get("member")).get("user"))
    user = _str(member_user.get("id")) or _str(_dict(data.get("user")).get("id"))
    is_ping = data.get("type") == 1
    return Sender(
        guild=_str(data.get("guild_id")),
        application=_str(data.get("application_id")),
        channel=None if is_ping else _str(data.get("channel_id")),
        user=user,
        snapshot=str(interaction_data.get("name", "")).strip().lower() in SNAPSHOT,
        ping=is_ping,
    )


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
