"""A Discord Gateway (v10) stand-in beside the REST stand-in, speaking the real wire protocol.

Serve `.app` (it also serves the REST stand-in, so one base URL is both, as on Discord):
`GET /api/v10/gateway/bot` answers the websocket URL, the shard count and the session start
limit; `/gateway` is the websocket. Over it: HELLO (op 10) with the heartbeat interval,
HEARTBEAT (op 1) answered with HEARTBEAT_ACK (op 11), IDENTIFY (op 2: a wrong token closes 4004,
MESSAGE_CONTENT when not allowed closes 4014) answered by the READY dispatch, dispatches (op 0)
with sequence numbers (a guild's only to its shard, `(guild_id >> 22) % shards`), RESUME (op 6:
the dispatches after the client's `seq` replayed, then RESUMED) or INVALID_SESSION (op 9,
`d: false`) when the session cannot be resumed. Frames are zlib-stream (one deflate stream per
connection, each frame flushed with Z_SYNC_FLUSH) when the client asks `compress=zlib-stream`,
JSON text otherwise.

Messages: `post_message` puts one in a channel as a person, a bot or a webhook would (embeds,
mentions) and dispatches MESSAGE_CREATE to every session whose intents include GUILD_MESSAGES,
its content, embeds and attachments blanked without MESSAGE_CONTENT unless it mentions the bot (as
Discord does); the bot's own REST posts are dispatched too. A session keeps every dispatch, so a
RESUME replays what was sent while it was disconnected.

For tests: `drop()` closes every connection (4000: resumable), `invalidate_sessions()` makes the
next RESUME fail, `offline()` holds new connections before HELLO until `online()`, and
`redeliver(channel, message_id)` dispatches a message again (a duplicate delivery).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from sandbox.chat_base import FakeChannel, Post
from sandbox.discord_api import PREFIX, FakeDiscordApi
from sandbox.discord_store import DiscordMessage

logger = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 15
AUTHENTICATION_FAILED, INVALID_INTENTS, DISALLOWED_INTENTS, UNKNOWN_ERROR = 4004, 4013, 4014, 4000


@dataclass
class _Connection:
    websocket: WebSocket
    loop: asyncio.AbstractEventLoop
    compress: bool
    queue: asyncio.Queue[dict[str, Any] | int] = field(default_factory=asyncio.Queue)
    _deflate: Any = field(default_factory=zlib.compressobj)

    def enqueue(self, item: dict[str, Any] | int) -> None:
        """From any thread: a payload to send, or a close code."""
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        if self.compress:
            data = self._deflate.compress(text.encode()) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
            await self.websocket.send_bytes(data)
        else:
            await self.websocket.send_text(text)

    async def write(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, int):
                await self.websocket.close(code=item)
                return
            await self.send(item)


@dataclass
class _Session:
    id: str
    intents: int
    shard: list[int]
    seq: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    connection: _Connection | None = None
    resumable: bool = True

    def serves(self, guild_id: str) -> bool:
        """A guild's events go to one shard: `(guild_id >> 22) % shard_count`."""
        shard_id, count = self.shard[:2] if len(self.shard) >= 2 else (0, 1)
        return count <= 1 or (int(guild_id) >> 22) % count == shard_id

    def dispatch(self, name: str, data: dict[str, Any]) -> None:
        self.seq += 1
        self.events.append((self.seq, name, data))
        if self.connection is not None:
            self.connection.enqueue({"op": DISPATCH, "t": name, "s": self.seq, "d": data})


