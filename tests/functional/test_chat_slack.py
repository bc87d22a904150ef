"""SlackPlatform through the real slack_sdk WebClient against a tiny Slack Web API on loopback:
retries on 429 (Retry-After) and 5xx happen in the real client, errors carry Slack's code."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from shared.chat.retry import Backoff, retry_deadline
from shared.chat.slack import SlackPlatform
from shared.errors import SourceError

pytestmark = pytest.mark.functional

TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
FAST = Backoff(base=0.01, cap=0.05, max_retries=2, max_retry_after=5.0)


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | str = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    params: dict[str, Any]
    authorization: str | None
    at: float


class FakeSlackApi:
    """Slack's Web API shape: POST /api/<method>, JSON or form bodies, `{"ok": ...}` answers."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                fake.seen.append(Seen(method, params, self.headers.get("Authorization"), time.monotonic()))
                queue = fake.routes.get(method) or [Reply(body={"ok": False, "error": "unknown_method"})]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                payload = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def on(self, method: str, *replies: Reply) -> None:
        self.routes[method] = list(replies)

    def calls(self, method: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method]


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    fake = FakeSlackApi()
    thread = threading.Thread(target=fake.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        thread.join(timeout=5)


def slack(api: FakeSlackApi, backoff: Backoff = FAST) -> SlackPlatform:
    return SlackPlatform(TOKEN, api.url.rstrip("/"), backoff=backoff, timeout=5)


def test_post_retries_after_a_429_honouring_retry_after(api: FakeSlackApi) -> None:
    api.on(
        "chat.postMessage",
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
        Reply(body={"ok": True, "channel": "C0ALERTS", "ts": "1795383700.000200"}),
    )

    ts = slack(api).post(
        "C0ALERTS",
        "report",
        thread_id="1795383600.000100",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "report"}}],
    )

    assert ts == "1795383700.000200"
    first, second = api.calls("chat.postMessage")
    assert second.at - first.at >= 0.9  # waited what Retry-After said
    assert second.params["thread_ts"] == "1795383600.000100"
    assert second.params["blocks"][0]["type"] == "section"
    assert second.authorization == f"Bearer {TOKEN}"


def test_a_server_error_is_retried_then_history_is_read(api: FakeSlackApi) -> None:
    api.on(
        "conversations.history",
        Reply(500, "<html>oops</html>"),
        Reply(
            body={
                "ok": True,
                "has_more": True,
                "response_metadata": {"next_cursor": "bmV4dA=="},
                "messages": [
                    {
                        "type": "message",
                        "ts": "1795383580.000100",
                        "bot_id": "B01",
                        "subtype": "bot_message",
                        "text": "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p",
                    },
                    {
                        "type": "message",
                        "ts": "1795381140.000200",
                        "user": "U0DEPLOY",
                        "text": "Deploying checkout v2.3.0 to prod",
                        "thread_ts": "1795381140.000200",
                        "reply_count": 1,
                    },
                    {"type": "message", "text": "no ts: skipped"},
                ],
            }
        ),
    )
    oldest = datetime(2026, 11, 22, 20, 40, tzinfo=UTC)

    page = slack(api).history("C0ALERTS", oldest=oldest, limit=5000)

    assert [m.text for m in page.messages] == [
        "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p",
        "Deploying checkout v2.3.0 to prod",
    ]
    bot, person = page.messages
    assert bot.bot and not person.bot and person.user == "U0DEPLOY"
    assert person.thread_id is None and person.reply_count == 1
    assert person.at == datetime.fromtimestamp(1795381140.0002, UTC)
    assert page.next_cursor == "bmV4dA=="
    calls = api.calls("conversations.history")
    assert len(calls) == 2
    assert calls[1].params["oldest"] == f"{oldest.timestamp():.6f}" and calls[1].params["limit"] == "999"


