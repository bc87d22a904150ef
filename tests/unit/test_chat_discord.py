"""DiscordPlatform against a faithful in-process Discord REST fake (httpx.MockTransport)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.chat.discord import DiscordPlatform, snowflake_at, snowflake_time
from shared.chat.retry import Backoff, retry_deadline
from shared.errors import SourceError

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
CHANNEL = "1100000000000000001"
GUILD = "1000000000000000001"
T = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeDiscord:
    """Records requests; answers each (method, path) from a queue of responses, the last one repeating."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], list[httpx.Response]] = {}
        self.sleeps: list[float] = []

    def on(self, method: str, path: str, *responses: httpx.Response) -> None:
        self.routes[(method, "/api/v10" + path)] = list(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(404, json={"message": "Unknown Channel", "code": 10003})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def platform(self, **kw: object) -> DiscordPlatform:
        return DiscordPlatform(
            TOKEN,
            transport=httpx.MockTransport(self),
            sleep=self.sleeps.append,
            backoff=Backoff(base=0.5, cap=4.0, max_retries=3, max_retry_after=30.0),
            **kw,
        )  # type: ignore[arg-type]

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(r.content) for r in self.requests if r.content]


def message(
    mid: int, content: str, *, user: str = "200", bot: bool = False, kind: int = 0, channel: str = CHANNEL
) -> dict[str, object]:
    return {
        "id": str(mid),
        "channel_id": channel,
        "type": kind,
        "content": content,
        "timestamp": snowflake_time(mid).isoformat(),
        "author": {"id": user, "username": f"user{user}", "global_name": f"User {user}", "bot": bot},
    }


def test_post_sends_content_with_no_mentions_allowed_and_the_bot_token() -> None:
    fake = FakeDiscord()
    fake.on("POST", f"/channels/{CHANNEL}/messages", httpx.Response(200, json={"id": "1300000000000000001"}))

    assert fake.platform().post(CHANNEL, "hello @everyone") == "1300000000000000001"
    request = fake.requests[0]
    assert request.headers["Authorization"] == f"Bot {TOKEN}"
    assert request.headers["User-Agent"].startswith("DiscordBot (")
    body = fake.bodies()[0]
    assert body["content"] == "hello @everyone"
    assert body["allowed_mentions"] == {"parse": []}


def test_posting_in_a_thread_starts_it_from_the_message_once_and_then_reuses_it() -> None:
    fake = FakeDiscord()
    alert = "1200000000000000009"
    fake.on("POST", f"/channels/{CHANNEL}/messages/{alert}/threads", httpx.Response(201, json={"id": alert}))
    fake.on("POST", f"/channels/{alert}/messages", httpx.Response(200, json={"id": "1300000000000000002"}))
    chat = fake.platform()

    chat.post(CHANNEL, "**KubePodCrashLooping on shop/checkout**\nmore", thread_id=alert)
    chat.post(CHANNEL, "second part", thread_id=alert)

    paths = [(r.method, r.url.path) for r in fake.requests]
    assert paths == [
        ("POST", f"/api/v10/channels/{CHANNEL}/messages/{alert}/threads"),
        ("POST", f"/api/v10/channels/{alert}/messages"),
        ("POST", f"/api/v10/channels/{alert}/messages"),
    ]
    assert fake.bodies()[0] == {"name": "KubePodCrashLooping on shop/checkout", "auto_archive_duration": 1440}


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(
            400, json={"message": "A thread has already been created for this message", "code": 160004}
        ),
        httpx.Response(404, json={"message": "Unknown Message", "code": 10008}),
    ],
)
def test_an_existing_thread_or_a_thread_channel_id_is_posted_to_directly(refusal: httpx.Response) -> None:
    fake = FakeDiscord()
    thread = "1200000000000000009"
    fake.on("POST", f"/channels/{CHANNEL}/messages/{thread}/threads", refusal)
    fake.on("POST", f"/channels/{thread}/messages", httpx.Response(200, json={"id": "1300000000000000003"}))

    assert fake.platform().post(CHANNEL, "report", thread_id=thread) == "1300000000000000003"


def test_rate_limits_are_waited_out_as_discord_says() -> None:
    fake = FakeDiscord()
    limited = httpx.Response(
        429, json={"message": "You are being rate limited.", "retry_after": 0.25, "global": False}
    )
    header_only = httpx.Response(429, headers={"Retry-After": "2"})
    fake.on(
        "POST",
        f"/channels/{CHANNEL}/messages",
        limited,
        header_only,
        httpx.Response(200, json={"id": "1300000000000000004"}),
    )

    assert fake.platform().post(CHANNEL, "x") == "1300000000000000004"
    assert fake.sleeps == [0.25, 2.0]
    assert len(fake.requests) == 3


def test_a_rate_limit_longer_than_the_bound_fails_at_once() -> None:
    fake = FakeDiscord()
    fake.on("POST", f"/channels/{CHANNEL}/messages", httpx.Response(429, json={"retry_after": 120.0}))

    with pytest.raises(SourceError, match="HTTP 429"):
        fake.platform().post(CHANNEL, "x")
    assert fake.sleeps == [] and len(fake.requests) == 1


