"""Only our workspace, guilds and application: a validly signed request from another Slack team or
app, Discord guild or application (or an unlisted channel, or a snapshot by someone not listed) is
answered 403 and nothing else happens; ours goes through; an unsigned one is still 401; without
allowlists any signed request is served, as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.settings import Allowed, IntakeSettings
from sandbox.intake_fakes import Harness
from sandbox.signing import slack_headers

EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())
SNAPSHOT_FORM = (EVENTS / "slack_slash_snapshot.form").read_bytes().strip()
DISCORD_INVESTIGATE = json.loads((EVENTS / "discord_investigate.json").read_text())
DISCORD_PING = json.loads((EVENTS / "discord_ping.json").read_text())
OURS = Allowed(
    slack_teams=frozenset({"T061EG9R6"}),
    slack_apps=frozenset({"A0MDYCDME"}),
    discord_guilds=frozenset({"1226150000000000001"}),
    discord_applications=frozenset({"1226161212004192356"}),
)


def harness(allowed: Allowed = OURS) -> Harness:
    base = Harness()
    settings = IntakeSettings(
        secrets=base.settings.secrets, alertmanager_channel="C0LAN2Q65", allowed=allowed
    )
    return Harness(settings)


def nothing_happened(h: Harness) -> bool:
    return not h.started and not h.jobs.submitted and not h.slack_chat.posted and not h.discord_chat.posted


@pytest.mark.parametrize(
    "change",
    [{"team_id": "T0FOREIGN"}, {"api_app_id": "A0OTHERAPP"}],
    ids=["another-workspace", "another-app"],
)
def test_a_signed_event_from_elsewhere_is_refused_and_nothing_happens(change: dict[str, str]) -> None:
    h = harness()
    answer = h.slack({**MENTION, **change})
    assert answer.status == 403
    assert nothing_happened(h)


def test_our_workspace_is_served() -> None:
    h = harness()
    assert json.loads(h.slack(MENTION).body)["outcome"] == "started"


def test_an_unsigned_foreign_event_is_401_not_403() -> None:
    h = harness()
    body = json.dumps({**MENTION, "team_id": "T0FOREIGN"}).encode()
    assert h.request("/slack/events", body, {"x-slack-request-timestamp": "1"}).status == 401


def test_a_slash_command_from_another_workspace_is_refused() -> None:
    h = harness()
    body = SNAPSHOT_FORM.replace(b"team_id=T061EG9R6", b"team_id=T0FOREIGN")
    stamp = int(h.clock())
    answer = h.request(
        "/slack/commands", body, slack_headers(h.settings.secrets.slack_signing_secret, body, stamp)
    )
    assert answer.status == 403 and nothing_happened(h)


@pytest.mark.parametrize(
    "change",
    [{"guild_id": "999999999999999999"}, {"application_id": "888888888888888888"}, {"guild_id": None}],
    ids=["another-guild", "another-application", "direct-message"],
)
def test_a_discord_interaction_from_elsewhere_is_refused(change: dict[str, Any]) -> None:
    h = harness()
    payload = {k: v for k, v in {**DISCORD_INVESTIGATE, **change}.items() if v is not None}
    assert h.discord(payload).status == 403
    assert nothing_happened(h) and not h.responder.completed


def test_discord_still_verifies_the_endpoint_with_a_ping() -> None:
    h = harness()
    assert h.discord(DISCORD_PING).status == 200


FORM = "application/x-www-form-urlencoded"  # how Slack sends slash commands


def test_channels_and_snapshot_users_can_be_limited() -> None:
    h = harness(Allowed(channels=frozenset({"C0OTHER"})))
    assert h.slack(MENTION).status == 403
    h = harness(Allowed(snapshot_users=frozenset({"U0SOMEONEELSE"})))
    stamp = int(h.clock())
    secret = h.settings.secrets.slack_signing_secret
    assert (
        h.request(
            "/slack/commands", SNAPSHOT_FORM, slack_headers(secret, SNAPSHOT_FORM, stamp, content_type=FORM)
        ).status
        == 403
    )
    h = harness(Allowed(snapshot_users=frozenset({"U061F7AUR"})))
    assert (
        h.request(
            "/slack/commands", SNAPSHOT_FORM, slack_headers(secret, SNAPSHOT_FORM, stamp, content_type=FORM)
        ).status
        == 200
    )


def test_without_allowlists_any_signed_workspace_is_served_as_before() -> None:
    h = harness(Allowed())
    assert json.loads(h.slack({**MENTION, "team_id": "T0FOREIGN"}).body)["outcome"] == "started"
