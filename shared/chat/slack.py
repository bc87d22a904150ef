"""Slack through slack_sdk's `WebClient`: the `ChatPlatform` the master and the Slack scanner use.

`base_url` points the client at another server (the sandbox's fake Slack); slack_sdk appends the
method name to it, so it keeps its trailing slash. Failures become `SourceError` naming the method
and Slack's error code; the token never appears in an error or a log line.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from shared.chat.base import ChatMessage, HistoryPage
from shared.chat.retry import Backoff, slack_retry_handlers, unless_landed
from shared.chat.text import slack_message_text
from shared.errors import SourceError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://slack.com/api/"
MAX_PAGE = 999  # conversations.history / replies accept at most 999 per page
LIST_PAGE = 200  # conversations.list page size (Slack recommends at most 200)
MAX_LIST_PAGES = 10  # conversations.list pages read to resolve channel names: 2,000 channels
# Channel ids: C (public), G (private, legacy), D (direct message). Names are lowercase, so never match.
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")
# The message metadata type of a report part posted with a key (`post_keyed`).
REPORT_EVENT = "sre_on_call_report"
# How far back in the channel a keyed post whose answer was lost is looked for (clock skew).
KEYED_LOOK_BACK_S = 60.0


class _Message(BaseModel):
    """A message as conversations.history / replies return it (only what we read)."""

    model_config = ConfigDict(extra="ignore")

    ts: str
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    username: str | None = None
    text: str = ""
    attachments: list[Any] = []
    blocks: list[Any] = []
    thread_ts: str | None = None
    reply_count: int = 0


def ts_of(at: datetime) -> str:
    """A Slack timestamp (`1700000000.000100`) for a time."""
    return f"{at.timestamp():.6f}"


def time_of(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class SlackPlatform:
    """`ChatPlatform` over the Slack Web API, with bounded retries on 429, 5xx and connection errors."""

    name = "slack"

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.base_url = _with_slash(base_url or DEFAULT_BASE_URL)
        self._client = WebClient(
            token=token,
            base_url=self.base_url,
            timeout=max(1, round(timeout)),
            retry_handlers=slack_retry_handlers(backoff or Backoff()),
        )
        self._users: dict[str, str] = {}
        self._channels: dict[str, str] = {}
        self._ids: dict[str, str] | None = None  # channel name -> id, once listed
        self._ids_complete = False

    def _call(self, method: str, call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        try:
            response = call(**{k: v for k, v in kwargs.items() if v is not None})
        except SlackApiError as e:
            code = (
                e.response.get("error")
                if e.response is not None and isinstance(e.response.data, dict)
                else None
            )
            status = e.response.status_code if e.response is not None else "?"
            raise SourceError(f"slack {method}: {code or f'HTTP {status}'}") from e
        except Exception as e:  # urllib errors, timeouts: say what failed, never the request
            raise SourceError(f"slack {method}: {type(e).__name__}: {e}") from e
        return dict(response.data) if isinstance(response.data, dict) else {}

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        return self._post(channel, text, thread_id=thread_id, blocks=blocks)

    def post_keyed(
        self,
        channel: str,
        text: str,
        *,
        key: str,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """`post`, with `key` in the message's metadata, so that `find_keyed` can tell whether a post
        whose answer was lost went out (Slack has no idempotency key of its own): before a retry
        after a server or connection error, and when the retries end in one."""
        metadata = {"event_type": REPORT_EVENT, "event_payload": {"key": key}}
        since = time.time() - KEYED_LOOK_BACK_S
        found: list[str] = []

        def posted() -> bool:
            ts = self.find_keyed(channel, key, thread_id=thread_id, since=since)
            if ts:
                found.append(ts)
            return ts is not None

        with unless_landed(posted):
            try:
                return self._post(channel, text, thread_id=thread_id, blocks=blocks, metadata=metadata)
            except SourceError as e:
                if not found:
                    with contextlib.suppress(SourceError):
                        posted()
                if found:
                    return found[0]
                raise e

    def _post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None,
        blocks: list[dict[str, Any]] | None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        extra = {"metadata": metadata} if metadata is not None else {}
        data = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=channel,
            text=text,
            thread_ts=thread_id,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
            **extra,
        )
        return str(data.get("ts", ""))

    def find_keyed(self, channel: str, key: str, *, thread_id: str | None, since: float) -> str | None:
        """The message posted with `key` (`post_keyed`): in the thread `thread_id`, else among the
        channel's messages since `since` (a Unix time); None when it is not there."""
        if thread_id:
            data = self._call(
                "conversations.replies",
                self._client.conversations_replies,
                channel=channel,
                ts=thread_id,
                limit=MAX_PAGE,
                include_all_metadata=True,
            )
        else:
            data = self._call(
                "conversations.history",
                self._client.conversations_history,
                channel=channel,
                oldest=f"{since:.6f}",
                limit=MAX_PAGE,
                include_all_metadata=True,
            )
        for raw in data.get("messages") or []:
            metadata = raw.get("metadata") if isinstance(raw, dict) else None
            payload = (metadata or {}).get("event_payload") or {}
            if (metadata or {}).get("event_type") == REPORT_EVENT and payload.get("key") == key:
                return str(raw.get("ts") or "") or None
        return None

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
        """Upload a file into `channel` (in `thread_id`'s thread): files_upload_v2, which asks
        for an upload URL, sends the bytes there and completes the upload. Returns the file id."""
        data_out = self._call(
            "files.uploadV2",
            self._client.files_upload_v2,
            file=data,
            filename=filename,
            title=title,
            alt_txt=alt_text,
            channel=channel,
            thread_ts=thread_id,
            initial_comment=comment,
        )
        files = data_out.get("files") or [{}]
        return str(files[0].get("id", ""))

    def history(
        self,
        channel: str,
        *,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> HistoryPage:
        data = self._call(
            "conversations.history",
            self._client.conversations_history,
            channel=channel,
            oldest=ts_of(oldest) if oldest else None,
            latest=ts_of(latest) if latest else None,
            limit=max(1, min(limit, MAX_PAGE)),
            cursor=cursor,
            inclusive=True,
        )
        messages = tuple(m for raw in data.get("messages", []) if (m := self._message(channel, raw)))
        return HistoryPage(messages=messages, next_cursor=_next_cursor(data))

    def replies(
        self, channel: str, thread_id: str, *, limit: int = 200, cursor: str | None = None
    ) -> HistoryPage:
        data = self._call(
            "conversations.replies",
            self._client.conversations_replies,
            channel=channel,
            ts=thread_id,
            limit=max(1, min(limit, MAX_PAGE)),
            cursor=cursor,
        )
        # The thread's parent comes first and has no parent itself; with a reply's ts Slack answers
        # with that reply's whole thread, so the reply is among the messages kept.
        messages = tuple(
            m for raw in data.get("messages", []) if (m := self._message(channel, raw)) and m.thread_id
        )
        return HistoryPage(messages=messages, next_cursor=_next_cursor(data))

    def user_name(self, user_id: str) -> str:
        if user_id not in self._users:
            try:
                user = self._call("users.info", self._client.users_info, user=user_id).get("user") or {}
            except SourceError as e:
                logger.debug("user=<%s>, error=<%s> | could not resolve the user", user_id, e)
                return user_id
            profile = user.get("profile") or {}
            self._users[user_id] = (
                profile.get("display_name")
                or profile.get("real_name")
                or user.get("real_name")
                or user.get("name")
                or user_id
            )
        return self._users[user_id]

    def channel_name(self, channel_id: str) -> str:
        if channel_id not in self._channels:
            try:
                info = self._call("conversations.info", self._client.conversations_info, channel=channel_id)
            except SourceError as e:
                logger.debug("channel=<%s>, error=<%s> | could not resolve the channel", channel_id, e)
                return channel_id
            self._channels[channel_id] = (info.get("channel") or {}).get("name") or channel_id
        return self._channels[channel_id]

    def channel_id(self, channel: str) -> str:
        """The id of `channel`, given as an id (returned as is) or a name (`#deploys` or `deploys`).
        conversations.history and the other read methods accept only ids. Names are found with
        conversations.list (public and private channels, archived ones left out), following the
        cursor for at most `MAX_LIST_PAGES` pages, once per client; an unknown name is a
        `SourceError` saying so."""
        channel = channel.strip()
        if _CHANNEL_ID.fullmatch(channel):
            return channel
        name = channel.lstrip("#").lower()
        if self._ids is None:
            self._ids, self._ids_complete = self._list_channels()
        if name in self._ids:
            return self._ids[name]
        if channel in self._ids.values():  # an id of an unusual shape (a short one), as listed
            return channel
        scope = f"the {len(self._ids)} channels listed" + (
            "" if self._ids_complete else f" (the first {MAX_LIST_PAGES} pages)"
        )
        raise SourceError(f"slack conversations.list: no channel named #{name} among {scope}")

    def _list_channels(self) -> tuple[dict[str, str], bool]:
        ids: dict[str, str] = {}
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):
            data = self._call(
                "conversations.list",
                self._client.conversations_list,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=LIST_PAGE,
                cursor=cursor,
            )
            for raw in data.get("channels") or []:
                if isinstance(raw, dict) and raw.get("id") and raw.get("name"):
                    ids.setdefault(str(raw["name"]).lower(), str(raw["id"]))
                    self._channels.setdefault(str(raw["id"]), str(raw["name"]))
            cursor = _next_cursor(data)
            if not cursor:
                return ids, True
        return ids, False

    def permalink(self, channel: str, message_id: str) -> str:
        try:
            data = self._call(
                "chat.getPermalink", self._client.chat_getPermalink, channel=channel, message_ts=message_id
            )
            if data.get("permalink"):
                return str(data["permalink"])
        except SourceError as e:
            logger.debug("channel=<%s>, error=<%s> | no permalink, using the archive URL", channel, e)
        # The archive URL shape Slack itself uses; it redirects to the workspace for a signed-in user.
        return f"https://slack.com/archives/{channel}/p{message_id.replace('.', '')}"

    def _message(self, channel: str, raw: Any) -> ChatMessage | None:
        try:
            m = _Message.model_validate(raw)
            at = time_of(m.ts)
        except (ValidationError, ValueError) as e:
            logger.debug("channel=<%s>, error=<%s> | skipped a malformed message", channel, e)
            return None
        return ChatMessage(
            id=m.ts,
            channel=channel,
            user=m.user or m.bot_id,
            user_name=m.username,
            bot=m.bot_id is not None or m.subtype == "bot_message",
            # Alert bots often leave `text` empty and put the alert in attachments or blocks.
            text=slack_message_text(m.text, m.attachments, m.blocks),
            at=at,
            thread_id=m.thread_ts if m.thread_ts and m.thread_ts != m.ts else None,
            reply_count=m.reply_count,
        )


def _next_cursor(data: dict[str, Any]) -> str | None:
    cursor = (data.get("response_metadata") or {}).get("next_cursor")
    return cursor or None