def test_a_long_rate_limit_is_not_waited_for(api: FakeSlackApi) -> None:
    api.on("chat.postMessage", Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"}))
    started = time.monotonic()

    with pytest.raises(SourceError, match=r"slack chat\.postMessage: ratelimited"):
        slack(api).post("C0ALERTS", "x")
    assert time.monotonic() - started < 5
    assert len(api.calls("chat.postMessage")) == 1


def test_slack_errors_carry_the_code_and_never_the_token(api: FakeSlackApi) -> None:
    api.on("conversations.history", Reply(body={"ok": False, "error": "channel_not_found"}))

    with pytest.raises(SourceError) as raised:
        slack(api).history("C0NOPE")
    assert str(raised.value) == "slack conversations.history: channel_not_found"
    assert TOKEN not in repr(raised.value)


def test_persistent_server_errors_give_up_after_the_bounded_retries(api: FakeSlackApi) -> None:
    api.on("conversations.replies", Reply(503, "unavailable"))

    with pytest.raises(SourceError, match=r"conversations\.replies"):
        slack(api).replies("C0ALERTS", "1795383600.000100")
    assert len(api.calls("conversations.replies")) == 1 + FAST.max_retries


def test_replies_leave_out_the_parent(api: FakeSlackApi) -> None:
    parent = "1795383600.000100"
    api.on(
        "conversations.replies",
        Reply(
            body={
                "ok": True,
                "has_more": False,
                "messages": [
                    {"ts": parent, "user": "U0ALERT", "text": "alert", "thread_ts": parent, "reply_count": 1},
                    {"ts": "1795383650.000300", "user": "U0ANA", "text": "looking", "thread_ts": parent},
                ],
            }
        ),
    )

    page = slack(api).replies("C0ALERTS", parent)

    assert [(m.text, m.thread_id) for m in page.messages] == [("looking", parent)]
    assert page.next_cursor is None
    assert api.calls("conversations.replies")[0].params["ts"] == parent


def test_names_are_cached_and_permalinks_fall_back_to_the_archive_url(api: FakeSlackApi) -> None:
    api.on(
        "users.info",
        Reply(
            body={
                "ok": True,
                "user": {"id": "U0ANA", "name": "ana", "profile": {"display_name": "Ana (SRE)"}},
            }
        ),
    )
    api.on(
        "conversations.info", Reply(body={"ok": True, "channel": {"id": "C0ALERTS", "name": "alerts-prod"}})
    )
    api.on(
        "chat.getPermalink",
        Reply(body={"ok": True, "permalink": "https://acme.slack.com/archives/C0ALERTS/p1"}),
        Reply(body={"ok": False, "error": "message_not_found"}),
    )
    chat = slack(api)

    assert chat.user_name("U0ANA") == chat.user_name("U0ANA") == "Ana (SRE)"
    assert len(api.calls("users.info")) == 1
    assert chat.channel_name("C0ALERTS") == "alerts-prod"
    assert chat.permalink("C0ALERTS", "1795383600.000100") == "https://acme.slack.com/archives/C0ALERTS/p1"
    assert (
        chat.permalink("C0ALERTS", "1795383600.000100")
        == "https://slack.com/archives/C0ALERTS/p1795383600000100"
    )


def test_unresolvable_names_fall_back_to_the_id(api: FakeSlackApi) -> None:
    api.on("users.info", Reply(body={"ok": False, "error": "user_not_found"}))

    assert slack(api).user_name("U0GHOST") == "U0GHOST"


def test_an_unreachable_server_is_a_source_error_after_retries() -> None:
    chat = SlackPlatform(TOKEN, "http://127.0.0.1:9/api/", backoff=FAST, timeout=2)

    with pytest.raises(SourceError, match=r"slack chat\.postMessage"):
        chat.post("C0ALERTS", "x")


def test_retries_end_by_the_deadline_the_caller_sets(api: FakeSlackApi) -> None:
    # A 3 s Retry-After is within the bound, but not within the 1 s left before the deadline.
    api.on("chat.postMessage", Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}))
    started = time.monotonic()

    with retry_deadline(started + 1.0), pytest.raises(SourceError, match="ratelimited"):
        slack(api).post("C0ALERTS", "investigating")
    assert time.monotonic() - started < 1.0
    assert len(api.calls("chat.postMessage")) == 1

    api.on("chat.postMessage", Reply(503, "busy"))
    slow_backoff = Backoff(base=2.0, cap=2.0, max_retries=2, max_retry_after=5.0)
    started = time.monotonic()
    with retry_deadline(started + 1.0), pytest.raises(SourceError):
        slack(api, slow_backoff).post("C0ALERTS", "investigating")
    assert time.monotonic() - started < 1.0  # no 1-2 s back-off started past the deadline


def test_within_a_persistent_deadline_an_outage_is_outlasted(api: FakeSlackApi) -> None:
    # Slack answers 503 eight times (an outage of a few seconds), then accepts the post.
    api.on(
        "chat.postMessage",
        *[Reply(503, "unavailable")] * 8,
        Reply(body={"ok": True, "channel": "C0ALERTS", "ts": "1795383700.000200"}),
    )
    with retry_deadline(time.monotonic() + 10, persistent=True):
        assert slack(api).post("C0ALERTS", "report") == "1795383700.000200"
    assert len(api.calls("chat.postMessage")) == 9


def test_a_stopped_retry_gives_up_while_waiting(api: FakeSlackApi) -> None:
    api.on(
        "chat.postMessage",
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}),
        Reply(body={"ok": True, "channel": "C0ALERTS", "ts": "1795383700.000200"}),
    )
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    with retry_deadline(time.monotonic() + 60, stop=stop), pytest.raises(SourceError, match="RetryStopped"):
        slack(api).post("C0ALERTS", "Investigating")
    assert len(api.calls("chat.postMessage")) == 1
