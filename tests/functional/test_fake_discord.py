"""The Discord REST v10 stand-in over httpx, as the Discord scanner, the master and the intake use
it: bot-token auth, channels, messages with snowflake ids from their times and Discord's paging,
posting (limits and error shapes), threads started from a message, interaction webhooks, the
post record, and injected rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox.chat import FakeChannel, FakeDiscordApi, FakeMessage
from sandbox.http import ServedApp
from shared.chat.discord import DiscordApiError, DiscordPlatform
from shared.chat.retry import Backoff

pytestmark = pytest.mark.functional

TOKEN = "sandbox.discord-token"
GUILD = "1000000000000000000"
INCIDENTS, DEPLOYS = "1100000000000000001", "1100000000000000002"
ANA, DEPLOYER, ALERTS = "1100000000000000010", "1100000000000000011", "1100000000000000099"
DISCORD_EPOCH_MS = 1_420_070_400_000
NOW = datetime.now(UTC).replace(microsecond=0)


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def created(snowflake: str) -> datetime:
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


CHANNELS = [
    FakeChannel(
        INCIDENTS,
        "incidents",
        [
            FakeMessage(ago(50), ANA, "checkout errors are up"),
            FakeMessage(
                ago(41),
                DEPLOYER,
                "Deploying checkout v2.3.0",
                replies=[FakeMessage(ago(40), ANA, "watching"), FakeMessage(ago(39), DEPLOYER, "done")],
            ),
            FakeMessage(ago(10), ANA, "still slow"),
            FakeMessage(ago(2), ALERTS, "[FIRING:1] KubePodCrashLooping", bot=True),
        ],
    ),
    FakeChannel(DEPLOYS, "deploys", []),
]


@dataclass
class Discord:
    api: FakeDiscordApi
    base: str
    http: httpx.Client

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, payload: Any) -> httpx.Response:
        return self.http.post(path, json=payload)


@pytest.fixture
def discord() -> Iterator[Discord]:
    api = FakeDiscordApi(CHANNELS, {ANA: "Ana", DEPLOYER: "Deploy Bot"}, token=TOKEN, guild_id=GUILD)
    with ServedApp(api.app) as served:
        base = f"{served.url}/api/v10"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bot {TOKEN}"}) as http:
            yield Discord(api, base, http)


def messages(discord: Discord, channel: str = INCIDENTS, **params: Any) -> list[dict[str, Any]]:
    answer = discord.get(f"/channels/{channel}/messages", **params)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_the_bot_token_is_required_except_on_interaction_webhooks(discord: Discord) -> None:
    for headers in ({}, {"Authorization": "Bot wrong"}, {"Authorization": f"Bearer {TOKEN}"}):
        refused = httpx.get(f"{discord.base}/channels/{INCIDENTS}", headers=headers)
        assert (refused.status_code, refused.json()) == (401, {"message": "401: Unauthorized", "code": 0})
    webhook = httpx.patch(
        f"{discord.base}/webhooks/1000000000000000001/tok/messages/@original", json={"content": "ok"}
    )
    assert webhook.status_code == 200


def test_channels_and_the_guilds_channel_list(discord: Discord) -> None:
    channel = discord.get(f"/channels/{INCIDENTS}").json()
    assert (channel["id"], channel["type"], channel["name"], channel["guild_id"]) == (
        INCIDENTS,
        0,
        "incidents",
        GUILD,
    )
    listed = discord.get(f"/guilds/{GUILD}/channels").json()
    assert [c["name"] for c in listed] == ["incidents", "deploys"]  # threads are not guild channels
    missing = discord.get("/channels/1100000000000000077")
    assert (missing.status_code, missing.json()) == (404, {"message": "Unknown Channel", "code": 10003})
    assert discord.get("/guilds/1").json() == {"message": "Unknown Guild", "code": 10004}
    assert discord.get("/nowhere").json() == {"message": "404: Not Found", "code": 0}


def test_messages_are_newest_first_with_ids_from_their_times(discord: Discord) -> None:
    listed = messages(discord)
    assert [m["content"] for m in listed] == [
        "[FIRING:1] KubePodCrashLooping",
        "still slow",
        "Deploying checkout v2.3.0",
        "checkout errors are up",
    ]
    assert [created(m["id"]) for m in listed] == [ago(2), ago(10), ago(41), ago(50)]
    assert datetime.fromisoformat(listed[0]["timestamp"]) == ago(2)
    assert listed[0]["author"] == {
        "id": ALERTS,
        "username": ALERTS,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "bot": True,
    }
    thread = listed[2]["thread"]
    assert (thread["id"], thread["type"], thread["parent_id"], thread["message_count"]) == (
        listed[2]["id"],
        11,
        INCIDENTS,
        2,
    )


def test_before_after_and_around_page_as_discord_does(discord: Discord) -> None:
    newest = messages(discord, limit=2)
    older = messages(discord, limit=2, before=newest[-1]["id"])
    assert [m["content"] for m in newest + older] == [m["content"] for m in messages(discord)]
    oldest = messages(discord, after="0", limit=2)
    assert [m["content"] for m in oldest] == ["Deploying checkout v2.3.0", "checkout errors are up"]
    around = messages(discord, around=newest[1]["id"], limit=3)
    assert newest[1]["id"] in [m["id"] for m in around] and len(around) == 3
    too_many = discord.get(f"/channels/{INCIDENTS}/messages", limit=101)
    assert (
        too_many.status_code == 400
        and too_many.json()["code"] == 50035
        and "limit" in too_many.json()["errors"]
    )
    not_an_id = discord.get(f"/channels/{INCIDENTS}/messages", before="yesterday")
    assert not_an_id.json()["errors"]["before"]["_errors"][0]["code"] == "NUMBER_TYPE_COERCE"
    one = discord.get(f"/channels/{INCIDENTS}/messages/{newest[0]['id']}").json()
    assert one["content"] == "[FIRING:1] KubePodCrashLooping"
    gone = discord.get(f"/channels/{INCIDENTS}/messages/1")
    assert (gone.status_code, gone.json()) == (404, {"message": "Unknown Message", "code": 10008})


def test_posting_is_recorded_and_limits_answer_with_discords_error_shape(discord: Discord) -> None:
    alert = messages(discord, limit=1)[0]
    posted = discord.post(
        f"/channels/{INCIDENTS}/messages",
        {
            "content": "Likely cause: OOM",
            "message_reference": {"message_id": alert["id"]},
            "allowed_mentions": {"parse": []},
        },
    )
    assert posted.status_code == 200
    body = posted.json()
    assert body["type"] == 19 and body["referenced_message"]["id"] == alert["id"]
    assert body["author"]["id"] == discord.api.guild.bot_user and body["author"]["bot"] is True
    assert int(body["id"]) > int(alert["id"])
    [post] = discord.api.posts
    assert (post.channel, post.text, post.ts, post.thread_ts) == (
        INCIDENTS,
        "Likely cause: OOM",
        body["id"],
        None,
    )
    too_long = discord.post(f"/channels/{INCIDENTS}/messages", {"content": "x" * 2001})
    assert too_long.status_code == 400
    assert too_long.json() == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "content": {
                "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
            }
        },
    }
    empty = discord.post(f"/channels/{INCIDENTS}/messages", {"content": ""})
    assert empty.json() == {"message": "Cannot send an empty message", "code": 50006}
    big_embed = discord.post(f"/channels/{INCIDENTS}/messages", {"embeds": [{"description": "x" * 4097}]})
    assert (
        big_embed.json()["errors"]["embeds"]["0"]["description"]["_errors"][0]["code"]
        == "BASE_TYPE_MAX_LENGTH"
    )
    dangling = discord.post(
        f"/channels/{INCIDENTS}/messages", {"content": "x", "message_reference": {"message_id": "1"}}
    )
    assert (
        dangling.json()["errors"]["message_reference"]["_errors"][0]["code"]
        == "MESSAGE_REFERENCE_UNKNOWN_MESSAGE"
    )
    assert len(discord.api.posts) == 1


def test_a_thread_started_from_a_message_has_its_id(discord: Discord) -> None:
    alert = messages(discord, limit=1)[0]
    started = discord.post(
        f"/channels/{INCIDENTS}/messages/{alert['id']}/threads",
        {"name": "OOM", "auto_archive_duration": 1440},
    )
    assert started.status_code == 201
    thread = started.json()
    assert (thread["id"], thread["type"], thread["parent_id"], thread["name"]) == (
        alert["id"],
        11,
        INCIDENTS,
        "OOM",
    )
    again = discord.post(f"/channels/{INCIDENTS}/messages/{alert['id']}/threads", {"name": "OOM"})
    assert again.json() == {"message": "A thread has already been created for this message", "code": 160004}
    reply = discord.post(f"/channels/{alert['id']}/messages", {"content": "report"}).json()
    assert discord.api.posts[-1].thread_ts == alert["id"] and discord.api.posts[-1].channel == alert["id"]
    in_thread = messages(discord, alert["id"], after="0")
    assert [(m["type"], m["content"]) for m in in_thread] == [(0, "report"), (21, "")]
    assert in_thread[1]["message_reference"]["message_id"] == alert["id"]
    assert in_thread[0]["id"] == reply["id"]
    assert messages(discord, limit=1)[0]["thread"]["message_count"] == 1
    nested = discord.post(f"/channels/{alert['id']}/messages/{reply['id']}/threads", {"name": "x"})
    assert nested.json()["code"] == 50024


def test_users_known_and_unknown(discord: Discord) -> None:
    assert discord.get(f"/users/{ANA}").json()["global_name"] == "Ana"
    assert discord.get("/users/@me").json()["bot"] is True
    unknown = discord.get("/users/1199999999999999999")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "Unknown User", "code": 10013})


def test_a_deferred_interaction_is_completed_through_its_webhook(discord: Discord) -> None:
    discord.api.expect_interaction("interaction-token", INCIDENTS)
    original = f"{discord.base}/webhooks/1000000000000000001/interaction-token/messages/@original"
    assert httpx.get(original).status_code == 404
    callback = httpx.post(f"{discord.base}/interactions/1/interaction-token/callback", json={"type": 5})
    assert callback.status_code == 204 and discord.api.posts == []
    edited = httpx.patch(original, json={"content": "Investigating KubePodCrashLooping..."})
    assert edited.status_code == 200 and edited.json()["channel_id"] == INCIDENTS
    assert httpx.get(original).json()["content"] == "Investigating KubePodCrashLooping..."
    followup = httpx.post(
        f"{discord.base}/webhooks/1000000000000000001/interaction-token", json={"content": "done"}
    )
    assert followup.json()["webhook_id"] == "1000000000000000001"
    assert [(p.channel, p.text) for p in discord.api.posts] == [
        (INCIDENTS, "Investigating KubePodCrashLooping..."),
        (INCIDENTS, "done"),
    ]
    assert all("interaction-token" not in p.method for p in discord.api.posts)
    assert messages(discord, limit=1)[0]["content"] == "done"


def test_an_injected_rate_limit_has_discords_body_and_headers(discord: Discord) -> None:
    discord.api.fail_next("POST /channels/*/messages", 429, retry_after=0.25)
    limited = discord.post(f"/channels/{INCIDENTS}/messages", {"content": "x"})
    assert limited.status_code == 429
    assert limited.json() == {"message": "You are being rate limited.", "retry_after": 0.25, "global": False}
    assert limited.headers["Retry-After"] == "1" and limited.headers["X-RateLimit-Scope"] == "user"
    assert discord.post(f"/channels/{INCIDENTS}/messages", {"content": "x"}).status_code == 200


def test_channel_posts_refused_until_reloaded_while_the_interaction_webhooks_answer(
    discord: Discord,
) -> None:
    """A bot without access to the guild's channels: every channel post is answered as Discord
    does, and the interaction's webhook still delivers (it needs no channel permission)."""
    discord.api.fail_next("POST /channels/*/messages", 403, error="Missing Access", code=50001, times=None)
    for _ in range(3):
        refused = discord.post(f"/channels/{INCIDENTS}/messages", {"content": "report"})
        assert (refused.status_code, refused.json()) == (403, {"message": "Missing Access", "code": 50001})
    platform = DiscordPlatform(TOKEN, discord.base, backoff=Backoff(max_retries=2), sleep=lambda _s: None)
    with pytest.raises(DiscordApiError) as raised:
        platform.post(INCIDENTS, "report")
    assert (raised.value.status, raised.value.code) == (403, 50001)
    discord.api.expect_interaction("interaction-token", INCIDENTS)
    webhook = f"{discord.base}/webhooks/1000000000000000001/interaction-token"
    assert httpx.patch(f"{webhook}/messages/@original", json={"content": "part 1"}).status_code == 200
    assert httpx.post(webhook, json={"content": "part 2"}).status_code == 200
    too_long = httpx.post(webhook, json={"content": "x" * 2001})
    assert too_long.status_code == 400 and too_long.json()["code"] == 50035
    assert [(p.channel, p.text) for p in discord.api.posts] == [(INCIDENTS, "part 1"), (INCIDENTS, "part 2")]
    discord.api.load(CHANNELS)
    assert discord.post(f"/channels/{INCIDENTS}/messages", {"content": "report"}).status_code == 200


