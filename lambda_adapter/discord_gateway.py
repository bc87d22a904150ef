"""`sre-on-call discord-gateway`: the Discord Gateway listener, the intake's edge for channel messages.

Discord delivers channel messages to a bot only over its Gateway websocket, never to the
interactions URL. This process holds that connection (hikari: heartbeats, RESUME after a drop, a
fresh IDENTIFY when the session is invalid, exponential back-off between attempts, the identify
rate limits and shard count that `GET /gateway/bot` gives) and hands every message of an alert
channel, and every message that mentions the bot, to the intake's core
(`lambda_adapter.discord_messages`), which decides as it does for Slack. Its own messages and the
rest of the server's chat are passed over here (GUILD_MESSAGES brings them all).

Least intents: GUILD_MESSAGES, plus MESSAGE_CONTENT only when alert channels are configured (a
message that mentions the bot carries its content without it). No cache, no typed events: the raw
dispatch payloads are read (`ShardPayloadEvent`), so MESSAGE_CREATE reaches the intake as Discord
sent it, the same object the REST history returns.

Nothing lost: after every READY (a new session) and RESUMED (Discord replayed what was missed) the
listener reads each watched channel's messages after the last one it handled (REST history), and
on its first start those of the last dedup window (a restarted container). The watched channels are
the alert channels and those where a mention was handled. Nothing twice: the intake dedups on the
message id, so a message both replayed and read from history is investigated once. A hand-off that
fails is retried with back-off.

Hand-off: deployed, a direct invocation of the intake function (`--intake-function`, its role may
invoke only that function: no public endpoint); locally, the intake core in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from lambda_adapter.discord_messages import EVENT_KEY, accept
from shared.chat.discord import DEFAULT_BASE_URL, USER_AGENT, snowflake_at

logger = logging.getLogger(__name__)

GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
PAGE = 100
ENV_INTAKE_FUNCTION = "SRE_INTAKE_FUNCTION"
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0
# A failed hand-off is tried again this many times at most (then the cold-start window covers it).
RETRY_ATTEMPTS = 8
RECENT = 2000
# Announcement, public and private threads.
THREAD_TYPES = (10, 11, 12)


def intents_for(alert_channels: Iterable[str]) -> int:
    """GUILD_MESSAGES; MESSAGE_CONTENT only to read the alert channels' posts (privileged)."""
    return GUILD_MESSAGES | (MESSAGE_CONTENT if any(True for _ in alert_channels) else 0)


