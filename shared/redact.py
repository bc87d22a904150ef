"""Mask secrets in text before it reaches a report, a log line or an archive.

Alert, log and chat text is untrusted and sometimes carries credentials (a connection string in
a stack trace, a token pasted into a channel). Every renderer passes each untrusted string through
`redact`. It is pattern based, errs on the side of masking, and is idempotent.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

# Order matters: whole blocks and URLs first, so the narrower patterns below do not cut them apart.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
    r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|[\s\S]*)"
)
_URL_USERINFO = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^/\s:@<>|]+):([^/\s@<>|]+)@")
_WEBHOOK_URL = re.compile(
    r"https://(?:hooks\.slack\.com/(?:services|workflows|triggers)|(?:canary\.|ptb\.)?discord(?:app)?\.com/api/"
    r"(?:v\d+/)?webhooks)/[A-Za-z0-9_/\-]+"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=\-]{8,})")
_AUTHORIZATION = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:basic|bot|token|bearer)?\s*)([^\s\"',;]+)"
)
_SLACK_TOKEN = re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9\-]{8,}")
# A Discord bot token is base64(user id) . base64(timestamp) . HMAC; the first part decodes to
# digits, so it starts with M, N or O.
_DISCORD_TOKEN = re.compile(r"\b[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}\b")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b")
_AWS_ACCESS_KEY = re.compile(r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16})\b")
_AWS_SECRET = re.compile(
    r"(?i)((?:aws_?)?secret_?(?:access_?)?key(?:_id)?[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
)
# `password=...`, `DB_PASSWORD: ...`, `"api_key": "..."`, `?token=...` : keep the name, mask the value.
_KEY_VALUE = re.compile(
    r"(?i)\b([A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api_?key|apikey|private_?key)"
    r"[A-Za-z0-9_.\-]*[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;<>|)\]}]+)"
)


def redact(text: str) -> str:
    """`text` with credentials replaced by `[REDACTED]` (names and structure kept)."""
    if not text:
        return text
    out = _PRIVATE_KEY.sub("[REDACTED PRIVATE KEY]", text)
    out = _WEBHOOK_URL.sub(MASK, out)
    out = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", out)
    out = _JWT.sub(MASK, out)
    out = _AUTHORIZATION.sub(_mask_value, out)
    out = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    out = _SLACK_TOKEN.sub(MASK, out)
    out = _DISCORD_TOKEN.sub(MASK, out)
    out = _GITHUB_TOKEN.sub(MASK, out)
    out = _AWS_ACCESS_KEY.sub(lambda m: m.group(1)[:4] + MASK, out)
    out = _AWS_SECRET.sub(lambda m: m.group(1) + MASK, out)
    return _KEY_VALUE.sub(_mask_value, out)


# Keys that merely name or count secrets (`secretName`, `max_tokens`, `token_ttl`) keep their value.
_NOT_A_SECRET_KEY = re.compile(
    r"(name|ref|id|ids|path|file|arn|kind|type|count|length|len|total|size|ttl|tokens|expiry|expires|_at|version)$"
)


def _mask_value(match: re.Match[str]) -> str:
    value = match.group(2)
    key = match.group(1).lower().rstrip("\"': =").strip()
    if value.startswith("[REDACTED") or _NOT_A_SECRET_KEY.search(key):
        return match.group(0)
    return match.group(1) + MASK
