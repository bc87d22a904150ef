"""Mask secrets in text before it reaches a model, a report, a log line or an archive.

Alert, log and chat text is untrusted and sometimes carries credentials (a connection string in
a stack trace, a token pasted into a channel). Every renderer passes each untrusted string through
`redact`, the LLM tier redacts evidence and tool results before a model sees them, and the log
scrubber (`shared.logsetup`) applies the same function to every log line: there is one list of
patterns, here. It is pattern based, errs on the side of masking credentials while leaving
ordinary operational text (ids, hashes, pod names, URLs) alone, and is idempotent.

On top of ours, the regex-based rules of a maintained rule set (detect-secrets' detectors, read as
data by `shared.redact_rules`) mask what they know and we do not, in the same pass.
"""

from __future__ import annotations

import re

from shared.redact_rules import mask_library_matches

MASK = "[REDACTED]"

# Order matters: whole blocks and URLs first, so the narrower patterns below do not cut them apart.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
    r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|[\s\S]*)"
)
_URL_USERINFO = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^/\s:@<>|]*):([^/\s@<>|]+)@")
_WEBHOOK_URL = re.compile(
    r"https://(?:hooks\.slack\.com/(?:services|workflows|triggers)|(?:canary\.|ptb\.)?discord(?:app)?\.com/api/"
    r"(?:v\d+/)?webhooks)/[A-Za-z0-9_/\-]+"
)
# The token in a Discord webhook or interaction path on any host (a configured API base, a proxy,
# the sandbox): `/webhooks/{id}/{token}`, `/interactions/{id}/{token}/callback`. The id is kept.
_WEBHOOK_TOKEN_PATH = re.compile(r"(/(?:webhooks|interactions)/\d{5,}/)[A-Za-z0-9_.\-]{20,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=\-]{8,})")
# `\\?` before a quote: the same text inside a JSON string (a tool result, a JSON log line).
_AUTHORIZATION = re.compile(
    r"(?i)\b((?:proxy-)?authorization(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?(?:basic|bot|token|bearer)?\s*)"
    r"([^\s\"',;\\]+)"
)
_SLACK_TOKEN = re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9\-]{8,}")
# A Discord bot token is base64(user id) . base64(timestamp) . HMAC; the first part decodes to
# digits, so it starts with M, N or O.
_DISCORD_TOKEN = re.compile(r"\b[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}\b")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b")
_GITLAB_TOKEN = re.compile(
    r"\bgl(?:pat|dt|ptt|rt|cbt|soat|ffct|oas|imt|agent)-[A-Za-z0-9_\-]{20,}(?:\.[A-Za-z0-9_\-]+)*"
)
# OpenAI (`sk-` + 48, `sk-proj-`, `sk-svcacct-`, `sk-admin-`) and Anthropic (`sk-ant-`) keys. A bare
# `sk-` needs 32+ letters and digits without a dash, so `sk-worker-7d9f8c6b5-x2k4p` stays.
_SK_KEY = re.compile(
    r"\bsk-(?:(?:proj|svcacct|admin|ant)-[A-Za-z0-9_\-]{20,}|[A-Za-z0-9]{32,})(?![A-Za-z0-9_\-])"
)
# Vendor tokens known by their prefix (the shapes gitleaks' and detect-secrets' rules know): Stripe
# secret and restricted keys and webhook secrets, Google API keys and OAuth secrets and access
# tokens, SendGrid, npm, PyPI, Hugging Face, Shopify, DigitalOcean, HashiCorp Vault, Grafana,
# Databricks, New Relic, Sentry, Postman, Linear, Square, Docker Hub, age, Twilio, Mailgun,
# Atlassian, Figma, Terraform Cloud, 1Password, HubSpot, PlanetScale, Airtable, Doppler, Supabase,
# Telegram bots, Mapbox secret tokens.
_VENDOR_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:"
    r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|whsec_[A-Za-z0-9+/=]{20,}"
    r"|AIza[0-9A-Za-z_\-]{35}"
    r"|GOCSPX-[A-Za-z0-9_\-]{20,}"
    r"|ya29\.[0-9A-Za-z_\-]{20,}"
    r"|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"
    r"|npm_[A-Za-z0-9]{36}"
    r"|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{20,}"
    r"|hf_[A-Za-z0-9]{30,}"
    r"|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"
    r"|do[por]_v1_[a-f0-9]{64}"
    r"|hv[sb]\.[A-Za-z0-9_\-]{20,}"
    r"|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}"
    r"|dapi[a-f0-9]{32}(?:-\d)?"
    r"|NRAK-[A-Z0-9]{27}"
    r"|sntry[su]_[A-Za-z0-9+/=_\-]{20,}"
    r"|PMAK-[a-f0-9]{24}-[a-f0-9]{34}"
    r"|lin_api_[A-Za-z0-9]{40}"
    r"|sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,}"
    r"|dckr_pat_[A-Za-z0-9_\-]{20,}"
    r"|AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"
    r"|SK[0-9a-fA-F]{32}"
    r"|key-[0-9a-zA-Z]{32}"
    r"|ATATT3[A-Za-z0-9_\-=]{20,}"
    r"|figd_[A-Za-z0-9_\-]{20,}"
    r"|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{40,}"
    r"|ops_eyJ[A-Za-z0-9+/=]{20,}"
    r"|pat-(?:na|eu)1-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"
    r"|pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_\-.]{32,}"
    r"|pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"
    r"|dp\.(?:st|ct|sa|scim|audit|pt)\.[A-Za-z0-9_\-.]{40,}"
    r"|sbp_[a-f0-9]{40}"
    r"|\d{8,10}:AA[0-9A-Za-z_\-]{33}"
    r"|sk\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"
    r")"
)
# An Azure SAS signature in a URL's query.
_SAS_SIGNATURE = re.compile(r"([?&]sig=)([^&\s\"']+)")
_AWS_ACCESS_KEY = re.compile(r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16})\b")
_AWS_SECRET = re.compile(
    r"(?i)((?:aws_?)?secret_?(?:access_?)?key(?:_id)?(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)([A-Za-z0-9/+=]{40})"
    r"(?![A-Za-z0-9/+=])"
)
# A secret access key with no name before it: 40 base64 characters, only when an access key id
# (AKIA/ASIA, masked or not) is a few words away or a word like `secret` or `key` just before it.
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)(?:[A-Z0-9]{16}\b|\[REDACTED\])")
_BASE64_40 = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_WORD = re.compile(r"[^\s,;:\"'(){}<>|]+")
_NEAR_WORDS = 4  # at most this many words between an access key id and its secret
_SECRET_WORD_BEFORE = re.compile(r"(?i)\b(?:secret|key|credentials?)\b(?:\W+[\w\-]+){0,2}?[^\w/+=]+$")

