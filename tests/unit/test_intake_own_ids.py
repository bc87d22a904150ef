"""With no allowlists in config, the intake serves only the deployer's own workspace and app (Slack:
the bot's team and app, from auth.test) and guild and application (Discord: sources.discord.guild_id
and the bot's application): a validly signed request from anywhere else is 403 with nothing done.
Lists in config win; a platform that cannot say who we are leaves the default unenforced (asked again
later), and `own_by_default: false` serves any signed request, as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from lambda_adapter.own_ids import RETRY_SECONDS, OwnIds
from lambda_adapter.settings import Allowed, IntakeSettings
from sandbox.intake_fakes import Harness
from shared.config import load_config, parse_config

EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())
DISCORD_INVESTIGATE = json.loads((EVENTS / "discord_investigate.json").read_text())
TEAM, APP = MENTION["team_id"], MENTION["api_app_id"]
GUILD, APPLICATION = DISCORD_INVESTIGATE["guild_id"], DISCORD_INVESTIGATE["application_id"]


class Platforms:
    """Slack's auth.test / bots.info and Discord's /oauth2/applications/@me; `down` fails them all."""

    def __init__(self) -> None:
        self.down = False
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.asked.append(path)
        if self.down:
            return httpx.Response(503)
        if path.endswith("/auth.test"):
            assert request.headers["authorization"] == "Bearer xoxb-ours"
            return httpx.Response(200, json={"ok": True, "team_id": TEAM, "bot_id": "B0OURBOT"})
        if path.endswith("/bots.info"):
            return httpx.Response(200, json={"ok": True, "bot": {"id": "B0OURBOT", "app_id": APP}})
        if path.endswith("/oauth2/applications/@me"):
            assert request.headers["authorization"] == "Bot discord-ours"
            return httpx.Response(200, json={"id": APPLICATION, "name": "sre-on-call"})
        return httpx.Response(404)


def harness(platforms: Platforms, allowed: Allowed = Allowed(), clock: Any = None) -> Harness:
    own = OwnIds(
        slack_token="xoxb-ours",
        discord_token="discord-ours",
        discord_guild=GUILD,
        transport=httpx.MockTransport(platforms),
        **({"clock": clock} if clock else {}),
    )
    base = Harness()
    settings = IntakeSettings(secrets=base.settings.secrets, allowed=allowed, own_ids=own)
    return Harness(settings)


def nothing_happened(h: Harness) -> bool:
    return not h.started and not h.jobs.submitted and not h.slack_chat.posted and not h.discord_chat.posted


def test_without_allowlists_only_our_slack_workspace_and_app_are_served() -> None:
    platforms = Platforms()
    h = harness(platforms)
    assert h.slack({**MENTION, "team_id": "T0FOREIGN"}).status == 403
    assert h.slack({**MENTION, "event_id": "Ev2", "api_app_id": "A0OTHER"}).status == 403
    assert nothing_happened(h)
    assert json.loads(h.slack({**MENTION, "event_id": "Ev3"}).body)["outcome"] == "started"
    assert platforms.asked.count("/api/auth.test") == 1  # asked once per process


def test_without_allowlists_only_our_discord_guild_and_application_are_served() -> None:
    h = harness(Platforms())
    assert h.discord({**DISCORD_INVESTIGATE, "guild_id": "999999999999999999"}).status == 403
    assert h.discord({**DISCORD_INVESTIGATE, "id": "2", "application_id": "888888888888888888"}).status == 403
    assert nothing_happened(h)
    assert h.discord(DISCORD_INVESTIGATE).status == 200


def test_lists_in_config_win_and_nobody_is_asked() -> None:
    platforms = Platforms()
    h = harness(platforms, Allowed(slack_teams=frozenset({"T0OTHER"}), slack_apps=frozenset({APP})))
    assert h.slack(MENTION).status == 403  # our bot's own team is not in the configured list
    assert platforms.asked == []


def test_a_platform_that_cannot_say_who_we_are_leaves_it_unenforced_until_it_can() -> None:
    platforms = Platforms()
    platforms.down = True
    now = [1000.0]
    h = harness(platforms, clock=lambda: now[0])
    assert json.loads(h.slack({**MENTION, "team_id": "T0FOREIGN"}).body)["outcome"] == "started"
    platforms.down = False
    now[0] += RETRY_SECONDS
    assert h.slack({**MENTION, "event_id": "Ev9", "team_id": "T0FOREIGN"}).status == 403


def test_own_ids_come_from_config_unless_turned_off() -> None:
    data = load_config().model_dump(mode="json")
    env = {"SLACK_BOT_TOKEN": "xoxb-ours"}
    assert IntakeSettings.from_config(parse_config(data), env).own_ids is not None
    data["intake"]["allowed"]["own_by_default"] = False
    assert IntakeSettings.from_config(parse_config(data), env).own_ids is None
