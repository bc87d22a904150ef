"""Abuse drill over loopback: the intake served by uvicorn, its dedup table in DynamoDB on the moto
server, allowlists of our Slack team and app and our Discord guild and application. Validly signed
requests from another workspace, app, guild or application are answered 403 and nothing else
happens: no investigation, no chat message, no interaction answered, not one write to the table.
Ours, sent after them, is served."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambda_adapter.dedup import DynamoDedupStore
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import Allowed, IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat, RecordingDispatcher, RecordingResponder
from sandbox.signing import TEST_SLACK_SECRET, discord_headers, discord_keypair, slack_headers
from tests.support.dynamo import dedup_table, dynamodb_client, moto_server

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())
DISCORD_INVESTIGATE = json.loads((EVENTS / "discord_investigate.json").read_text())
OURS = Allowed(
    slack_teams=frozenset({"T061EG9R6"}),
    slack_apps=frozenset({"A0MDYCDME"}),
    discord_guilds=frozenset({"1226150000000000001"}),
    discord_applications=frozenset({"1226161212004192356"}),
)
FOREIGN_SLACK = [{"team_id": "T0FOREIGN"}, {"api_app_id": "A0OTHERAPP"}]
FOREIGN_DISCORD = [{"guild_id": "999999999999999999"}, {"application_id": "888888888888888888"}]


class Served:
    def __init__(self, url: str, client: Any, table: str, signing_key: str) -> None:
        self.url, self.client, self.table, self.signing_key = url, client, table, signing_key
        self.dispatcher = RecordingDispatcher()
        self.responder = RecordingResponder()
        self.chats = {"slack": MemoryChat("slack"), "discord": MemoryChat("discord")}

    def items(self) -> list[dict[str, Any]]:
        return list(self.client.scan(TableName=self.table)["Items"])

    def nothing_happened(self) -> bool:
        return (
            not self.dispatcher.contexts
            and not any(chat.posted for chat in self.chats.values())
            and not self.responder.completed
            and not self.items()
        )


@pytest.fixture
def served() -> Iterator[Served]:
    signing_key, public_key = discord_keypair()
    with moto_server() as dynamo_url:
        client = dynamodb_client(dynamo_url)
        table = dedup_table(dynamo_url)
        settings = IntakeSettings(
            secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET, discord_public_key=public_key),
            alertmanager_channel="C0LAN2Q65",
            allowed=OURS,
        )
        state = Served("", client, table, signing_key)
        app = create_app(
            settings=settings,
            dispatcher=state.dispatcher,
            chat_for=state.chats.__getitem__,
            dedup=DynamoDedupStore(client, table),
            responder=state.responder,
        )
        with ThreadedServer(app) as server:
            state.url = server.url
            yield state


def slack(served: Served, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = slack_headers(TEST_SLACK_SECRET, body, int(time.time()))
    return httpx.post(f"{served.url}/slack/events", content=body, headers=headers, timeout=10)


def discord(served: Served, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        **discord_headers(served.signing_key, body, int(time.time())),
    }
    return httpx.post(f"{served.url}/discord/interactions", content=body, headers=headers, timeout=10)


def test_signed_requests_from_another_workspace_app_guild_or_application_get_403_and_nothing_else(
    served: Served,
) -> None:
    for n, change in enumerate(FOREIGN_SLACK):
        payload = {**MENTION, **change, "event_id": f"Ev0FOREIGN{n}"}
        assert slack(served, payload).status_code == 403
    for change in FOREIGN_DISCORD:
        assert discord(served, {**DISCORD_INVESTIGATE, **change}).status_code == 403
    assert served.nothing_happened()

    # Ours, through the same server, is served.
    assert json.loads(slack(served, MENTION).content)["outcome"] == "started"
    waited = time.monotonic() + 10
    while not served.dispatcher.contexts and time.monotonic() < waited:  # handed off in the background
        time.sleep(0.05)
    assert [ctx.channel for ctx in served.dispatcher.contexts] == [MENTION["event"]["channel"]]