class FakeDiscordGateway:
    """`token`: the bot token IDENTIFY must carry; `allow_message_content`: whether the app may
    ask for the privileged MESSAGE_CONTENT intent (else 4014, as an app without it gets)."""

    def __init__(
        self,
        api: FakeDiscordApi,
        *,
        token: str | None = None,
        heartbeat_interval_ms: int = 41_250,
        allow_message_content: bool = True,
        shards: int = 1,
        max_concurrency: int = 1,
    ) -> None:
        self.api = api
        self.guild = api.guild
        self.token = token if token is not None else api.token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allow_message_content = allow_message_content
        self.shards = shards
        self.max_concurrency = max_concurrency
        self.identified_shards: list[list[int]] = []
        self._lock = threading.RLock()
        self._sessions: dict[str, _Session] = {}
        self._online = threading.Event()
        self._online.set()
        self.identified = 0
        self.resumed = 0
        self.heartbeats = 0
        self.last_intents: int | None = None
        self._mentions: dict[int, list[str]] = {}
        api.post_listeners.append(self._bot_posted)
        self.app = Starlette(
            routes=[
                Route(f"{PREFIX}/gateway/bot", self._gateway_bot, methods=["GET"]),
                Route(f"{PREFIX}/gateway", self._gateway, methods=["GET"]),
                WebSocketRoute("/gateway", self._websocket),
                Mount("", app=api.app),
            ]
        )

    # ------------------------------------------------------------------ what tests and the sandbox do

    def post_message(
        self,
        channel: str,
        *,
        content: str = "",
        author: str,
        author_name: str | None = None,
        bot: bool = False,
        webhook_id: str | None = None,
        embeds: Iterable[dict[str, Any]] = (),
        mentions: Iterable[str] = (),
        at: datetime | None = None,
    ) -> str:
        """Put a message in `channel` (created when new) and dispatch MESSAGE_CREATE; its id. A
        webhook's post has `webhook_id` and the webhook as its bot author, as on Discord."""
        with self.guild.lock:
            if channel not in self.guild.channels:
                self.guild.add_channel(FakeChannel(channel, channel))
            if author_name:
                self.guild.users.setdefault(author, author_name)
            if at is None:
                message_id, now = self.guild.allocate_now()
            else:
                message_id, now = self.guild.allocate(at), at
            message = DiscordMessage(
                message_id,
                channel,
                author,
                content,
                now,
                bot=bot or webhook_id is not None,
                embeds=list(embeds),
                webhook_id=webhook_id,
            )
            self.guild.channels[channel].messages[message_id] = message
            self._mentions[message_id] = list(mentions)
            self._publish_message(message)
            return str(message_id)

    def redeliver(self, channel: str, message_id: str) -> None:
        """Dispatch MESSAGE_CREATE of a message again (Discord may deliver an event twice)."""
        with self.guild.lock:
            message = self.guild.find(channel, message_id)
            if message is not None:
                self._publish_message(message)

    def drop(self, code: int = UNKNOWN_ERROR) -> int:
        """Close every open connection with `code` (4000: the client may resume); how many."""
        with self._lock:
            connections = [s.connection for s in self._sessions.values() if s.connection is not None]
            for session in self._sessions.values():
                session.connection = None
        for connection in connections:
            connection.enqueue(code)
        return len(connections)

    def invalidate_sessions(self) -> None:
        """The next RESUME of any existing session is answered INVALID_SESSION (d: false)."""
        with self._lock:
            for session in self._sessions.values():
                session.resumable = False

    def offline(self) -> None:
        """New connections wait before HELLO (the client stays disconnected) until `online()`."""
        self._online.clear()

    def online(self) -> None:
        self._online.set()

    @property
    def connected(self) -> int:
        with self._lock:
            return sum(1 for s in self._sessions.values() if s.connection is not None)

    # ------------------------------------------------------------------ dispatching

    def _bot_posted(self, post: Post) -> None:
        if not post.method.startswith("POST /channels/"):
            return
        with self.guild.lock:
            message = self.guild.find(post.channel, post.ts)
            if message is not None:
                self._publish_message(message)

    def _publish_message(self, message: DiscordMessage) -> None:
        body = self.guild.message_json(message)
        mentions = self._mentions.get(message.id, [])
        body["mentions"] = [self.guild.user_json(user) for user in mentions]
        body["guild_id"] = self.guild.guild_id
        mentioned = self.guild.bot_user in mentions or f"<@{self.guild.bot_user}>" in message.content
        own = message.author == self.guild.bot_user
        with self._lock:
            for session in self._sessions.values():
                if not session.intents & GUILD_MESSAGES or not session.serves(self.guild.guild_id):
                    continue
                data = body
                if not session.intents & MESSAGE_CONTENT and not (mentioned or own):
                    data = {**body, "content": "", "embeds": [], "attachments": [], "components": []}
                session.dispatch("MESSAGE_CREATE", data)

    # ------------------------------------------------------------------ HTTP

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bot ") and (self.token is None or header[4:].strip() == self.token)

    def _ws_url(self, request: Request) -> str:
        return f"ws://{request.url.netloc}/gateway"

    async def _gateway(self, request: Request) -> Response:
        return JSONResponse({"url": self._ws_url(request)})

    async def _gateway_bot(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, 401)
        return JSONResponse(
            {
                "url": self._ws_url(request),
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

    # ------------------------------------------------------------------ the websocket

    async def _websocket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        while not self._online.is_set():
            await asyncio.sleep(0.02)
        compress = websocket.query_params.get("compress") == "zlib-stream"
        connection = _Connection(websocket, asyncio.get_running_loop(), compress)
        writer = asyncio.create_task(connection.write())
        session: _Session | None = None
        try:
            await connection.queue.put({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            while not writer.done():
                received = asyncio.create_task(websocket.receive())
                await asyncio.wait({received, writer}, return_when=asyncio.FIRST_COMPLETED)
                if not received.done():
                    received.cancel()
                    break
                message = received.result()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text") or message.get("bytes") or b"{}"
                payload = json.loads(raw)
                session = self._handle(payload, connection, websocket, session)
        except (WebSocketDisconnect, RuntimeError, json.JSONDecodeError):
            pass
        finally:
            with self._lock:
                if session is not None and session.connection is connection:
                    session.connection = None
            if not writer.done():
                writer.cancel()

    def _handle(
        self, payload: dict[str, Any], connection: _Connection, websocket: WebSocket, session: _Session | None
    ) -> _Session | None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            connection.queue.put_nowait({"op": HEARTBEAT_ACK})
            return session
        if op == IDENTIFY and isinstance(data, dict):
            return self._identify(data, connection)
        if op == RESUME and isinstance(data, dict):
            return self._resume(data, connection)
        return session

    def _identify(self, data: dict[str, Any], connection: _Connection) -> _Session | None:
        if self.token is not None and data.get("token") != self.token:
            connection.queue.put_nowait(AUTHENTICATION_FAILED)
            return None
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            connection.queue.put_nowait(INVALID_INTENTS)
            return None
        if intents & MESSAGE_CONTENT and not self.allow_message_content:
            connection.queue.put_nowait(DISALLOWED_INTENTS)
            return None
        shard = data.get("shard") if isinstance(data.get("shard"), list) else [0, 1]
        session = _Session(uuid.uuid4().hex, intents, shard)
        with self._lock:
            self.identified += 1
            self.identified_shards.append(list(shard))
            self.last_intents = intents
            self._sessions[session.id] = session
            session.connection = connection
            user = self.guild.user_json(self.guild.bot_user, bot=True)
            url = f"ws://{connection.websocket.url.netloc}/gateway"
            session.dispatch(
                "READY",
                {
                    "v": 10,
                    "user": {**user, "verified": True, "mfa_enabled": False},
                    "guilds": [{"id": self.guild.guild_id, "unavailable": True}],
                    "session_id": session.id,
                    "resume_gateway_url": url,
                    "shard": shard,
                    "application": {"id": self.guild.bot_user, "flags": 0},
                },
            )
        return session

    def _resume(self, data: dict[str, Any], connection: _Connection) -> _Session | None:
        with self._lock:
            session = self._sessions.get(str(data.get("session_id")))
            if (
                session is None
                or not session.resumable
                or (self.token is not None and data.get("token") != self.token)
            ):
                connection.queue.put_nowait({"op": INVALID_SESSION, "d": False})
                return None
            seq = data.get("seq") if isinstance(data.get("seq"), int) else 0
            self.resumed += 1
            session.connection = connection
            for number, name, event in session.events:
                if number > seq:
                    connection.queue.put_nowait({"op": DISPATCH, "t": name, "s": number, "d": event})
            session.dispatch("RESUMED", {})
        return session
