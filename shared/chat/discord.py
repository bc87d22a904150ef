"""Discord through its REST API (httpx, synchronous): the `ChatPlatform` for Discord channels.

Threads: a reply "in the thread of message M" starts a thread from M
(`POST /channels/{channel}/messages/{M}/threads`) and posts into it. A thread started from a
message has the message's id as its channel id, so when the thread already exists (error 160004)
or M is itself a thread channel (404 Unknown Message), we post to `/channels/{M}/messages`.
Every post sets `allowed_mentions: {parse: []}`: nothing we post can ping anyone, whatever it says.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.chat.base import ChatMessage, HistoryPage
from shared.chat.retry import RETRYABLE_STATUS, Backoff, may_wait, pause, retries_left, retry_after
from shared.chat.text import discord_message_text
from shared.errors import SourceError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://discord.com/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
MAX_PAGE = 100
MAX_CONTENT = 2000
SUPPRESS_EMBEDS = 1 << 2
THREAD_ALREADY_EXISTS = 160004
THREAD_STARTER_MESSAGE = 21  # message type of a thread's copy of its parent
TEXT_CHANNEL_TYPES = frozenset({0, 5})  # GUILD_TEXT, GUILD_ANNOUNCEMENT: channels with a history
USER_AGENT = "DiscordBot (https://github.com/sre-on-call/sre-on-call, 0.1)"


def snowflake_time(snowflake: str | int) -> datetime:
    """When a snowflake (message, channel, user id) was created."""
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def snowflake_at(at: datetime) -> str:
    """The smallest snowflake of `at`: a `before`/`after` bound for paging by time."""
    ms = max(0, round(at.timestamp() * 1000) - DISCORD_EPOCH_MS)
    return str(ms << 22)


class DiscordApiError(SourceError):
    """An error answer of the Discord API: HTTP status and Discord's JSON error code."""

    def __init__(
        self, message: str, *, status: int, code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after  # a 429's wait, when Discord said


class _Author(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    username: str = ""
    global_name: str | None = None
    bot: bool = False


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    channel_id: str | None = None
    type: int = 0
    author: _Author | None = None
    content: str = ""
    embeds: list[Any] = []
    timestamp: datetime | None = None
    webhook_id: str | None = None
    thread: dict[str, Any] | None = None


class DiscordPlatform:
    """`ChatPlatform` over the Discord REST API, retrying 429 (as told) and 5xx (with back-off)."""

    name = "discord"

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 10.0,
        backoff: Backoff | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        guild_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.guild_id = guild_id
        self._ids: dict[str, str] | None = None  # channel name -> id in the guild, once listed
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bot {token}", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=transport,
        )
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._users: dict[str, str] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._threads: set[str] = set()

    def close(self) -> None:
        self._http.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        what = f"discord {method} {path}"
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, params=params, json=json)
            except httpx.TransportError as e:
                if retries_left(attempt, self._backoff.max_retries) and may_wait(
                    self._backoff.longest(attempt)
                ):
                    pause(self._backoff.delay(attempt), self._sleep)
                    attempt += 1
                    continue
                raise SourceError(f"{what}: {type(e).__name__}") from e
            body = _json(response)
            if response.status_code == 429:
                wait = retry_after(response.headers, body)
                wait = 1.0 if wait is None else wait
                if (
                    retries_left(attempt, self._backoff.max_retries)
                    and wait <= self._backoff.max_retry_after
                    and may_wait(wait)
                ):
                    logger.debug("path=<%s>, wait=<%.2f> | rate limited, retrying", path, wait)
                    pause(wait, self._sleep)
                    attempt += 1
                    continue
            elif (
                response.status_code in RETRYABLE_STATUS
                and retries_left(attempt, self._backoff.max_retries)
                and may_wait(self._backoff.longest(attempt))
            ):
                pause(self._backoff.delay(attempt), self._sleep)
                attempt += 1
                continue
            if response.status_code >= 400:
                message = body.get("message") if isinstance(body, dict) else None
                code = (
                    body.get("code") if isinstance(body, dict) and isinstance(body.get("code"), int) else None
                )
                detail = f"HTTP {response.status_code}" + (f" {message}" if message else "")
                detail += f" (code {code})" if code is not None else ""
                wait_told = retry_after(response.headers, body) if response.status_code == 429 else None
                raise DiscordApiError(
                    f"{what}: {detail}", status=response.status_code, code=code, retry_after=wait_told
                )
            return body

    def post_keyed(
        self,
        channel: str,
        text: str,
        *,
        key: str,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """`post` with `key` as the message's nonce, enforced: Discord answers a second post with the
        same nonce (within a few minutes) with the message the first one made, not a new one."""
        return self.post(channel, text, thread_id=thread_id, blocks=blocks, nonce=key[:25])

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
    ) -> str:
        """Post `text` in `channel`, or in the thread of message `thread_id`, starting that thread
        when it does not exist yet. `blocks`, on Discord, is one dict with the message's `embeds`
        and `components` (see `shared.render.discord`); without embeds, link previews are
        suppressed."""
        first = (blocks or [{}])[0]
        embeds, components = list(first.get("embeds") or []), list(first.get("components") or [])
        title = text or (embeds[0].get("title", "") if embeds else "")
        target = channel if thread_id is None else self._thread_channel(channel, thread_id, title)
        payload: dict[str, Any] = {"content": text[:MAX_CONTENT], "allowed_mentions": {"parse": []}}
        if embeds:
            payload["embeds"] = embeds  # links in the content are written `<url>`: no previews
        else:
            payload["flags"] = SUPPRESS_EMBEDS
        if components:
            payload["components"] = components
        if nonce:
            payload.update(nonce=nonce, enforce_nonce=True)
        message = self._request("POST", f"/channels/{target}/messages", json=payload)
        return str(message["id"])

    def upload(
        self,
        channel: str,
        filename: str,
        data: bytes,
        *,
        thread_id: str | None = None,
        title: str | None = None,
        alt_text: str | None = None,
        comment: str | None = None,
    ) -> str:
        """Post a message with `data` attached (multipart: `payload_json` and `files[0]`) in
        `channel` or the thread of `thread_id`. Returns the message id."""
        target = channel if thread_id is None else self._thread_channel(channel, thread_id, title or filename)
        payload = {
            "content": (comment or "")[:MAX_CONTENT],
            "allowed_mentions": {"parse": []},
            "attachments": [{"id": 0, "filename": filename, "description": (alt_text or title or "")[:1024]}],
        }
        what = f"discord POST /channels/{target}/messages (attachment)"
        try:
            response = self._http.post(
                f"/channels/{target}/messages",
                data={"payload_json": json.dumps(payload)},
                files={
                    "files[0]": (
                        filename,
                        data,
                        "image/png" if filename.endswith(".png") else "application/octet-stream",
                    )
                },
            )
        except httpx.TransportError as e:
            raise SourceError(f"{what}: {type(e).__name__}") from e
        if response.status_code >= 400:
            raise DiscordApiError(f"{what}: HTTP {response.status_code}", status=response.status_code)
        return str(_json(response).get("id", ""))

    def _thread_channel(self, channel: str, thread_id: str, text: str) -> str:
        if thread_id == channel or thread_id in self._threads:
            return thread_id
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        name = " ".join(re.sub(r"[*_`~\\|]", "", first_line).split())[:90] or "investigation"
        try:
            created = self._request(
                "POST",
                f"/channels/{channel}/messages/{thread_id}/threads",
                json={"name": name, "auto_archive_duration": 1440},
            )
            thread = str(created.get("id") or thread_id) if isinstance(created, dict) else thread_id
        except DiscordApiError as e:
            if e.code != THREAD_ALREADY_EXISTS and e.status != 404:
                raise
            thread = thread_id
        self._threads.add(thread)
        return thread

    def history(
        self,
        channel: str,
        *,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> HistoryPage:
        """Newest first. `cursor` is the snowflake to continue before (the last page's oldest id)."""
        page = max(1, min(limit, MAX_PAGE))
        params: dict[str, Any] = {"limit": page}
        before = cursor or (snowflake_at(latest) if latest else None)
        if before:
            params["before"] = before
        raw = self._request("GET", f"/channels/{channel}/messages", params=params) or []
        messages = [m for item in raw if (m := self._message(channel, item, None))]
        messages.sort(key=lambda m: int(m.id), reverse=True)
        reached_oldest = False
        if oldest is not None:
            kept = [m for m in messages if m.at >= oldest]
            reached_oldest = len(kept) < len(messages)
            messages = kept
        more = len(raw) >= page and not reached_oldest and bool(messages)
        return HistoryPage(messages=tuple(messages), next_cursor=messages[-1].id if more else None)

    def replies(
        self, channel: str, thread_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> HistoryPage:
        """Oldest first; the thread's copy of its parent is left out. No thread yet: an empty page."""
        page = max(1, min(limit, MAX_PAGE))
        try:
            raw = (
                self._request(
                    "GET", f"/channels/{thread_id}/messages", params={"limit": page, "after": cursor or "0"}
                )
                or []
            )
        except DiscordApiError as e:
            if e.status == 404:
                return HistoryPage()
            raise
        messages = [
            m for item in raw if (m := self._message(thread_id, item, thread_id)) and m.id != thread_id
        ]
        messages.sort(key=lambda m: int(m.id))
        return HistoryPage(
            messages=tuple(messages), next_cursor=messages[-1].id if len(raw) >= page and messages else None
        )

    def user_name(self, user_id: str) -> str:
        if user_id not in self._users:
            try:
                user = self._request("GET", f"/users/{user_id}") or {}
            except SourceError as e:
                logger.debug("user=<%s>, error=<%s> | could not resolve the user", user_id, e)
                return user_id
            self._users[user_id] = user.get("global_name") or user.get("username") or user_id
        return self._users[user_id]

    def _channel(self, channel_id: str) -> dict[str, Any]:
        if channel_id not in self._channels:
            self._channels[channel_id] = self._request("GET", f"/channels/{channel_id}") or {}
        return self._channels[channel_id]

    def channel_name(self, channel_id: str) -> str:
        try:
            return str(self._channel(channel_id).get("name") or channel_id)
        except SourceError as e:
            logger.debug("channel=<%s>, error=<%s> | could not resolve the channel", channel_id, e)
            return channel_id

    def channel_id(self, channel: str) -> str:
        """The id of `channel`, given as an id (a snowflake, returned as is) or a name (`#deploys` or
        `deploys`). Channel endpoints accept only ids; a name is looked up among the text channels of
        the configured guild (`GET /guilds/{guild}/channels`, once per client). Without a guild, or
        for a name the guild does not have, a `SourceError` says so."""
        channel = channel.strip()
        if channel.isdigit():
            return channel
        name = channel.lstrip("#").lower()
        if not self.guild_id:
            raise SourceError(
                f"discord channel #{name}: Discord reads channels by id; configure the channel's numeric id, "
                "or sources.discord.guild_id so names can be resolved"
            )
        if self._ids is None:
            listed = self._request("GET", f"/guilds/{self.guild_id}/channels") or []
            self._ids = {
                str(c["name"]).lower(): str(c["id"])
                for c in listed
                if isinstance(c, dict)
                and c.get("type") in TEXT_CHANNEL_TYPES
                and c.get("name")
                and c.get("id")
            }
        if name not in self._ids:
            raise SourceError(f"discord guild {self.guild_id}: no text channel named #{name}")
        return self._ids[name]

    def permalink(self, channel: str, message_id: str) -> str:
        try:
            guild = self._channel(channel).get("guild_id") or "@me"
        except SourceError:
            guild = "@me"
        return f"https://discord.com/channels/{guild}/{channel}/{message_id}"

    def _message(self, channel: str, raw: Any, thread_id: str | None) -> ChatMessage | None:
        try:
            m = _Message.model_validate(raw)
        except ValidationError as e:
            logger.debug("channel=<%s>, error=<%s> | skipped a malformed message", channel, e)
            return None
        if m.type == THREAD_STARTER_MESSAGE:
            return None
        author = m.author
        return ChatMessage(
            id=m.id,
            channel=m.channel_id or channel,
            user=author.id if author else m.webhook_id,
            user_name=(author.global_name or author.username or None) if author else None,
            bot=bool(author and author.bot) or m.webhook_id is not None,
            # Alert bots and webhooks put the alert in embeds, often with no content at all.
            text=discord_message_text(m.content, m.embeds),
            at=m.timestamp or snowflake_time(m.id),
            thread_id=thread_id,
            reply_count=int((m.thread or {}).get("message_count") or 0),
        )


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