def test_server_errors_are_retried_with_bounded_backoff_then_reported_without_the_token() -> None:
    fake = FakeDiscord()
    fake.on(
        "GET",
        f"/channels/{CHANNEL}/messages",
        httpx.Response(502),
        httpx.Response(500),
        httpx.Response(503),
        httpx.Response(500, json={"message": "Internal Server Error", "code": 0}),
    )

    with pytest.raises(SourceError) as raised:
        fake.platform().history(CHANNEL)
    assert len(fake.requests) == 4
    assert len(fake.sleeps) == 3 and all(0 < s <= 4.0 for s in fake.sleeps)
    assert "HTTP 500 Internal Server Error" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_server_error_then_success_returns_the_data() -> None:
    fake = FakeDiscord()
    fake.on("GET", f"/channels/{CHANNEL}/messages", httpx.Response(500), httpx.Response(200, json=[]))

    assert fake.platform().history(CHANNEL).messages == ()
    assert len(fake.sleeps) == 1


def test_connection_errors_are_retried_then_become_source_errors() -> None:
    sleeps: list[float] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    chat = DiscordPlatform(
        TOKEN, transport=httpx.MockTransport(refuse), sleep=sleeps.append, backoff=Backoff(max_retries=2)
    )
    with pytest.raises(SourceError, match="ConnectError"):
        chat.post(CHANNEL, "x")
    assert len(sleeps) == 2


def test_history_pages_newest_first_and_stops_at_oldest() -> None:
    fake = FakeDiscord()
    newest = int(snowflake_at(T - timedelta(minutes=1)))
    older = int(snowflake_at(T - timedelta(minutes=41)))
    page = [
        message(newest, "[FIRING:1] KubePodCrashLooping", user="300", bot=True),
        message(older, "Deploying checkout v2.3.0 to prod"),
    ]
    fake.on("GET", f"/channels/{CHANNEL}/messages", httpx.Response(200, json=page))
    chat = fake.platform()

    first = chat.history(CHANNEL, latest=T, limit=2)
    assert [m.text for m in first.messages] == [
        "[FIRING:1] KubePodCrashLooping",
        "Deploying checkout v2.3.0 to prod",
    ]
    assert first.messages[0].bot and not first.messages[1].bot
    assert first.messages[1].user_name == "User 200"
    assert first.messages[1].at == snowflake_time(older)
    assert first.next_cursor == str(older)
    assert fake.requests[0].url.params["before"] == snowflake_at(T)
    assert fake.requests[0].url.params["limit"] == "2"

    chat.history(CHANNEL, limit=500, cursor=first.next_cursor)
    assert fake.requests[1].url.params["before"] == str(older)
    assert fake.requests[1].url.params["limit"] == "100"

    bounded = chat.history(CHANNEL, oldest=T - timedelta(minutes=10), limit=2)
    assert [m.id for m in bounded.messages] == [str(newest)] and bounded.next_cursor is None


def test_replies_are_the_thread_channel_messages_oldest_first_without_the_starter() -> None:
    fake = FakeDiscord()
    thread = "1200000000000000009"
    page = [
        message(1300000000000000020, "second", channel=thread),
        message(1300000000000000010, "first", channel=thread),
        message(1200000000000000010, "", kind=21, channel=thread),
    ]
    fake.on("GET", f"/channels/{thread}/messages", httpx.Response(200, json=page))

    replies = fake.platform().replies(CHANNEL, thread)
    assert [m.text for m in replies.messages] == ["first", "second"]
    assert all(m.thread_id == thread for m in replies.messages)
    assert fake.requests[0].url.params["after"] == "0"
    assert fake.platform().replies(CHANNEL, "1200000000000000077").messages == ()


def test_names_are_resolved_once_and_permalinks_carry_the_guild() -> None:
    fake = FakeDiscord()
    fake.on(
        "GET", "/users/200", httpx.Response(200, json={"id": "200", "username": "ana", "global_name": "Ana"})
    )
    fake.on(
        "GET",
        f"/channels/{CHANNEL}",
        httpx.Response(200, json={"id": CHANNEL, "name": "incidents", "guild_id": GUILD}),
    )
    chat = fake.platform()

    assert chat.user_name("200") == chat.user_name("200") == "Ana"
    assert chat.channel_name(CHANNEL) == "incidents"
    assert chat.permalink(CHANNEL, "1300") == f"https://discord.com/channels/{GUILD}/{CHANNEL}/1300"
    assert len(fake.requests) == 2
    assert chat.user_name("999") == "999"
    assert chat.permalink("404404", "1") == "https://discord.com/channels/@me/404404/1"


def test_snowflakes_and_times_convert_both_ways() -> None:
    assert snowflake_time("175928847299117063") == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)
    at = datetime(2026, 11, 22, 21, 40, 5, tzinfo=UTC)
    assert snowflake_time(snowflake_at(at)) == at


def test_retries_end_by_the_deadline_the_caller_sets() -> None:
    fake = FakeDiscord()
    fake.on("POST", f"/channels/{CHANNEL}/messages", httpx.Response(429, json={"retry_after": 3.0}))
    with retry_deadline(time.monotonic() + 1.0), pytest.raises(SourceError, match="HTTP 429"):
        fake.platform().post(CHANNEL, "investigating")
    assert fake.sleeps == [] and len(fake.requests) == 1

    fake = FakeDiscord()
    fake.on("POST", f"/channels/{CHANNEL}/messages", httpx.Response(503))
    with retry_deadline(time.monotonic() + 0.1), pytest.raises(SourceError, match="HTTP 503"):
        fake.platform().post(CHANNEL, "investigating")  # a 0.5 s back-off would end past it
    assert fake.sleeps == []

    fake = FakeDiscord()  # no deadline: the same rate limit is waited out
    fake.on(
        "POST",
        f"/channels/{CHANNEL}/messages",
        httpx.Response(429, json={"retry_after": 3.0}),
        httpx.Response(200, json={"id": "1300000000000000004"}),
    )
    assert fake.platform().post(CHANNEL, "report") == "1300000000000000004"
    assert fake.sleeps == [3.0]
