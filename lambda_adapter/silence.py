"""Creating a silence in Alertmanager (API v2, `POST /api/v2/silences`): the one write action the
system takes besides posting to chat, and only on a signed, confirmed click by an allowed user.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.errors import SourceError
from shared.timeutil import rfc3339

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 2.0  # in the click's acknowledgement path: Slack and Discord wait 3 s


def silence_body(
    matchers: Sequence[tuple[str, str]], *, minutes: int, created_by: str, comment: str, now: datetime
) -> dict[str, Any]:
    """The v2 `PostableSilence`: equality matchers, from now for `minutes`."""
    return {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers],
        "startsAt": rfc3339(now),
        "endsAt": rfc3339(now + timedelta(minutes=minutes)),
        "createdBy": created_by[:200],
        "comment": comment[:500],
    }


def create_silence(
    base_url: str,
    matchers: Sequence[tuple[str, str]],
    *,
    minutes: int,
    created_by: str,
    comment: str,
    token: str = "",
    now: datetime | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Create the silence; return its id. Raises `SourceError` saying what failed."""
    import httpx  # only a click on Silence pays for it, never the intake's cold start

    if not base_url:
        raise SourceError("no Alertmanager URL is configured (intake.actions.alertmanager_url_env)")
    if not matchers:
        raise SourceError("a silence needs at least one matcher")
    body = silence_body(
        matchers, minutes=minutes, created_by=created_by, comment=comment, now=now or datetime.now(UTC)
    )
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport, trust_env=False) as client:
            response = client.post(f"{base_url.rstrip('/')}/api/v2/silences", json=body, headers=headers)
    except httpx.HTTPError as e:
        raise SourceError(f"alertmanager: {type(e).__name__}") from e
    if response.status_code != 200:
        raise SourceError(f"alertmanager: HTTP {response.status_code} {response.text[:200]}")
    silence_id = response.json().get("silenceID") if response.content else None
    if not isinstance(silence_id, str) or not silence_id:
        raise SourceError("alertmanager: no silenceID in the answer")
    return silence_id
