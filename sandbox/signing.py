"""Sending like the platforms do, for tests, the benchmark, `scripts/send_test_alert.py` and the
demo: Slack and Discord signatures, a test Ed25519 key, synthetic Slack, Discord and Alertmanager
payloads. Nothing here is used by the intake at run time (in-process fakes: `fakes.py`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lambda_adapter.verify import slack_signature


def slack_headers(secret: str, body: bytes, timestamp: int | str, **extra: str) -> dict[str, str]:
    """The headers Slack sends with `body` (plus e.g. `x_slack_retry_num="1"` as `extra`)."""
    stamp = str(timestamp)
    headers = {
        "content-type": "application/json",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": slack_signature(secret, stamp, body),
    }
    headers.update({name.replace("_", "-"): value for name, value in extra.items()})
    return headers


def discord_keypair(seed: bytes = b"sre-on-call test key, 32 bytes!!") -> tuple[str, str]:
    """(signing key seed hex, public key hex) for a deterministic Ed25519 key."""
    from nacl.signing import SigningKey

    key = SigningKey(seed)
    return key.encode().hex(), key.verify_key.encode().hex()


def discord_headers(signing_key_hex: str, body: bytes, timestamp: int | str) -> dict[str, str]:
    """The headers Discord sends with an interaction `body`."""
    from nacl.signing import SigningKey

    stamp = str(timestamp)
    signature = SigningKey(bytes.fromhex(signing_key_hex)).sign(stamp.encode() + body).signature
    return {
        "content-type": "application/json",
        "x-signature-timestamp": stamp,
        "x-signature-ed25519": signature.hex(),
    }


TEST_SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEST_ALERTMANAGER_TOKEN = "test-alertmanager-token"


# ---------------------------------------------------------------------- synthetic alert payloads


def slack_alert_event(
    channel: str, text: str, *, ts: float | None = None, mention: str | None = None
) -> bytes:
    """An Events API callback: a bot posting `text` in `channel` (or, with `mention` = the app's bot
    user id, a person mentioning the app with it)."""
    stamp = f"{ts if ts is not None else time.time():.6f}"
    event: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0SYNTHETIC",
        "username": "sre-on-call test",
        "text": text,
    }
    if mention:
        event = {"type": "app_mention", "user": "U0SYNTHETIC", "text": f"<@{mention}> {text}"}
    event.update(channel=channel, ts=stamp, event_ts=stamp)
    payload = {
        "type": "event_callback",
        "team_id": "T0SYNTHETIC",
        "api_app_id": "A0SYNTHETIC",
        "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(float(stamp)),
        "event": event,
        "authorizations": [{"user_id": mention or "U0SYNTHETICBOT", "is_bot": True}],
    }
    return json.dumps(payload).encode()


def discord_investigate_interaction(
    channel: str, text: str, *, application_id: str = "1000000000000000001"
) -> bytes:
    """A `/investigate alert:<text>` interaction in `channel`."""
    payload = {
        "id": str(10**18 + uuid.uuid4().int % 10**17),
        "application_id": application_id,
        "type": 2,
        "token": f"synthetic-{uuid.uuid4().hex}",
        "channel_id": channel,
        "version": 1,
        "data": {
            "id": "1000000000000000002",
            "name": "investigate",
            "type": 1,
            "options": [{"name": "alert", "type": 3, "value": text}],
        },
    }
    return json.dumps(payload).encode()


def alertmanager_webhook(
    labels: Mapping[str, str],
    *,
    summary: str = "",
    status: str = "firing",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> bytes:
    """A version-4 webhook for one alert group holding one alert with `labels`."""
    starts = (starts_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ends = ends_at.strftime("%Y-%m-%dT%H:%M:%S.000Z") if ends_at else "0001-01-01T00:00:00Z"
    name = labels.get("alertname", "SyntheticAlert")
    annotations = {"summary": summary} if summary else {}
    alert = {
        "status": status,
        "labels": dict(labels),
        "annotations": annotations,
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "",
        "fingerprint": uuid.uuid5(uuid.NAMESPACE_OID, name).hex[:16],
    }
    payload = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "sre-on-call",
        "groupLabels": {"alertname": name},
        "commonLabels": dict(labels),
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager.invalid",
        "alerts": [alert],
    }
    return json.dumps(payload).encode()