# Names whose value is a credential: `password=...`, `DB_PASSWORD: ...`, `"api_key": "..."`,
# `?token=...`, `x-api-key: ...`. `pass` and `pwd` count only as a whole segment of the name
# (`DB_PASS`, `pwd`), not inside a word (`bypass`, `passed`).
_SECRET_NAME = (
    r"(?:password|passwd|passphrase|secret|token|api[_\-]?key|apikey|private[_\-]?key|access[_\-]?key"
    r"|account[_\-]?key|credentials?)"
)
_SHORT_NAME = r"(?:pass|pwd)"
_KEY = (
    rf"[A-Za-z0-9_.\-]*{_SECRET_NAME}[A-Za-z0-9_.\-]*"
    rf"|(?:[A-Za-z0-9_.\-]*[_.\-])?{_SHORT_NAME}(?:[_.\-][A-Za-z0-9_.\-]*)?(?![A-Za-z0-9])"
)
# A quoted value is masked whole (`password: "correct horse battery"`, also JSON-escaped inside a
# JSON string); an unquoted one up to the first space or delimiter.
# JSON inside JSON (a request body logged as a string, at DEBUG) escapes the quotes again: any
# run of backslashes before a quote opens or closes a value.
_QUOTED = r"\\+\"[^\"\n]*?\\+\"|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
_VALUE = rf"({_QUOTED}|(?:\\*[\"'])?[^\s\"'\\&,;<>|)\]}}]+)"
_KEY_VALUE = re.compile(rf"(?i)\b({_KEY})((?:\\*[\"'])?\s*[:=]\s*){_VALUE}")
# Command-line flags with the value after a space: `--password hunter2`, `--api-key "a b"`.
_FLAG_VALUE = re.compile(
    rf"(?i)(?<![A-Za-z0-9_\-])(--(?:[A-Za-z0-9\-]*{_SECRET_NAME}[A-Za-z0-9\-]*"
    rf"|(?:[A-Za-z0-9]+-)*{_SHORT_NAME}(?:-[A-Za-z0-9]+)*)(?![A-Za-z0-9\-=]))"
    rf"(\s+)({_QUOTED}|[^\s\-\"'\\][^\s]*)"
)