def test_the_projects_discord_platform_reads_and_posts_through_it(discord: Discord) -> None:
    waits: list[float] = []
    platform = DiscordPlatform(TOKEN, discord.base, backoff=Backoff(max_retries=2), sleep=waits.append)
    alert = messages(discord, limit=1)[0]["id"]
    discord.api.fail_next("POST /channels/*/messages", 429, retry_after=0.5)
    first = platform.post(INCIDENTS, "**Likely cause:** OOM\nevidence", thread_id=alert)
    second = platform.post(INCIDENTS, "late update", thread_id=alert)
    assert waits == [0.5]
    assert [(p.channel, p.thread_ts, p.ts) for p in discord.api.posts] == [
        (alert, alert, first),
        (alert, alert, second),
    ]
    assert discord.get(f"/channels/{alert}").json()["name"] == "Likely cause: OOM"
    replies = platform.replies(INCIDENTS, alert)
    assert [m.text for m in replies.messages] == ["**Likely cause:** OOM\nevidence", "late update"]
    history = platform.history(INCIDENTS, oldest=ago(45), latest=NOW)
    assert [m.text for m in history.messages] == [
        "[FIRING:1] KubePodCrashLooping",
        "still slow",
        "Deploying checkout v2.3.0",
    ]
    deploy = history.messages[2]
    assert deploy.reply_count == 2 and deploy.user_name == "Deploy Bot" and deploy.at == ago(41)
    assert [m.text for m in platform.replies(INCIDENTS, deploy.id).messages] == ["watching", "done"]
    assert platform.permalink(INCIDENTS, alert) == f"https://discord.com/channels/{GUILD}/{INCIDENTS}/{alert}"
    platform.close()


def test_add_message_puts_the_alert_in_place_with_an_id_from_its_time(discord: Discord) -> None:
    at = NOW - timedelta(seconds=30)
    message_id = discord.api.add_message(INCIDENTS, at, ALERTS, "[FIRING:1] new", bot=True)
    assert created(message_id) == at and messages(discord, limit=1)[0]["id"] == message_id
    other = discord.api.add_message("1100000000000000003", at, ALERTS, "elsewhere")
    assert other != message_id and created(other) == at
