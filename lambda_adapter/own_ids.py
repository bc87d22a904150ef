"""The deployer's own ids: what the allowlists (`tenancy.py`) default to when config leaves them empty.

A signature only proves that the request came from a workspace or guild where the app is
installed. Unless `intake.allowed` lists them, the intake asks the platforms once per process who
its bot is, and serves only that:
- Slack: `auth.test` with the bot token gives the team (workspace) id, and the app id (or the bot
  id, whose `bots.info` gives the app id). An Enterprise Grid install spans workspaces: no team
  default there (the app id still applies).
- Discord: the guild is `sources.discord.guild_id` (the bot may sit in other guilds: which one is
  ours only config can say); the application is `GET /oauth2/applications/@me` with the bot token.

An id that cannot be learnt (no token, the platform unreachable) is not enforced, and is asked again
after `RETRY_SECONDS`: a platform outage must not turn every alert away.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx is imported when the platform is first asked: the handler's cold path
    import httpx  # loads none of it

logger = logging.getLogger(__name__)

DEFAULT_SLACK_API = "https://slack.com/api/"
RETRY_SECONDS = 60.0
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Ids:
    team: str | None = None  # Slack
    app: str | None = None  # Slack
    guild: str | None = None  # Discord
    application: str | None = None  # Discord


@dataclass
class OwnIds:
    slack_token: str = field(default="", repr=False)
    slack_api_base: str | None = None
    discord_token: str = field(default="", repr=False)
    discord_api_base: str = "https://discord.com/api/v10"
    discord_guild: str | None = None
    transport: Any = None  # an httpx transport (tests)
    clock: Callable[[], float] = time.monotonic
    _slack: tuple[Ids, float] | None = field(default=None, init=False, repr=False)
    _discord: tuple[Ids, float] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def slack(self) -> Ids:
        """Our Slack team and app (None where unknown)."""
        with self._lock:
            held = self._slack
            if held is None or (self._incomplete(held[0], slack=True) and self._due(held)):
                held = self._slack = (self._ask_slack(), self.clock())
            return held[0]

    def discord(self) -> Ids:
        """Our Discord guild and application (None where unknown)."""
        with self._lock:
            held = self._discord
            if held is None or (self._incomplete(held[0], slack=False) and self._due(held)):
                held = self._discord = (self._ask_discord(), self.clock())
            return held[0]

    def _due(self, held: tuple[Ids, float]) -> bool:
        return self.clock() - held[1] >= RETRY_SECONDS

    def _incomplete(self, ids: Ids, *, slack: bool) -> bool:
        if slack:
            return bool(self.slack_token) and ids.app is None
        return bool(self.discord_token) and ids.application is None

    def _client(self, base: str, authorization: str) -> httpx.Client:
        import httpx

        return httpx.Client(
            base_url=base,
            headers={"Authorization": authorization},
            timeout=TIMEOUT_SECONDS,
            transport=self.transport,
        )

    def _ask_slack(self) -> Ids:
        if not self.slack_token:
            return Ids()
        base = self.slack_api_base or DEFAULT_SLACK_API
        base = base if base.endswith("/") else base + "/"
        import httpx

        with self._client(base, f"Bearer {self.slack_token}") as http:
            try:
                me = _ok(http.post("auth.test").json(), "auth.test")
            except (httpx.HTTPError, ValueError) as e:
                logger.warning("error=<%s> | could not learn our Slack team and app ids; not enforced", e)
                return Ids()
            app = _str(me.get("app_id"))
            if app is None and _str(me.get("bot_id")):
                try:
                    bot = _ok(http.get("bots.info", params={"bot": me["bot_id"]}).json(), "bots.info")
                    app = _str(_dict(bot.get("bot")).get("app_id"))
                except (httpx.HTTPError, ValueError) as e:
                    logger.warning("error=<%s> | could not learn our Slack app id; not enforced", e)
        team = None if me.get("is_enterprise_install") else _str(me.get("team_id"))
        logger.info("team=<%s>, app=<%s> | Slack requests from elsewhere are refused", team, app)
        return Ids(team=team, app=app)

    def _ask_discord(self) -> Ids:
        guild = self.discord_guild or None
        if not self.discord_token:
            return Ids(guild=guild)
        import httpx

        try:
            with self._client(self.discord_api_base.rstrip("/"), f"Bot {self.discord_token}") as http:
                answer = http.get("/oauth2/applications/@me")
                answer.raise_for_status()
                application = _str(_dict(answer.json()).get("id"))
        except (httpx.HTTPError, ValueError) as e:
            logger.warning("error=<%s> | could not learn our Discord application id; not enforced", e)
            return Ids(guild=guild)
        logger.info(
            "guild=<%s>, application=<%s> | Discord requests from elsewhere are refused", guild, application
        )
        return Ids(guild=guild, application=application)


def _ok(answer: Any, method: str) -> dict[str, Any]:
    if not isinstance(answer, dict) or not answer.get("ok"):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise ValueError(f"slack {method}: {error or 'not ok'}")
    return answer


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