def redact(text: str) -> str:
    """`text` with credentials replaced by `[REDACTED]` (names and structure kept)."""
    if not text:
        return text
    out = _PRIVATE_KEY.sub("[REDACTED PRIVATE KEY]", text)
    out = _WEBHOOK_URL.sub(MASK, out)
    out = _WEBHOOK_TOKEN_PATH.sub(lambda m: m.group(1) + MASK, out)
    out = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", out)
    out = _JWT.sub(MASK, out)
    out = _AUTHORIZATION.sub(_mask_value, out)
    out = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    out = _SLACK_TOKEN.sub(MASK, out)
    out = _DISCORD_TOKEN.sub(MASK, out)
    out = _GITHUB_TOKEN.sub(MASK, out)
    out = _GITLAB_TOKEN.sub(MASK, out)
    out = _SK_KEY.sub(MASK, out)
    out = _VENDOR_TOKEN.sub(MASK, out)
    out = _SAS_SIGNATURE.sub(lambda m: m.group(1) + MASK, out)
    out = _unnamed_aws_secrets(out)
    out = _AWS_ACCESS_KEY.sub(lambda m: m.group(1)[:4] + MASK, out)
    out = _AWS_SECRET.sub(lambda m: m.group(1) + MASK, out)
    out = _FLAG_VALUE.sub(_mask_named, out)
    out = _KEY_VALUE.sub(_mask_named, out)
    return mask_library_matches(out, MASK)


def _looks_random(token: str) -> bool:
    """Mixed case with a digit or `/`/`+`: a secret key, not a lowercase hex digest or a word."""
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() or c in "/+" for c in token)
    )


def _unnamed_aws_secrets(text: str) -> str:
    candidates = [m for m in _BASE64_40.finditer(text) if _looks_random(m.group(0))]
    if not candidates:
        return text
    key_ids = [m.span() for m in _AWS_KEY_ID.finditer(text)]
    out, last = [], 0
    for m in candidates:
        start, end = m.span()
        near_key = any(
            len(_WORD.findall(text[k_end:start] if k_end <= start else text[end:k_start])) <= _NEAR_WORDS
            for k_start, k_end in key_ids
        )
        if near_key or _SECRET_WORD_BEFORE.search(text[max(0, start - 80) : start]):
            out += [text[last:start], MASK]
            last = end
    return "".join(out) + text[last:]


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


def _mask_named(match: re.Match[str]) -> str:
    """`name<sep>value` with the value masked; a quoted value keeps its quotes."""
    key, sep, value = match.group(1), match.group(2), match.group(3)
    opening = re.match(r"\\*[\"']", value)
    quote = opening.group(0) if opening else ""
    closed = bool(quote) and len(value) >= 2 * len(quote) and value.endswith(quote)
    inner = value[len(quote) : -len(quote)] if closed else value[len(quote) :]
    name = key.lower().lstrip("-")
    if not inner or inner.startswith("[REDACTED") or _NOT_A_SECRET_KEY.search(name):
        return match.group(0)
    if re.search(r"(^|[_.\-])pwd$", name) and inner.startswith(("/", "~")):
        return match.group(0)  # the shell's working directory, not a password
    return f"{key}{sep}{quote}{MASK}{quote if closed else ''}"
