"""Send a scenario's alert into the sandbox intake the way its platform would: a signed Slack
event, a signed Discord interaction, or the real Alertmanager's webhook (sent directly, with the
same bearer token, where the binary is not installed)."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx

from lambda_adapter.testing import discord_headers, slack_headers
from shared.errors import SreOnCallError
from shared.sandbox.alertmanager import AlertmanagerSandbox, alertmanager_binary, scenario_alerts
from shared.sandbox.resolved import ResolvedScenario, alertmanager_payload

if TYPE_CHECKING:
    from shared.sandbox.stack import Sandbox

ALERT_BOT_USER = "U0ALERTBOT"
APP_BOT_USER = "U0SREBOT"


def deliver(sandbox: Sandbox, resolved: ResolvedScenario) -> str:
    """Deliver the alert; return how it was delivered (for the demo's output)."""
    platform = resolved.alert.platform
    if platform == "slack":
        return _slack(sandbox, resolved)
    if platform == "discord":
        return _discord(sandbox, resolved)
    return _alertmanager(sandbox, resolved)


def _post(sandbox: Sandbox, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    answer = httpx.post(
        f"{sandbox.intake.url}{path}", content=body, headers=headers, timeout=10, trust_env=False
    )
    if answer.status_code >= 300:
        raise SreOnCallError(f"the intake refused the alert: HTTP {answer.status_code} {answer.text[:300]}")
    return answer


def _slack(sandbox: Sandbox, resolved: ResolvedScenario) -> str:
    alert = resolved.alert
    text = alert.text or ""
    ts = sandbox.slack.add_message(alert.channel, alert.at, ALERT_BOT_USER, text, bot=True)
    mentioned = f"<@{APP_BOT_USER}>" in text
    event: dict[str, Any] = (
        {"type": "app_mention", "user": ALERT_BOT_USER}
        if mentioned
        else {"type": "message", "subtype": "bot_message", "bot_id": "B0ALERTS"}
    )
    event.update(text=text, channel=alert.channel, ts=ts, event_ts=ts)
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0SANDBOX",
            "api_app_id": "A0SANDBOX",
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(float(ts)),
            "event": event,
            "authorizations": [{"user_id": APP_BOT_USER, "is_bot": True}],
        }
    ).encode()
    stamp = str(int(time.time()))
    _post(sandbox, "/slack/events", body, slack_headers(sandbox.secrets.slack_signing_secret, body, stamp))
    return f"signed Slack {event['type']} event"


def _discord(sandbox: Sandbox, resolved: ResolvedScenario) -> str:
    alert = resolved.alert
    sandbox.discord.add_message(alert.channel, alert.at, "1100000000000000099", alert.text or "", bot=True)
    body = json.dumps(
        {
            "id": str(10**18 + uuid.uuid4().int % 10**17),
            "application_id": "1000000000000000001",
            "type": 2,
            "token": f"sandbox-{uuid.uuid4().hex}",
            "channel_id": alert.channel,
            "guild_id": "1000000000000000000",
            "version": 1,
            "data": {"id": "1000000000000000002", "name": "investigate", "type": 1},
        }
    ).encode()
    stamp = str(int(time.time()))
    _post(
        sandbox,
        "/discord/interactions",
        body,
        discord_headers(sandbox.secrets.discord_signing_key, body, stamp),
    )
    return "signed Discord /investigate interaction"


def _alertmanager(sandbox: Sandbox, resolved: ResolvedScenario) -> str:
    alert = resolved.alert
    webhook = f"{sandbox.intake.url}/alertmanager?channel={alert.channel}&platform=slack"
    token = sandbox.secrets.alertmanager_token
    if alertmanager_binary() is None:
        body = json.dumps(alertmanager_payload(resolved)).encode()
        _post(
            sandbox,
            f"/alertmanager?channel={alert.channel}&platform=slack",
            body,
            {"authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        return "Alertmanager webhook sent directly (prometheus-alertmanager is not installed)"
    sandbox._stop_alertmanager()
    sandbox.alertmanager = AlertmanagerSandbox(sandbox.workdir / "scenario", webhook, bearer_token=token)
    sandbox.alertmanager.start()
    sandbox.alertmanager.post_alerts(scenario_alerts(resolved))
    return "real Alertmanager webhook (prometheus-alertmanager)"
