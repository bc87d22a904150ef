"""A Discord REST API (v10) stand-in for the sandbox and tests, spoken to with httpx at
`http://127.0.0.1:PORT/api/v10`.

Channels, messages (snowflake ids from their times: `((ms - 1420070400000) << 22) | seq`, newest
first with `before` / `after` / `around`), threads started from a message (the thread's id is the
message's, as on Discord), users, the guild's channels, and the interaction webhooks a deferred
slash-command reply completes (`POST /webhooks/{app}/{token}`, `PATCH .../messages/@original`,
`POST /interactions/{id}/{token}/callback`; these need no bot token, as on Discord). Everything
else needs `Authorization: Bot <token>`. Errors have Discord's shape (`{"message", "code"}`,
`Invalid Form Body` with `errors`); posts are recorded (`.posts`, `wait_for_post`), and
`fail_next` injects a 429 (`retry_after` in the body, `Retry-After` header), a 5xx, or any
Discord error (`403 {"message": "Missing Access", "code": 50001}`), once or until `load`.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.chat_base import Failures, FakeChannel, FakeMessage, Post, PostLog, as_channels
from sandbox.discord_routes import FILES_KEY, DiscordRoutes, Interaction
from sandbox.discord_store import Guild

logger = logging.getLogger(__name__)

PREFIX = "/api/v10"


class FakeDiscordApi:
    """The stand-in; serve `.app`. `channels`: `FakeChannel`s (or anything shaped like them), ids
    numeric strings; `users`: user id -> display name; `token`: the bot token (None: any)."""

    def __init__(
        self,
        channels: Iterable[Any] = (),
        users: dict[str, str] | None = None,
        token: str | None = None,
        guild_id: str = "1000000000000000000",
        *,
        bot_user: str = "1000000000000000001",
        bot_name: str = "sre-on-call",
    ) -> None:
        self.token = token
        self.guild = Guild(guild_id, bot_user, bot_name)
        self._posts = PostLog()
        self._failures = Failures()
        # Called with every post as it is recorded (the Gateway stand-in dispatches the bot's own).
        self.post_listeners: list[Callable[[Post], None]] = []
        self._routes = DiscordRoutes(self.guild, self._record)
        self.calls: deque[str] = deque(maxlen=5000)  # "METHOD /path" under /api/v10, latest last
        self.load(channels, users)
        self.app = Starlette(
            routes=[
                Route("/api/{rest:path}", self._handle, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
            ]
        )

    def _record(self, post: Post) -> None:
        self._posts.add(post)
        for listener in list(self.post_listeners):
            listener(post)

    @property
    def guild_id(self) -> str:
        return self.guild.guild_id

    def load(self, channels: Iterable[Any], users: dict[str, str] | None = None) -> None:
        """Replace the channels and users; forget posts, interactions and planned failures."""
        with self.guild.lock:
            self.guild.load(as_channels(channels), users)
            self._routes.interactions.clear()
        self._posts.clear()
        self._failures.clear()

    def add_message(self, channel: str, at: datetime, user: str, text: str, *, bot: bool = False) -> str:
        """Put a message in `channel` (created when new) as if `user` had sent it at `at`; its id."""
        with self.guild.lock:
            if channel not in self.guild.channels:
                self.guild.add_channel(FakeChannel(channel, channel))
            return str(self.guild.add(channel, FakeMessage(at, user, text, bot)))

    def message_json(self, channel: str, message_id: str) -> dict[str, Any] | None:
        """A message as the API returns it (what an interaction's `resolved.messages` carries)."""
        with self.guild.lock:
            message = self.guild.find(channel, message_id)
            return self.guild.message_json(message) if message else None

    def expect_interaction(self, token: str, channel_id: str) -> None:
        """Say which channel the interaction with `token` came from, so its replies appear there."""
        with self.guild.lock:
            self._routes.interactions.setdefault(token, Interaction()).channel_id = channel_id

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
        route: str = "*",
        status: int = 429,
        retry_after: float = 1.0,
        error: str | None = None,
        times: int | None = 1,
        code: int = 0,
    ) -> None:
        """Answer the next `times` requests matching `route` (fnmatch over "METHOD /path" below
        /api/v10, e.g. "POST /channels/*/messages") with `status`: 429 as Discord's rate limit,
        anything else as `{"message": error, "code": code}`. `times=None`: every matching request
        until `load`, e.g. a bot that may not post in the guild's channels:
        `fail_next("POST /channels/*/messages", 403, error="Missing Access", code=50001, times=None)`
        (the interaction webhooks are other routes, and still answer)."""
        self._failures.plan(route, status, retry_after, error, times, code=code)

    async def _handle(self, request: Request) -> Response:
        path = "/api/" + request.path_params["rest"].strip("/")
        if not (path + "/").startswith(PREFIX + "/"):
            return _error(404, "404: Not Found")
        path = path[len(PREFIX) :] or "/"
        raw = await request.body()
        body: Any = None
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            body = await _multipart(request)
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
        name = f"{request.method} {path}"
        self.calls.append(name)
        matched = [(m, p, h, public) for m, p, h, public in self._routes.table if p.match(path)]
        if not matched:
            return _error(404, "404: Not Found")
        route = next((r for r in matched if r[0] == request.method), None)
        if route is None:
            return _error(405, "405: Method Not Allowed")
        _, pattern, handler, public = route
        failure = self._failures.take(name)
        if failure is not None:
            return _failure(failure.status, failure.retry_after, failure.error, failure.code)
        if not public and not self._authorised(request):
            return _error(401, "401: Unauthorized")
        params = pattern.match(path).groupdict()  # type: ignore[union-attr]
        with self.guild.lock:
            status, answer = handler(params, dict(request.query_params), body)
        if status == 204:
            return Response(status_code=204)
        return JSONResponse(answer, status)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bot ") or not header[4:].strip():
            return False
        return self.token is None or hmac.compare_digest(header[4:].strip().encode(), self.token.encode())


async def _multipart(request: Request) -> Any:
    """A message with files, as Discord takes it: the JSON in `payload_json`, each file in
    `files[n]` (its `attachments[].id` is n). The files ride along under FILES_KEY."""
    form = await request.form()
    try:
        body = json.loads(str(form.get("payload_json") or "{}"))
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    files: dict[int, tuple[str, str, bytes]] = {}
    for key, value in form.multi_items():
        match = re.fullmatch(r"files\[(\d+)\]", key)
        if match and not isinstance(value, str):
            files[int(match.group(1))] = (value.filename or "", value.content_type or "", await value.read())
    body[FILES_KEY] = files
    return body


def _error(status: int, message: str, code: int = 0) -> JSONResponse:
    return JSONResponse({"message": message, "code": code}, status)


def _failure(status: int, retry_after: float | None, error: str | None, code: int = 0) -> JSONResponse:
    if status != 429:
        return _error(status, error or f"{status}: Server Error", code)
    wait = 1.0 if retry_after is None else max(0.0, retry_after)
    headers = {
        "Retry-After": str(math.ceil(wait)),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": f"{wait:.3f}",
        "X-RateLimit-Bucket": "sandbox",
        "X-RateLimit-Scope": "user",
    }
    body = {"message": error or "You are being rate limited.", "retry_after": wait, "global": False}
    return JSONResponse(body, 429, headers)
