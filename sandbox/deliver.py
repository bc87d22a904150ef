"""Send a scenario's alert into the sandbox intake the way its platform would: a signed Slack
event, a signed Discord interaction, or the real Alertmanager's webhook (sent directly, with the
same bearer token, where the binary is not installed or the sandbox is told not to use it).

SCENARIOS.md: in Slack and Discord scenarios the bot is addressed. A Slack alert reaches the intake
as an `app_mention` (the mention is added to the text when the scenario's text lacks it, as the
real message would carry it). A Discord alert is posted in its channel by the alerting bot and
reaches the intake over the Gateway (the stand-in dispatches MESSAGE_CREATE to the sandbox's
listener); without the listener, through the "Investigate" message command on the alert message."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import httpx

from sandbox.alertmanager import alertmanager_binary, scenario_alerts
from sandbox.resolved import ResolvedScenario, alertmanager_payload, scenario_group_by
from sandbox.signing import discord_headers, slack_headers
from sandbox.slack_store import APP_ID
from shared.errors import SreOnCallError

if TYPE_CHECKING:
    from sandbox.stack import Sandbox

ALERT_BOT_USER = "U0ALERTBOT"
APP_BOT_USER = "U0SREBOT"
DISCORD_ALERT_BOT = "1100000000000000099"
DISCORD_APPLICATION = "1000000000000000001"
MESSAGE_COMMAND = 3  # application command type of a message's context-menu action


@dataclass(frozen=True)
class Delivery:
    """How the alert went in: `path` is `alertmanager` (through the real Alertmanager), `gateway`
    (a channel message over the Discord Gateway) or `direct` (the webhook posted by the sandbox
    itself); `detail` says it in words."""

    path: Literal["alertmanager", "direct", "gateway"]
    detail: str


def deliver(sandbox: Sandbox, resolved: ResolvedScenario) -> Delivery:
    """Deliver the alert; say how it was delivered."""
    platform = resolved.alert.platform
    if platform == "slack":
        return _slack(sandbox, resolved)
    if platform == "discord":
        if sandbox.discord_listener is not None:
            return _discord_gateway(sandbox, resolved)
        return _discord(sandbox, resolved)
    return _alertmanager(sandbox, resolved)


def addressed_to_bot(text: str) -> str:
    """The text as a person addressing the bot writes it: with the bot's mention."""
    mention = f"<@{APP_BOT_USER}>"
    return text if mention in text else f"{mention} {text}"


def report_platform(resolved: ResolvedScenario) -> Literal["slack", "discord"]:
    """Where an Alertmanager scenario's report goes: the platform of its `alert.channel` (a
    channel the scenario lists under `sources.discord` or `sources.slack`; else Discord for a
    numeric id, as Discord ids are, and Slack otherwise)."""
    channel = resolved.alert.channel
    if any(c.id == channel for c in resolved.discord_channels):
        return "discord"
    if any(c.id == channel for c in resolved.slack_channels):
        return "slack"
    return "discord" if channel.isdigit() else "slack"


def _post(sandbox: Sandbox, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    answer = httpx.post(
        f"{sandbox.intake.url}{path}", content=body, headers=headers, timeout=10, trust_env=False
    )
    if answer.status_code >= 300:
        raise SreOnCallError(f"the intake refused the alert: HTTP {answer.status_code} {answer.text[:300]}")
    return answer


def _slack(sandbox: Sandbox, resolved: ResolvedScenario) -> Delivery:
    alert = resolved.alert
    text = addressed_to_bot(alert.text or "")
    ts = sandbox.slack.add_message(alert.channel, alert.at, ALERT_BOT_USER, text, bot=True)
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": ALERT_BOT_USER,
        "text": text,
        "channel": alert.channel,
        "ts": ts,
        "event_ts": ts,
    }
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0SANDBOX",
            "api_app_id": APP_ID,
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(float(ts)),
            "event": event,
            "authorizations": [{"user_id": APP_BOT_USER, "is_bot": True}],
        }
    ).encode()
    stamp = str(int(time.time()))
    _post(sandbox, "/slack/events", body, slack_headers(sandbox.secrets.slack_signing_secret, body, stamp))
    return Delivery("direct", "signed Slack app_mention event")


