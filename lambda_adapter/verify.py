"""Who sent this? Pure checks over the raw body bytes with an injected clock.

Each returns a bool and never logs the body, the signature or the secret. Slack follows
slack_sdk's `SignatureVerifier` (basestring `v0:{timestamp}:{body}`, HMAC-SHA256, `v0=` prefix,
300 s window either side); Discord is Ed25519 over `timestamp + body` (PyNaCl, imported on first
use so Slack-only deployments never load it) with the same freshness window.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import TypeGuard

WINDOW_SECONDS = 300
ED25519_SIGNATURE_BYTES = 64
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _is_hex(value: str | None, size: int) -> TypeGuard[str]:
    """True when `value` is exactly `size` bytes written as hex digits (either case, nothing else:
    `bytes.fromhex` alone would also accept spaces between bytes)."""
    return value is not None and len(value) == 2 * size and set(value) <= _HEX_DIGITS


def _fresh(timestamp: str | None, now: float, window: float) -> str | None:
    """The timestamp (whole seconds) when it is within `window` of `now`, else None."""
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return None
    return timestamp if abs(now - int(timestamp)) <= window else None


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack sends for this body and timestamp."""
    basestring = b"v0:" + timestamp.encode("utf-8") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def verify_slack(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float,
    window: float = WINDOW_SECONDS,
) -> bool:
    """True when `signature` is Slack's for `body` at `timestamp`, and the timestamp is fresh."""
    stamp = _fresh(timestamp, now, window)
    if not secret or not signature or stamp is None:
        return False
    expected = slack_signature(secret, stamp, body)
    return hmac.compare_digest(expected.encode("utf-8"), signature.encode("utf-8", "replace"))


def verify_discord(
    public_key_hex: str,
    body: bytes,
    timestamp: str | None,
    signature_hex: str | None,
    *,
    now: float,
    window: float = WINDOW_SECONDS,
) -> bool:
    """True when `signature_hex` (X-Signature-Ed25519) signs `timestamp + body` under the app's
    public key, and the timestamp (X-Signature-Timestamp) is fresh."""
    stamp = _fresh(timestamp, now, window)
    if not public_key_hex or not _is_hex(signature_hex, ED25519_SIGNATURE_BYTES) or stamp is None:
        return False
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        key = VerifyKey(bytes.fromhex(public_key_hex))
        key.verify(stamp.encode("utf-8") + body, bytes.fromhex(signature_hex))
    except (BadSignatureError, ValueError, TypeError):
        # ValueError: non-hex input or a key/signature of the wrong length.
        return False
    return True


def verify_bearer_or_basic(authorization: str | None, secret: str) -> bool:
    """Alertmanager's `http_config`: `Bearer <secret>`, or Basic auth whose password is the secret
    (or whose `user:password` is the secret, when it contains a colon)."""
    if not secret or not authorization:
        return False
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    expected = secret.encode("utf-8")
    if scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.encode("utf-8", "replace"), expected)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return False
        if ":" in secret:
            return hmac.compare_digest(decoded, expected)
        _user, _, password = decoded.partition(b":")
        return hmac.compare_digest(password, expected)
    return False
