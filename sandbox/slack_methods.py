"""The Slack Web API methods the stand-in answers, over a `Workspace`: each takes the call's
arguments (strings from a form or query string, or JSON values) and returns the answer body or
raises `SlackError` with Slack's error code."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

from sandbox.chat_base import Post
from sandbox.slack_blocks import MAX_TEXT, block_problems
from sandbox.slack_store import (
    APP_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    SlackChannel,
    Workspace,
    bot_id_for,
    ts_micros,
    ts_text,
)

Args = dict[str, Any]
HISTORY_PAGE, HISTORY_MAX = 100, 999
REPLIES_PAGE, REPLIES_MAX = 1000, 1000
LIST_PAGE, LIST_MAX = 100, 1000


class SlackError(Exception):
    """An `{"ok": false}` answer: `code` is Slack's error string, `detail` its explanation."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _str(args: Args, key: str) -> str:
    value = args.get(key)
    return "" if value is None else str(value)


def _bool(args: Args, key: str) -> bool:
    value = args.get(key)
    return value is True or str(value).lower() in ("1", "true")


def _limit(args: Args, default: int, maximum: int) -> int:
    try:
        value = int(args.get("limit") or 0)
    except (TypeError, ValueError):
        value = 0
    return default if value <= 0 else min(value, maximum)


def _cursor(prefix: str, value: str) -> str:
    # Slack's cursors are base64 of "<what>:<where>" (e.g. "next_ts:1512085861000543").
    return base64.b64encode(f"{prefix}:{value}".encode()).decode()