class Handoff(Protocol):
    def hand(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """Give one message to the intake's core; its answer (`outcome`, `retry`)."""
        ...


class InProcessHandoff:
    """The intake core in this process (local runs, the sandbox). `on_receive` is told first."""

    def __init__(self, intake: Any, on_receive: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.intake = intake
        self.on_receive = on_receive

    def hand(self, delivery: dict[str, Any]) -> dict[str, Any]:
        if self.on_receive is not None:
            self.on_receive(delivery)
        return accept(self.intake, delivery)


class LambdaHandoff:
    """A direct, synchronous invocation of the intake function (IAM-authenticated)."""

    def __init__(self, function_name: str, client: Any = None) -> None:
        self.function_name = function_name
        self._client = client

    def hand(self, delivery: dict[str, Any]) -> dict[str, Any]:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=3, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"}
            )
            self._client = boto3.client("lambda", config=config)
        answer = self._client.invoke(
            FunctionName=self.function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps({EVENT_KEY: delivery}).encode("utf-8"),
        )
        body = answer["Payload"].read()
        if answer.get("FunctionError"):
            return {
                "outcome": "failed",
                "retry": True,
                "error": f"the intake failed: {answer['FunctionError']}",
            }
        decided = json.loads(body or b"{}")
        return decided if isinstance(decided, dict) else {"outcome": "failed", "retry": True}


class History:
    """Channel history over REST (`GET /channels/{id}/messages?after=`), oldest first, raw."""

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, *, transport: Any = None) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bot {token}", "User-Agent": USER_AGENT},
            timeout=10.0,
            transport=transport,
            trust_env=False,
        )

    async def after(self, channel: str, after: int, *, pages: int = 10) -> list[dict[str, Any]]:
        """Messages of `channel` newer than the snowflake `after`, oldest first (at most `pages`
        pages of 100). Raises `httpx.HTTPError` when Discord does not answer."""
        found: list[dict[str, Any]] = []
        cursor = after
        for _ in range(pages):
            page = await self._get(f"/channels/{channel}/messages", {"after": str(cursor), "limit": PAGE})
            batch = sorted(
                (m for m in page if isinstance(m, dict) and str(m.get("id", "")).isdigit()),
                key=lambda m: int(m["id"]),
            )
            found.extend(batch)
            if len(page) < PAGE or not batch:
                break
            cursor = int(batch[-1]["id"])
        return found

    async def _get(self, path: str, params: dict[str, Any]) -> list[Any]:
        for _ in range(5):
            response = await self._http.get(path, params=params)
            if response.status_code == 429:
                try:
                    wait = float(response.json().get("retry_after", 1.0))
                except (ValueError, AttributeError):
                    wait = 1.0
                await asyncio.sleep(min(max(wait, 0.0), 30.0))
                continue
            response.raise_for_status()
            body = response.json()
            return body if isinstance(body, list) else []
        raise httpx.HTTPError(f"GET {path}: still rate limited")

    async def thread_of(self, channel: str) -> dict[str, Any] | None:
        """`{"parent_id", "from_message"}` when `channel` is a thread, else None. Raises
        `httpx.HTTPError` when Discord does not answer."""
        response = await self._http.get(f"/channels/{channel}")
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict) or body.get("type") not in THREAD_TYPES or not body.get("parent_id"):
            return None
        parent = str(body["parent_id"])
        # A thread started from a message has that message's id (in the parent channel).
        starter = await self._http.get(f"/channels/{parent}/messages/{channel}")
        if starter.status_code not in (200, 404):
            starter.raise_for_status()
        return {"parent_id": parent, "from_message": starter.status_code == 200}

    async def close(self) -> None:
        await self._http.aclose()