def _discord_gateway(sandbox: Sandbox, resolved: ResolvedScenario) -> Delivery:
    """The alerting bot posts the alert in its channel, mentioning our bot; the Gateway stand-in
    dispatches MESSAGE_CREATE and the listener hands it to the intake."""
    alert = resolved.alert
    bot = sandbox.discord.guild.bot_user
    mention = f"<@{bot}>"
    text = alert.text or ""
    sandbox.discord_gateway.post_message(
        alert.channel,
        content=text if mention in text else f"{mention} {text}",
        author=DISCORD_ALERT_BOT,
        author_name="alerts",
        bot=True,
        mentions=[bot],
        at=alert.at,
    )
    return Delivery("gateway", "the alerting bot's message in the channel, over the Discord Gateway")


def _discord(sandbox: Sandbox, resolved: ResolvedScenario) -> Delivery:
    alert = resolved.alert
    message_id = sandbox.discord.add_message(
        alert.channel, alert.at, DISCORD_ALERT_BOT, alert.text or "", bot=True
    )
    message = sandbox.discord.message_json(alert.channel, message_id)
    body = json.dumps(
        {
            "id": str(10**18 + uuid.uuid4().int % 10**17),
            "application_id": DISCORD_APPLICATION,
            "type": 2,
            "token": f"sandbox-{uuid.uuid4().hex}",
            "channel_id": alert.channel,
            "guild_id": sandbox.discord.guild_id,
            "version": 1,
            "data": {
                "id": "1000000000000000003",
                "name": "Investigate",
                "type": MESSAGE_COMMAND,
                "target_id": message_id,
                "resolved": {"messages": {message_id: message}},
            },
        }
    ).encode()
    stamp = str(int(time.time()))
    _post(
        sandbox,
        "/discord/interactions",
        body,
        discord_headers(sandbox.secrets.discord_signing_key, body, stamp),
    )
    return Delivery("direct", "signed Discord interaction: the Investigate action on the alert message")


def alertmanager_query(resolved: ResolvedScenario) -> str:
    """The query of the intake's `/alertmanager` URL that reports to the scenario's channel."""
    alert = resolved.alert
    platform = alert.platform if alert.platform in ("slack", "discord") else report_platform(resolved)
    return urlencode({"channel": alert.channel, "platform": platform})


def _alertmanager(sandbox: Sandbox, resolved: ResolvedScenario) -> Delivery:
    query = alertmanager_query(resolved)
    token = sandbox.secrets.alertmanager_token
    binary = alertmanager_binary() if sandbox.use_alertmanager else None
    # Alertmanager never notifies a group whose alerts were all resolved before its first
    # notification: the resolved webhook the scenario describes came after a firing one this
    # sandbox did not see, so it is sent as Alertmanager would have sent it.
    all_resolved = all(a.status(resolved.now) == "resolved" for a in resolved.alert.alerts)
    if binary is None or all_resolved:
        body = json.dumps(alertmanager_payload(resolved)).encode()
        _post(
            sandbox,
            f"/alertmanager?{query}",
            body,
            {"authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        if all_resolved and binary is not None:
            why = "notifies no group whose alerts all resolved before it first notified"
        else:
            why = "is not installed" if sandbox.use_alertmanager else "is turned off for this sandbox"
        return Delivery("direct", f"Alertmanager webhook sent directly (prometheus-alertmanager {why})")
    sandbox.start_alertmanager(query, scenario_group_by(resolved)).post_alerts(scenario_alerts(resolved))
    return Delivery("alertmanager", "real Alertmanager webhook (prometheus-alertmanager)")
