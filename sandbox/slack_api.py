"""A Slack Web API stand-in for the sandbox and tests, spoken to by `slack_sdk.WebClient` with
`base_url="http://127.0.0.1:PORT/api/"`.

Every method is `POST` (or `GET`) `/api/<method>`, with arguments as a form body, a JSON body
(slack_sdk sends chat.postMessage as JSON and conversations.* as a form), or the query string;
the bot token as `Authorization: Bearer` (or a `token` argument). Answers are HTTP 200 with
`{"ok": true, ...}` or `{"ok": false, "error": "<code>"}`, as Slack's are. History is newest
first with Slack's exclusive `oldest`/`latest` (unless `inclusive`) and cursor pagination; a
thread lists its parent first. Posts and edits are recorded (`.posts`, `wait_for_post`), and
`fail_next` injects a 429 (with `Retry-After`) or a 5xx.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.chat_base import Failures, FakeChannel, FakeMessage, Post, PostLog, as_channels
from sandbox.slack_files import UPLOAD_PATH, FileError, SlackFiles
from sandbox.slack_methods import Args, SlackError, SlackMethods
from sandbox.slack_store import Workspace, ts_micros, ts_text

logger = logging.getLogger(__name__)


class FakeSlackApi:
    """The stand-in; serve `.app`. `channels`: `FakeChannel`s (or anything shaped like them);
    `users`: user id -> display name; `token`: the bot token calls must carry (None: any)."""

    def __init__(
        self,
        channels: Iterable[Any] = (),
        users: dict[str, str] | None = None,
        token: str | None = None,
        *,
        bot_user: str = "U0SREBOT",
        bot_name: str = "sre-on-call",
    ) -> None:
        self.token = token
        self.workspace = Workspace(bot_user, bot_name)
        self._posts = PostLog()
        self._failures = Failures()
        self._methods = SlackMethods(self.workspace, self._posts.add)
        self.calls: deque[str] = deque(maxlen=5000)  # method names, latest last
        self.files = SlackFiles()
        self.load(channels, users)
        self._methods.table["files.getUploadURLExternal"] = self._get_upload_url
        self._methods.table["files.completeUploadExternal"] = self._complete_upload
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._handle, methods=["GET", "POST"]),
                Route(UPLOAD_PATH, self._upload, methods=["POST"]),
            ]
        )

    def _get_upload_url(self, args: Args) -> dict[str, Any]:
        try:
            return self.files.get_upload_url(args)
        except FileError as e:
            raise SlackError(e.code) from e

    def _complete_upload(self, args: Args) -> dict[str, Any]:
        try:
            return self.files.complete(args, lambda c: c in self.workspace.channels)
        except FileError as e:
            raise SlackError(e.code) from e

    async def _upload(self, request: Request) -> Response:
        """The upload URL: raw bytes, no token (as Slack's files.slack.com takes them)."""
        ok = self.files.receive(request.path_params["file_id"], await request.body())
        return PlainTextResponse("OK - uploaded" if ok else "bad upload", 200 if ok else 400)

    def load(self, channels: Iterable[Any], users: dict[str, str] | None = None) -> None:
        """Replace the channels and users; forget posts, uploads and planned failures."""
        self.workspace.load(as_channels(channels), users)
        self._posts.clear()
        self.files.clear()
        self._failures.clear()

    def add_message(
        self,
        channel: str,
        at: datetime,
        user: str,
        text: str,
        *,
        bot: bool = False,
        attachments: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Put a message in `channel` (created when new) as if `user` had posted it at `at`, with
        legacy `attachments` (an Alertmanager notification's text is empty: the alert is in them),
        in the thread of `thread_ts` when given; its ts. A message already there with the same user,
        text and time is not added twice."""
        ws = self.workspace
        with ws.lock:
            found = ws.channel(channel) or ws.add_channel(FakeChannel(channel, channel))
            same = ws.find_same(found.id, at, user, text)
            if same is not None:
                return ts_text(same)
            parent = ws.root_of(found, ts_micros(thread_ts)) if thread_ts else None
            us = ws.add(found.id, FakeMessage(at, user, text, bot), parent=parent)
            if attachments:
                found.messages[us].attachments = [dict(a) for a in attachments]
        return ts_text(us)

    @property
    def posts(self) -> list[Post]:
        """Everything posted or edited through the API, oldest first."""
        return self._posts.all()

    def wait_for_post(
        self, predicate: Callable[[Post], bool] | None = None, timeout: float = 10.0
    ) -> Post | None:
        """The first post `predicate` accepts, waiting up to `timeout` s for it; None if none came."""
        return self._posts.wait_for(predicate, timeout)

    def fail_next(
        self,
        method: str = "*",
        status: int = 429,
        retry_after: float = 1.0,
        error: str | None = None,
        times: int = 1,
        *,
        handled: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` (an fnmatch pattern) with HTTP `status`: 429 is
        `ratelimited` with `Retry-After` (whole seconds, as Slack sends), 5xx a server error, any
        other status `{"ok": false, "error": error}`. With `handled`, the call takes effect first
        (a message is posted) and only its answer is the failure, as when a gateway times out."""
        self._failures.plan(method, status, retry_after, error, times, handled=handled)

    async def _handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        args: Args = dict(request.query_params)
        body = await request.body()
        if body:
            if "json" in request.headers.get("content-type", ""):
                try:
                    parsed = json.loads(body)
                except ValueError:
                    return JSONResponse({"ok": False, "error": "invalid_json"})
                if isinstance(parsed, dict):
                    args.update(parsed)
            else:
                args.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        self.calls.append(method)
        self.files.base_url = str(request.base_url)
        failure = self._failures.take(method)
        if failure is not None and not failure.handled:
            return _failure(failure.status, failure.retry_after, failure.error)
        handler = self._methods.table.get(method)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method", "req_method": method})
        auth_error = self._auth_error(request, args)
        if auth_error:
            return JSONResponse({"ok": False, "error": auth_error})
        try:
            with self.workspace.lock:
                answer = handler(args)
        except SlackError as e:
            answer = {"ok": False, "error": e.code}
            if e.detail:
                answer["response_metadata"] = {"messages": [f"[ERROR] {e.detail}"]}
        if failure is not None:
            return _failure(failure.status, failure.retry_after, failure.error)
        return JSONResponse(answer)

    def _auth_error(self, request: Request, args: Args) -> str | None:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else str(args.get("token") or "")
        if not given:
            return "not_authed"
        if self.token is not None and not hmac.compare_digest(given.encode(), self.token.encode()):
            return "invalid_auth"
        return None


def _failure(status: int, retry_after: float | None, error: str | None) -> JSONResponse:
    if status == 429:
        wait = str(max(0, math.ceil(1.0 if retry_after is None else retry_after)))
        return JSONResponse({"ok": False, "error": error or "ratelimited"}, 429, {"Retry-After": wait})
    if status >= 500:
        return JSONResponse({"ok": False, "error": error or "internal_error"}, status)
    return JSONResponse({"ok": False, "error": error or "fatal_error"}, status)
