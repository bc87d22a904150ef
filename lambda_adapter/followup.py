"""Answering later through the platform's own callback: completing a Discord interaction that
was answered with a deferred response (type 5), and posting to a Slack slash command's
response_url.

Discord shows "thinking..." until the original response is edited through the interaction's
webhook (`PATCH /webhooks/{application_id}/{token}/messages/@original`); the token alone
authorises it, for 15 minutes. A Slack response_url takes up to five messages within 30 minutes
of the command, in the channel it was run in, whether or not the bot is a member there.
"""

from __future__ import annotations

import logging
from typing import Protocol

logger = logging.getLogger(__name__)


class InteractionResponder(Protocol):
    def complete(self, application_id: str, token: str, text: str) -> None:
        """Replace the deferred response's "thinking..." with `text`."""
        ...


class DiscordInteractionResponder:
    def __init__(self, api_base: str, *, timeout: float = 5.0) -> None:
        self._api_base = api_base.rstrip("/")
        self._timeout = timeout

    def complete(self, application_id: str, token: str, text: str) -> None:
        import httpx

        url = f"{self._api_base}/webhooks/{application_id}/{token}/messages/@original"
        response = httpx.patch(url, json={"content": text[:2000]}, timeout=self._timeout)
        if response.status_code >= 300:
            logger.warning(
                "status=<%s> | discord did not accept the interaction follow-up", response.status_code
            )


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
