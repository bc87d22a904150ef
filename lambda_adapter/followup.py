"""Answering later through the platform's own callback: completing a Discord interaction that
was answered with a deferred response (type 5), and posting to a Slack slash command's
response_url.

Discord shows "thinking..." until the original response is edited through the interaction's
webhook (`PATCH /webhooks/{application_id}/{token}/messages/@original`); more messages follow it
with `POST /webhooks/{application_id}/{token}`. The token alone authorises both, for 15 minutes,
whether or not the bot may post in the channel. A Slack response_url takes up to five messages
within 30 minutes of the command, in the channel it was run in, whether or not the bot is a
member there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

logger = logging.getLogger(__name__)

DISCORD_MESSAGE_LIMIT = 2000
# A 429 on the interaction webhook is waited out when Discord asks for at most this long.
MAX_RETRY_AFTER_SECONDS = 5.0
MAX_ATTEMPTS = 3
# Nothing we post through the interaction pings anyone, whatever the report quotes.
NO_MENTIONS: dict[str, list[str]] = {"parse": []}


class InteractionResponder(Protocol):
    def complete(self, application_id: str, token: str, text: str) -> None:
        """Replace the deferred response's "thinking..." with `text`."""
        ...

    def deliver(self, application_id: str, token: str, messages: Sequence[str]) -> None:
        """Replace the deferred response with `messages[0]` and post the rest as follow-ups, in
        order (each within Discord's 2000 characters). Raises on failure."""
        ...


class DiscordInteractionResponder:
    def __init__(
        self, api_base: str, *, timeout: float = 5.0, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._api_base = api_base.rstrip("/")
        self._timeout = timeout
        self._sleep = sleep

    def complete(self, application_id: str, token: str, text: str) -> None:
        import httpx

        url = f"{self._api_base}/webhooks/{application_id}/{token}/messages/@original"
        response = httpx.patch(url, json={"content": text[:2000]}, timeout=self._timeout)
        if response.status_code >= 300:
            logger.warning(
                "status=<%s> | discord did not accept the interaction follow-up", response.status_code
            )

    def deliver(self, application_id: str, token: str, messages: Sequence[str]) -> None:
        if not messages:
            raise ValueError("nothing to deliver")
        webhook = f"{self._api_base}/webhooks/{application_id}/{token}"
        for i, text in enumerate(messages):
            if len(text) > DISCORD_MESSAGE_LIMIT:
                raise ValueError(f"message {i + 1} is {len(text)} characters, over Discord's limit")
            body = {"content": text, "allowed_mentions": NO_MENTIONS}
            if i == 0:
                self._send("PATCH", f"{webhook}/messages/@original", body, "the deferred reply")
            else:
                self._send("POST", webhook, body, f"follow-up {i} of {len(messages) - 1}")

    def _send(self, method: str, url: str, body: dict[str, Any], what: str) -> None:
        """One webhook call, waiting out a short 429. The URL holds the interaction's token: it is
        never logged nor put in an error, only the status."""
        import httpx

        for attempt in range(MAX_ATTEMPTS):
            try:
                response = httpx.request(method, url, json=body, timeout=self._timeout)
            except httpx.HTTPError as e:
                raise RuntimeError(f"discord interaction webhook ({what}): {type(e).__name__}") from None
            if response.status_code < 300:
                return
            wait = _retry_after(response) if response.status_code == 429 else None
            if wait is None or wait > MAX_RETRY_AFTER_SECONDS or attempt + 1 == MAX_ATTEMPTS:
                raise RuntimeError(
                    f"discord interaction webhook ({what}) answered HTTP {response.status_code}"
                )
            self._sleep(wait)


def _retry_after(response: Any) -> float | None:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
        return max(0.0, float(body["retry_after"]))
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


SLACK_TEXT_LIMIT = 39_000  # Slack truncates message text at 40,000 characters


class ResponseUrlPoster(Protocol):
    def post(self, url: str, text: str) -> None:
        """Post `text` for the whole channel through a slash command's response_url. Raises on failure."""
        ...


class SlackResponseUrl:
    def __init__(self, *, timeout: float = 10.0) -> None:
        self._timeout = timeout

    def post(self, url: str, text: str) -> None:
        import httpx

        body = {"response_type": "in_channel", "replace_original": False, "text": text[:SLACK_TEXT_LIMIT]}
        response = httpx.post(url, json=body, timeout=self._timeout, trust_env=False)
        if response.status_code >= 300:
            # The URL is a credential for this channel: never logged, only the status.
            raise RuntimeError(f"slack response_url answered HTTP {response.status_code}")
