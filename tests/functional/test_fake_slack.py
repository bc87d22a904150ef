"""The Slack Web API stand-in through `slack_sdk.WebClient`, as the Slack scanner and the master
use it: auth, history and thread semantics with cursors, posting (JSON and form bodies) into
threads, the post record and its wait, Block Kit limits, and injected rate limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox.chat import FakeChannel, FakeMessage, FakeSlackApi
from sandbox.http import ServedApp
from shared.chat.retry import Backoff
from shared.chat.slack import SlackPlatform

pytestmark = pytest.mark.functional

TOKEN = "xoxb-sandbox-test"
NOW = datetime.now(UTC).replace(microsecond=0)


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def ts(at: datetime) -> str:
    return f"{int(at.timestamp())}.000000"


CHANNELS = [
    FakeChannel(
        "C0ALERTS",
        "alerts-prod",
        [
            FakeMessage(ago(180), "U0ANA", "payments maintenance tonight"),
            FakeMessage(
                ago(41),
                "U0DEPLOY",
                "Deploying checkout v2.3.0",
                replies=[
                    FakeMessage(ago(40), "U0ANA", "watching it"),
                    FakeMessage(ago(39), "U0DEPLOY", "done"),
                ],
            ),
            FakeMessage(ago(10), "U0BOB", "checkout looks slow"),
            FakeMessage(ago(2), "U0ALERTBOT", "[FIRING:1] KubePodCrashLooping", bot=True),
        ],
    ),
    FakeChannel("C0DEPLOYS", "deploys", []),
]


@dataclass
class Slack:
    api: FakeSlackApi
    url: str

    def client(self, token: str | None = TOKEN, **kwargs: object) -> WebClient:
        return WebClient(token=token, base_url=f"{self.url}/api/", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def slack() -> Iterator[Slack]:
    api = FakeSlackApi(CHANNELS, {"U0ANA": "Ana", "U0DEPLOY": "Deploy Bot"}, token=TOKEN)
    with ServedApp(api.app) as served:
        yield Slack(api, served.url)


def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as e:
        call()  # type: ignore[operator]
    return str(e.value.response["error"])


def test_the_bot_token_is_checked(slack: Slack) -> None:
    assert error_of(lambda: slack.client(None).auth_test()) == "not_authed"
    assert (
        error_of(lambda: slack.client("xoxb-wrong").conversations_history(channel="C0ALERTS"))
        == "invalid_auth"
    )
    me = slack.client().auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("U0SREBOT", "T0SANDBOX", "B0SREBOT")


def test_bots_info_gives_our_bots_app_id_and_knows_no_other_bot(slack: Slack) -> None:
    """What the intake asks to learn its own app id, so that the sandbox enforces it too."""
    bot = slack.client().bots_info(bot="B0SREBOT")["bot"]
    assert (bot["app_id"], bot["user_id"]) == ("A0SANDBOX", "U0SREBOT")
    assert error_of(lambda: slack.client().bots_info(bot="B0SOMEONE")) == "bot_not_found"


def test_history_is_newest_first_top_level_only_with_exclusive_bounds(slack: Slack) -> None:
    client = slack.client()
    everything = client.conversations_history(channel="C0ALERTS")
    assert [m["text"] for m in everything["messages"]] == [
        "[FIRING:1] KubePodCrashLooping",
        "checkout looks slow",
        "Deploying checkout v2.3.0",
        "payments maintenance tonight",
    ]
    assert everything["has_more"] is False
    parent = everything["messages"][2]
    assert parent["ts"] == ts(ago(41)) and parent["reply_count"] == 2 and parent["thread_ts"] == parent["ts"]
    bot = everything["messages"][0]
    assert bot["bot_id"] == "B0ALERTBOT" and bot["user"] == "U0ALERTBOT"
    window = client.conversations_history(channel="C0ALERTS", oldest=ts(ago(41)), latest=ts(ago(2)))
    assert [m["text"] for m in window["messages"]] == ["checkout looks slow"]
    inclusive = client.conversations_history(
        channel="C0ALERTS", oldest=ts(ago(41)), latest=ts(ago(2)), inclusive=True
    )
    assert len(inclusive["messages"]) == 3


def test_history_pages_with_cursors_as_slack_sdk_iterates_them(slack: Slack) -> None:
    # slack_sdk follows response_metadata.next_cursor itself; it reuses the response object, so
    # each page is read while iterating.
    pages = [
        (page["has_more"], [m["text"] for m in page["messages"]])
        for page in slack.client().conversations_history(channel="C0ALERTS", limit=3)
    ]
    assert [(more, len(texts)) for more, texts in pages] == [(True, 3), (False, 1)]
    texts = [text for _, page in pages for text in page]
    assert len(texts) == len(set(texts)) == 4
    assert (
        error_of(lambda: slack.client().conversations_history(channel="C0ALERTS", cursor="bad"))
        == "invalid_cursor"
    )
    assert error_of(lambda: slack.client().conversations_history(channel="C0NOPE")) == "channel_not_found"


def test_replies_list_the_parent_first_then_the_thread(slack: Slack) -> None:
    client = slack.client()
    thread = client.conversations_replies(channel="C0ALERTS", ts=ts(ago(41)))
    assert [m["text"] for m in thread["messages"]] == ["Deploying checkout v2.3.0", "watching it", "done"]
    assert (
        thread["messages"][1]["thread_ts"] == ts(ago(41))
        and thread["messages"][1]["parent_user_id"] == "U0DEPLOY"
    )
    from_reply = client.conversations_replies(channel="C0ALERTS", ts=ts(ago(40)))
    assert len(from_reply["messages"]) == 3
    first = client.conversations_replies(channel="C0ALERTS", ts=ts(ago(41)), limit=2)
    rest = client.conversations_replies(
        channel="C0ALERTS", ts=ts(ago(41)), limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in first["messages"] + rest["messages"]] == [
        "Deploying checkout v2.3.0",
        "watching it",
        "done",
    ]
    lone = client.conversations_replies(channel="C0ALERTS", ts=ts(ago(10)))
    assert [m["text"] for m in lone["messages"]] == ["checkout looks slow"]
    assert (
        error_of(lambda: client.conversations_replies(channel="C0ALERTS", ts="1.000001"))
        == "thread_not_found"
    )


def test_a_thread_reply_is_recorded_and_shows_in_the_thread(slack: Slack) -> None:
    client = slack.client()
    alert = ts(ago(2))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Likely cause:* OOM"}}]
    first = client.chat_postMessage(
        channel="C0ALERTS", text="Likely cause: OOM", thread_ts=alert, blocks=blocks
    )
    second = client.api_call(
        "chat.postMessage", data={"channel": "alerts-prod", "text": "update", "thread_ts": alert}
    )
    assert first["channel"] == "C0ALERTS" and first["message"]["thread_ts"] == alert
    assert float(second["ts"]) > float(first["ts"]) > float(alert)
    posts = slack.api.posts
    assert [(p.channel, p.text, p.thread_ts) for p in posts] == [
        ("C0ALERTS", "Likely cause: OOM", alert),
        ("C0ALERTS", "update", alert),
    ]
    assert posts[0].blocks == blocks and posts[0].ts == first["ts"]
    thread = client.conversations_replies(channel="C0ALERTS", ts=alert)["messages"]
    assert [m["text"] for m in thread] == ["[FIRING:1] KubePodCrashLooping", "Likely cause: OOM", "update"]
    assert thread[1]["bot_id"] == "B0SREBOT" and thread[0]["reply_count"] == 2
    top = client.conversations_history(channel="C0ALERTS", limit=1)["messages"][0]
    assert top["ts"] == alert  # replies stay out of the channel's history


def test_posting_errors_are_slacks(slack: Slack) -> None:
    client = slack.client()
    assert error_of(lambda: client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):  # slack_sdk's own nudge; Slack answers no_text
        assert error_of(lambda: client.chat_postMessage(channel="C0ALERTS", text="")) == "no_text"
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0ALERTS", text="x", thread_ts="0"))
        == "invalid_thread_ts"
    )
    assert error_of(lambda: client.chat_postMessage(channel="C0ALERTS", text="x" * 40_001)) == "msg_too_long"
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as invalid:
        client.chat_postMessage(channel="C0ALERTS", text="x", blocks=long_section)
    assert invalid.value.response["error"] == "invalid_blocks"
    assert "3001" in invalid.value.response["response_metadata"]["messages"][0]
    too_many = [{"type": "divider"}] * 51
    assert (
        error_of(lambda: client.chat_postMessage(channel="C0ALERTS", text="x", blocks=too_many))
        == "invalid_blocks"
    )
    assert slack.api.posts == []


def test_wait_for_post_sees_a_post_made_while_waiting(slack: Slack) -> None:
    def post_later() -> None:
        time.sleep(0.2)
        slack.client().chat_postMessage(channel="C0DEPLOYS", text="Root cause: bad deploy")

    poster = threading.Thread(target=post_later)
    started = time.monotonic()
    poster.start()
    try:
        post = slack.api.wait_for_post(lambda p: "Root cause" in p.text, timeout=5)
    finally:
        poster.join()
    assert post is not None and post.channel == "C0DEPLOYS" and post.thread_ts is None
    assert 0.15 < time.monotonic() - started < 4
    assert post.time <= time.time()
    assert slack.api.wait_for_post(lambda p: "never" in p.text, timeout=0.2) is None


def test_update_permalink_reactions_users_and_channels(slack: Slack) -> None:
    client = slack.client()
    posted = client.chat_postMessage(channel="C0ALERTS", text="investigating", thread_ts=ts(ago(2)))
    updated = client.chat_update(channel="C0ALERTS", ts=posted["ts"], text="Likely cause: OOM")
    assert updated["message"]["text"] == "Likely cause: OOM" and "edited" in updated["message"]
    assert [p.method for p in slack.api.posts] == ["chat.postMessage", "chat.update"]
    assert (
        error_of(lambda: client.chat_update(channel="C0ALERTS", ts=ts(ago(10)), text="x"))
        == "cant_update_message"
    )
    link = client.chat_getPermalink(channel="C0ALERTS", message_ts=posted["ts"])["permalink"]
    assert link.endswith(
        f"/archives/C0ALERTS/p{posted['ts'].replace('.', '')}?thread_ts={ts(ago(2))}&cid=C0ALERTS"
    )
    assert client.reactions_add(channel="C0ALERTS", timestamp=ts(ago(2)), name="eyes")["ok"]
    assert error_of(lambda: client.reactions_add(channel="C0ALERTS", timestamp=ts(ago(2)), name="eyes")) == (
        "already_reacted"
    )
    assert client.users_info(user="U0ANA")["user"]["profile"]["display_name"] == "Ana"
    assert client.users_info(user="U0BOB")["user"]["id"] == "U0BOB"  # seen in the channel, no name given
    assert error_of(lambda: client.users_info(user="U0NOBODY")) == "user_not_found"
    assert client.conversations_info(channel="C0ALERTS")["channel"]["name"] == "alerts-prod"
    listed = client.conversations_list(limit=1)
    assert len(listed["channels"]) == 1 and listed["response_metadata"]["next_cursor"]
    assert {m["id"] for m in client.users_list()["members"]} >= {"U0ANA", "U0BOB", "U0SREBOT"}


def test_injected_rate_limit_is_a_429_with_retry_after(slack: Slack) -> None:
    slack.api.fail_next("conversations.history", 429, retry_after=0)
    with pytest.raises(SlackApiError) as limited:
        slack.client().conversations_history(channel="C0ALERTS")
    assert limited.value.response.status_code == 429 and limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "0"
    slack.api.fail_next("chat.*", 429, retry_after=0)
    retrying = slack.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert retrying.chat_postMessage(channel="C0ALERTS", text="after a 429")["ok"]
    assert list(slack.api.calls).count("chat.postMessage") == 2 and len(slack.api.posts) == 1


def test_the_projects_slack_platform_reads_and_posts_through_it(slack: Slack) -> None:
    platform = SlackPlatform(TOKEN, f"{slack.url}/api/", backoff=Backoff(base=0.01, cap=0.02, max_retries=1))
    page = platform.history("C0ALERTS", oldest=ago(60), latest=NOW)
    assert [m.text for m in page.messages][:2] == ["[FIRING:1] KubePodCrashLooping", "checkout looks slow"]
    assert page.messages[0].bot and page.messages[0].at == ago(2)
    replies = platform.replies("C0ALERTS", ts(ago(41)))
    assert [m.text for m in replies.messages] == ["watching it", "done"]
    assert (
        platform.user_name("U0DEPLOY") == "Deploy Bot" and platform.channel_name("C0ALERTS") == "alerts-prod"
    )
    slack.api.fail_next("chat.postMessage", 500)
    posted = platform.post("C0ALERTS", "report", thread_id=ts(ago(2)))
    assert slack.api.wait_for_post(lambda p: p.ts == posted, timeout=1) is not None


@pytest.mark.parametrize("thread", [True, False])
def test_a_keyed_post_whose_answer_was_lost_is_posted_once(slack: Slack, thread: bool) -> None:
    """Slack posted the report but answered 503: the retry finds the post by its key rather than
    posting it again. A plain post, which has no key, is posted twice."""
    platform = SlackPlatform(TOKEN, f"{slack.url}/api/", backoff=Backoff(base=0.01, cap=0.02, max_retries=2))
    thread_id = ts(ago(2)) if thread else None
    slack.api.fail_next("chat.postMessage", 503, handled=True)
    posted = platform.post_keyed("C0ALERTS", "the report", key="inv-1:0", thread_id=thread_id)
    assert [p.ts for p in slack.api.posts if p.text == "the report"] == [posted]
    assert list(slack.api.calls)[-2:] == [
        "chat.postMessage",
        "conversations." + ("replies" if thread else "history"),
    ]

    slack.api.fail_next("chat.postMessage", 503, handled=True)
    platform.post("C0ALERTS", "unkeyed", thread_id=thread_id)
    assert len([p for p in slack.api.posts if p.text == "unkeyed"]) == 2


def test_add_message_derives_the_ts_from_the_time_and_is_idempotent(slack: Slack) -> None:
    at = NOW - timedelta(seconds=30)
    first = slack.api.add_message("C0ALERTS", at, "U0ALERTBOT", "[FIRING:1] new alert", bot=True)
    again = slack.api.add_message("C0ALERTS", at, "U0ALERTBOT", "[FIRING:1] new alert", bot=True)
    other = slack.api.add_message("C0NEW", at, "U0ANA", "in a channel of its own")
    assert first == again == ts(at)
    assert other == f"{int(at.timestamp())}.000001"  # unique across the workspace
    newest = slack.client().conversations_history(channel="C0ALERTS", limit=1)["messages"][0]
    assert newest["ts"] == first and newest["bot_id"] == "B0ALERTBOT"
    assert slack.client().conversations_info(channel="C0NEW")["channel"]["id"] == "C0NEW"