@dataclass
class Listener:
    """What the listener does with the Gateway's dispatches, independent of the library: tests
    and the sandbox drive it through the real one against the stand-in."""

    handoff: Handoff
    history: History
    alert_channels: frozenset[str]
    # How far back the first catch-up after a (re)start reads: within the dedup window, so what the
    # last process handled is recognised.
    lookback_seconds: float = 600.0
    clock: Callable[[], float] = time.time
    bot_user_id: str | None = None
    # Per channel: the id of the newest message handed to the intake.
    cursors: dict[str, int] = field(default_factory=dict)
    watched: set[str] = field(default_factory=set)
    handled: int = 0  # messages the intake decided
    seen: int = 0  # Gateway dispatches of messages considered (handed in or passed over)
    _catch_ups: set[asyncio.Task[None]] = field(default_factory=set)
    _retries: set[asyncio.Task[None]] = field(default_factory=set)
    _started_at: float | None = None
    # One hand-off at a time, in arrival order; the ids handed in lately (a catch-up skips them).
    _turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    _recent: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT))
    # Channel id -> the thread it is (None: not a thread), read once.
    _threads: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.watched |= set(self.alert_channels)

    async def on_dispatch(self, name: str, payload: dict[str, Any]) -> None:
        """One Gateway dispatch (its `t` and `d`)."""
        if name == "READY":
            user = payload.get("user") or {}
            self.bot_user_id = str(user.get("id")) if user.get("id") else self.bot_user_id
            self._catch_up_from(self._marks())
            self.ready.set()
        elif name == "RESUMED":
            self._catch_up_from(self._marks())
        elif name == "MESSAGE_CREATE":
            await self.take(payload, via="gateway")

    def _marks(self) -> dict[str, int]:
        """Where each watched channel's catch-up starts, taken as the session (re)starts, before any
        message of the new session moves a cursor."""
        if self._started_at is None:
            self._started_at = self.clock()
        floor = int(
            snowflake_at(
                datetime.fromtimestamp(self._started_at, UTC) - timedelta(seconds=self.lookback_seconds)
            )
        )
        return {channel: self.cursors.get(channel, floor) for channel in sorted(self.watched)}

    def _catch_up_from(self, marks: dict[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self.catch_up(marks))
        self._catch_ups.add(task)
        task.add_done_callback(self._catch_ups.discard)

    async def catch_up(self, marks: dict[str, int]) -> None:
        """Hand in what each channel holds after its mark (missed while disconnected)."""
        for channel, mark in marks.items():
            try:
                messages = await self.history.after(channel, mark)
            except httpx.HTTPStatusError as e:
                level = logging.INFO if e.response.status_code == 404 else logging.WARNING
                logger.log(
                    level, "channel=<%s>, status=<%d> | history not read", channel, e.response.status_code
                )
                continue
            except httpx.HTTPError as e:
                logger.warning(
                    "channel=<%s>, error=<%s> | history not read; next reconnect reads it",
                    channel,
                    type(e).__name__,
                )
                continue
            if messages:
                logger.info("channel=<%s>, messages=<%d> | catching up from history", channel, len(messages))
            for message in messages:
                await self.take(message, via="history")

    async def take(self, message: dict[str, Any], *, via: str, attempt: int = 0) -> None:
        try:
            await self._take(message, via=via, attempt=attempt)
        finally:
            if attempt == 0 and via == "gateway":
                self.seen += 1

    async def _take(self, message: dict[str, Any], *, via: str, attempt: int) -> None:
        bot = self.bot_user_id
        channel = str(message.get("channel_id") or "")
        if bot is None or not channel or not str(message.get("id", "")).isdigit():
            return
        author: dict[str, Any] = message["author"] if isinstance(message.get("author"), dict) else {}
        if str(author.get("id")) == bot or not (channel in self.alert_channels or _mentions(message, bot)):
            # GUILD_MESSAGES brings every message the bot can see: only the alert channels' and
            # those that mention the bot can start anything (the intake decides which do).
            self.cursors[channel] = max(self.cursors.get(channel, 0), int(message["id"]))
            return
        message_id = str(message["id"])
        delivery = {
            "message": message,
            "bot_user_id": bot,
            "alert_channel": channel in self.alert_channels,
            "thread": await self._thread(channel, message, bot),
            "via": via,
        }
        async with self._turn:
            if via == "history" and message_id in self._recent:
                return  # handed in live already (the intake would say so too)
            try:
                answer = await asyncio.to_thread(self.handoff.hand, delivery)
            except Exception as e:
                logger.warning("message=<%s>, error=<%s> | hand-off failed", message_id, type(e).__name__)
                answer = {"outcome": "failed", "retry": True}
            self.cursors[channel] = max(self.cursors.get(channel, 0), int(message_id))
            if answer.get("retry"):
                self._retry_later(message, via, attempt)
                return
            self._recent.append(message_id)
        self.handled += 1
        if answer.get("outcome") not in ("ignored", "refused", None):
            self.watched.add(channel)  # a mention there: read it after a reconnect too
        logger.info(
            "message=<%s>, channel=<%s>, via=<%s>, outcome=<%s> | handed to the intake",
            message.get("id"),
            channel,
            via,
            answer.get("outcome"),
        )

    async def _thread(self, channel: str, message: dict[str, Any], bot: str) -> dict[str, Any] | None:
        """For a message that mentions the bot outside the alert channels: the thread it is in."""
        if channel in self.alert_channels or not _mentions(message, bot):
            return None
        if channel not in self._threads:
            try:
                self._threads[channel] = await self.history.thread_of(channel)
            except httpx.HTTPError as e:
                logger.warning("channel=<%s>, error=<%s> | channel not read", channel, type(e).__name__)
                return None
        return self._threads[channel]

    def _retry_later(self, message: dict[str, Any], via: str, attempt: int) -> None:
        if attempt + 1 >= RETRY_ATTEMPTS:
            logger.error(
                "message=<%s> | hand-off failed %d times; left to the next catch-up",
                message.get("id"),
                RETRY_ATTEMPTS,
            )
            return
        delay = min(RETRY_BASE_SECONDS * 2**attempt, RETRY_MAX_SECONDS)

        async def again() -> None:
            await asyncio.sleep(delay)
            await self._take(message, via=via, attempt=attempt + 1)

        task = asyncio.get_running_loop().create_task(again())  # `seen` counts the first try only
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait for the catch-ups and retries in flight (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._catch_ups or self._retries:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("catch-up still running")
            await asyncio.wait({*self._catch_ups, *self._retries}, timeout=remaining)


def _mentions(message: dict[str, Any], bot: str) -> bool:
    mentioned = message.get("mentions") or []
    if any(isinstance(m, dict) and str(m.get("id")) == bot for m in mentioned):
        return True
    content = str(message.get("content") or "")
    return f"<@{bot}>" in content or f"<@!{bot}>" in content


def gateway_bot(token: str, *, intents: int, rest_url: str | None) -> Any:
    """The hikari bot: no cache, no banner, no logging setup of its own."""
    import hikari

    return hikari.GatewayBot(
        token,
        intents=hikari.Intents(intents),
        rest_url=rest_url,
        banner=None,
        logs=None,
        suppress_optimization_warning=True,
        cache_settings=hikari.impl.CacheSettings(components=hikari.api.CacheComponents.NONE),
    )


async def run_listener(
    listener: Listener,
    token: str,
    *,
    rest_url: str | None,
    stop: asyncio.Event,
    started: Callable[[Any], Awaitable[None] | None] | None = None,
) -> None:
    """Connect, listen until `stop` is set, close."""
    import hikari

    bot = gateway_bot(token, intents=intents_for(listener.alert_channels), rest_url=rest_url)

    @bot.listen(hikari.ShardPayloadEvent)
    async def on_payload(event: hikari.ShardPayloadEvent) -> None:
        try:
            await listener.on_dispatch(event.name, dict(event.payload))
        except Exception as e:  # one bad message must not stop the others
            logger.exception("event=<%s>, error=<%s> | dispatch failed", event.name, type(e).__name__)

    await bot.start(check_for_updates=False)
    try:
        if started is not None:
            result = started(bot)
            if asyncio.iscoroutine(result):
                await result
        closed = asyncio.ensure_future(bot.join())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if closed.done():
            closed.result()  # a shard closed for good (bad token, disallowed intents): raise it
    finally:
        with contextlib.suppress(Exception):
            await bot.close()
        with contextlib.suppress(Exception):
            await listener.settle(timeout=5.0)
        await listener.history.close()


def main(argv: list[str] | None = None) -> int:
    """`sre-on-call discord-gateway [--config FILE] [--intake-function NAME]`."""
    import argparse

    from shared.config import load_config
    from shared.logsetup import configure_logging
    from shared.secrets import hydrate_secrets

    parser = argparse.ArgumentParser(prog="sre-on-call discord-gateway", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=None, help="config.yaml (default: $SRE_ON_CALL_CONFIG)")
    parser.add_argument(
        "--intake-function",
        default=os.environ.get(ENV_INTAKE_FUNCTION),
        help=f"hand messages to this Lambda function (default ${ENV_INTAKE_FUNCTION}); "
        "without it the intake core runs in this process",
    )
    args = parser.parse_args(argv)
    config = load_config(args.config)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), config)
    hydrate_secrets(config)
    discord = config.sources.discord
    token = os.environ.get(discord.bot_token_env, "")
    if not token:
        logger.error("env=<%s> | no Discord bot token", discord.bot_token_env)
        return 2
    base = (os.environ.get(discord.base_url_env) or DEFAULT_BASE_URL).rstrip("/")
    settings = config.intake.discord_gateway
    return asyncio.run(_serve(config, token, base, settings.alert_channels, args.intake_function))


async def _serve(config: Any, token: str, base: str, alert_channels: list[str], function: str | None) -> int:
    import signal

    handoff: Handoff
    if function:
        handoff = LambdaHandoff(function)
    else:
        from lambda_adapter.master import a2a_dispatcher
        from lambda_adapter.server import app_from_env

        app = app_from_env(config, dispatcher=a2a_dispatcher(config))
        app.state.jobs.bind(asyncio.get_running_loop())
        handoff = InProcessHandoff(app.state.intake)
    listener = Listener(
        handoff=handoff,
        history=History(token, base),
        alert_channels=frozenset(alert_channels),
        lookback_seconds=float(config.intake.dedup_window_seconds),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    logger.info(
        "channels=<%s>, intents=<%d>, handoff=<%s> | discord gateway listener starting",
        ",".join(sorted(alert_channels)) or "-",
        intents_for(alert_channels),
        "lambda" if function else "in-process",
    )
    await run_listener(listener, token, rest_url=base if base != DEFAULT_BASE_URL else None, stop=stop)
    return 0
