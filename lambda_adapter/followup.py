"""Completing a Discord interaction that was answered with a deferred response (type 5).

Discord shows "thinking..." until the original response is edited through the interaction's
webhook (`PATCH /webhooks/{application_id}/{token}/messages/@original`); the token alone
authorises it, for 15 minutes.
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