def _uncursor(args: Args, prefix: str) -> str | None:
    raw = _str(args, "cursor")
    if not raw:
        return None
    try:
        found, _, value = base64.b64decode(raw, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise SlackError("invalid_cursor") from e
    if found != prefix or not value:
        raise SlackError("invalid_cursor")
    return value


def _ts_arg(args: Args, key: str, error: str, default: int) -> int:
    raw = _str(args, key)
    if not raw:
        return default
    try:
        return ts_micros(raw)
    except ValueError as e:
        raise SlackError(error) from e


def _metadata(args: Args) -> dict[str, Any] | None:
    """chat.postMessage's `metadata`: an object (or its JSON) with `event_type` and `event_payload`."""
    metadata = args.get("metadata")
    if metadata in (None, ""):
        return None
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError as e:
            raise SlackError("invalid_metadata_format") from e
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    if not isinstance(metadata.get("event_payload"), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _blocks(args: Args) -> list[dict[str, Any]] | None:
    blocks = args.get("blocks")
    if blocks in (None, "", []):
        return None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError as e:
            raise SlackError("invalid_blocks_format") from e
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise SlackError("invalid_blocks_format")
    problems = block_problems(blocks)
    if problems:
        raise SlackError("invalid_blocks", "; ".join(problems))
    return blocks


class SlackMethods:
    """Method name -> handler (`.table`); `record` receives every post and edit."""

    def __init__(self, workspace: Workspace, record: Callable[[Post], None]) -> None:
        self.ws = workspace
        self.record = record
        self.table: dict[str, Callable[[Args], dict[str, Any]]] = {
            "api.test": lambda args: {"ok": True, "args": {k: v for k, v in args.items() if k != "token"}},
            "auth.test": self.auth_test,
            "bots.info": self.bot_info,
            "team.info": self.team_info,
            "conversations.history": self.history,
            "conversations.replies": self.replies,
            "conversations.info": self.conversation_info,
            "conversations.list": self.conversation_list,
            "users.info": self.user_info,
            "users.list": self.user_list,
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.getPermalink": self.permalink,
            "reactions.add": self.reaction_add,
        }

    def _channel(self, args: Args, *, by_name: bool = False) -> SlackChannel:
        """The channel an id names. Only chat.postMessage also takes a name (`#deploys`), as Slack's
        does: conversations.history, replies, info and the rest answer `channel_not_found` to a name."""
        key = _str(args, "channel")
        channel = self.ws.channel(key) if by_name else self.ws.channels.get(key)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def auth_test(self, args: Args) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": self.ws.bot_name,
            "team_id": TEAM_ID,
            "user_id": self.ws.bot_user,
            "bot_id": bot_id_for(self.ws.bot_user),
            "is_enterprise_install": False,
        }

    def bot_info(self, args: Args) -> dict[str, Any]:
        """Our own bot only (the one `auth.test` names): its app id, as Slack's `bots.info` answers."""
        bot = _str(args, "bot")
        if bot != bot_id_for(self.ws.bot_user):
            raise SlackError("bot_not_found")
        return {
            "ok": True,
            "bot": {
                "id": bot,
                "deleted": False,
                "name": self.ws.bot_name,
                "updated": int(time.time()),
                "app_id": APP_ID,
                "user_id": self.ws.bot_user,
            },
        }

    def team_info(self, args: Args) -> dict[str, Any]:
        return {
            "ok": True,
            "team": {"id": TEAM_ID, "name": TEAM_NAME, "domain": TEAM_DOMAIN, "email_domain": ""},
        }

    def history(self, args: Args) -> dict[str, Any]:
        """Top-level messages, newest first, in (oldest, latest) - bounds included with `inclusive`."""
        channel = self._channel(args)
        oldest = _ts_arg(args, "oldest", "invalid_ts_oldest", 0)
        latest = _ts_arg(args, "latest", "invalid_ts_latest", int(time.time() * 1_000_000))
        inclusive = _bool(args, "inclusive")
        limit = _limit(args, HISTORY_PAGE, HISTORY_MAX)
        start = _uncursor(args, "next_ts")
        metadata = _bool(args, "include_all_metadata")
        newest_first = [
            us
            for us in reversed(channel.top)
            if (oldest <= us <= latest if inclusive else oldest < us < latest)
            and (start is None or us <= int(start))
        ]
        page = newest_first[:limit]
        answer: dict[str, Any] = {
            "ok": True,
            "messages": [
                self.ws.message_json(channel, channel.messages[us], with_metadata=metadata) for us in page
            ],
            "has_more": len(newest_first) > limit,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if len(newest_first) > limit:
            answer["response_metadata"] = {"next_cursor": _cursor("next_ts", str(newest_first[limit]))}
        return answer

    def replies(self, args: Args) -> dict[str, Any]:
        """The thread of `ts`: its parent first (on the first page only), then replies oldest first."""
        channel = self._channel(args)
        if not _str(args, "ts"):
            raise SlackError("invalid_arguments", "missing required field: ts")
        root_us = self.ws.root_of(channel, _ts_arg(args, "ts", "thread_not_found", 0))
        root = channel.messages.get(root_us)
        if root is None:
            raise SlackError("thread_not_found")
        oldest = _ts_arg(args, "oldest", "invalid_ts_oldest", 0)
        latest = _ts_arg(args, "latest", "invalid_ts_latest", int(time.time() * 1_000_000))
        inclusive = _bool(args, "inclusive")
        limit = _limit(args, REPLIES_PAGE, REPLIES_MAX)
        start = _uncursor(args, "next_ts")
        metadata = _bool(args, "include_all_metadata")
        replies = [
            us
            for us in root.replies
            if (oldest <= us <= latest if inclusive else oldest < us < latest)
            and (start is None or us >= int(start))
        ]
        thread = replies if start is not None else [root_us, *replies]
        page = thread[:limit]
        answer: dict[str, Any] = {
            "ok": True,
            "messages": [
                self.ws.message_json(channel, channel.messages[us], with_metadata=metadata) for us in page
            ],
            "has_more": len(thread) > limit,
        }
        if len(thread) > limit:
            answer["response_metadata"] = {"next_cursor": _cursor("next_ts", str(thread[limit]))}
        return answer

    def conversation_info(self, args: Args) -> dict[str, Any]:
        return {"ok": True, "channel": self.ws.channel_json(self._channel(args))}

    def conversation_list(self, args: Args) -> dict[str, Any]:
        channels = sorted(self.ws.channels.values(), key=lambda c: c.id)
        start = _uncursor(args, "team")
        if start is not None:
            channels = [c for c in channels if c.id >= start]
        limit = _limit(args, LIST_PAGE, LIST_MAX)
        answer: dict[str, Any] = {
            "ok": True,
            "channels": [self.ws.channel_json(c) for c in channels[:limit]],
            "response_metadata": {
                "next_cursor": _cursor("team", channels[limit].id) if len(channels) > limit else ""
            },
        }
        return answer

    def user_info(self, args: Args) -> dict[str, Any]:
        user = _str(args, "user")
        if not user or not self.ws.known_user(user):
            raise SlackError("user_not_found")
        return {"ok": True, "user": self.ws.user_json(user)}

    def user_list(self, args: Args) -> dict[str, Any]:
        authors = {m.user for c in self.ws.channels.values() for m in c.messages.values()}
        ids = sorted(set(self.ws.users) | authors)
        start = _uncursor(args, "user")
        if start is not None:
            ids = [u for u in ids if u >= start]
        limit = _limit(args, LIST_PAGE, LIST_MAX)
        return {
            "ok": True,
            "members": [self.ws.user_json(u) for u in ids[:limit]],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": _cursor("user", ids[limit]) if len(ids) > limit else ""},
        }

    def post_message(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args, by_name=True)
        text, blocks = _str(args, "text"), _blocks(args)
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        parent = None
        if _str(args, "thread_ts"):
            try:
                parent = self.ws.root_of(channel, ts_micros(_str(args, "thread_ts")))
            except ValueError as e:
                raise SlackError(
                    "invalid_thread_ts", f"{_str(args, 'thread_ts')} is not a valid thread_ts"
                ) from e
            if parent <= 0:
                raise SlackError("invalid_thread_ts", f"{_str(args, 'thread_ts')} is not a valid thread_ts")
        us = self.ws.post(channel, text, blocks, parent, _metadata(args))
        self._record("chat.postMessage", channel, us)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts_text(us),
            "message": self.ws.message_json(channel, channel.messages[us]),
        }

    def update(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        us = _ts_arg(args, "ts", "message_not_found", -1)
        message = channel.messages.get(us)
        if message is None:
            raise SlackError("message_not_found")
        if message.user != self.ws.bot_user:
            raise SlackError("cant_update_message")
        text, blocks = _str(args, "text"), _blocks(args)
        if not text and not blocks:
            raise SlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        message.text, message.blocks = text, blocks
        message.edited = (self.ws.bot_user, int(time.time() * 1_000_000))
        self._record("chat.update", channel, us)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts_text(us),
            "text": text,
            "message": self.ws.message_json(channel, message),
        }

    def permalink(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        us = _ts_arg(args, "message_ts", "message_not_found", -1)
        message = channel.messages.get(us)
        if message is None:
            raise SlackError("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{ts_text(us).replace('.', '')}"
        if message.parent is not None:
            link += f"?thread_ts={ts_text(message.parent)}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    def reaction_add(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        name = _str(args, "name").strip(":")
        if not name:
            raise SlackError("invalid_name")
        message = channel.messages.get(_ts_arg(args, "timestamp", "message_not_found", -1))
        if message is None:
            raise SlackError("message_not_found")
        users = message.reactions.setdefault(name, [])
        if self.ws.bot_user in users:
            raise SlackError("already_reacted")
        users.append(self.ws.bot_user)
        return {"ok": True}

    def _record(self, method: str, channel: SlackChannel, us: int) -> None:
        message = channel.messages[us]
        self.record(
            Post(
                method=method,
                channel=channel.id,
                text=message.text,
                ts=ts_text(us),
                time=time.time(),
                thread_ts=ts_text(message.parent) if message.parent is not None else None,
                blocks=message.blocks,
            )
        )
