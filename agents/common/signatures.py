"""Cause hints for log messages, from `signatures.yaml` plus an optional user file.

Shared by the CloudWatch Logs scanner (error templates) and the EKS scanner (pod log tails).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agents.common.log_lines import ERROR_RE
from shared.contracts import CauseCategory, Trigger
from shared.errors import ConfigError

logger = logging.getLogger(__name__)

BUILTIN_FILE = Path(__file__).resolve().parent / "signatures.yaml"

# `DB_POOL_MAX=8`, `maxConnections: 40` are quoted in titles; only settings-like keys qualify.
_SETTING = re.compile(
    r"(?<![\w.\-])([A-Za-z][A-Za-z0-9_.\-]{1,60})=(\"[^\"]{0,80}\"|'[^']{0,80}'|[^\s,;)=]{1,80})"
    r"|(?<![\w.\-])([A-Z][A-Z0-9_]{2,60}):\s*(\"[^\"]{0,80}\"|'[^']{0,80}'|[^\s,;)=]{1,80})"
)
# Not an IPv4 address (`listening on 0.0.0.0:3000`): a fourth number group makes it an address.
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+\.\d+(?!\.\d)(?:[-+][0-9A-Za-z.\-]+)?\b")
_SETTING_STOPWORDS = {"http", "https", "ts", "time", "level", "caller", "msg", "at", "error", "err"}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {e}") from e
        return patterns


class _SignatureEntry(_Entry):
    category: CauseCategory
    label: str = ""
    after_deploy: bool = False


class _MarkerEntry(_Entry):
    change: Trigger


class _SignatureFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signatures: list[_SignatureEntry] = []
    markers: list[_MarkerEntry] = []


@dataclass(frozen=True)
class Signature:
    id: str
    category: CauseCategory
    label: str
    after_deploy: bool
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Marker:
    id: str
    change: Trigger
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Signatures:
    """The ordered signatures and markers; the first match wins."""

    signatures: tuple[Signature, ...]
    markers: tuple[Marker, ...]

    def match(self, message: str) -> Signature | None:
        return next((s for s in self.signatures if s.regex.search(message)), None)

    def is_error_line(self, message: str) -> bool:
        """Generic error words, or a signature's pattern: a line no error word names (`nil
        pointer dereference`, `NXDOMAIN`) still counts when a signature knows what it means."""
        return bool(ERROR_RE.search(message)) or self.match(message) is not None

    def marker(self, message: str) -> Marker | None:
        return next((m for m in self.markers if m.regex.search(message)), None)


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _read(path: Path) -> _SignatureFile:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the signatures file: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    try:
        return _SignatureFile.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"{path}: {problems}") from e


def _merge(user: list[Any], builtin: list[Any]) -> list[Any]:
    """User entries first; a user entry with a built-in id replaces it."""
    ids = {entry.id for entry in user}
    return [*user, *(entry for entry in builtin if entry.id not in ids)]


@lru_cache(maxsize=8)
def load_signatures(user_file: str | None = None) -> Signatures:
    """The built-in signatures, extended (and overridden by id) by `user_file` when given.
    Raises `ConfigError` naming the file and the entry when either is malformed."""
    builtin = _read(BUILTIN_FILE)
    user = _read(Path(user_file)) if user_file else _SignatureFile()
    return Signatures(
        signatures=tuple(
            Signature(e.id, e.category, e.label or e.id, e.after_deploy, _compile(e.patterns))
            for e in _merge(user.signatures, builtin.signatures)
        ),
        markers=tuple(
            Marker(e.id, e.change, _compile(e.patterns)) for e in _merge(user.markers, builtin.markers)
        ),
    )


def resolve_user_file(path: str | None) -> str | None:
    """A configured signatures file: as given, else relative to the config file's folder."""
    if not path or Path(path).is_absolute() or Path(path).exists():
        return path
    from shared.config import config_path

    beside_config = config_path().resolve().parent / path
    return str(beside_config) if beside_config.exists() else path


def excerpt(message: str, signature: Signature | None, limit: int = 150) -> str:
    """`message` cut to `limit` characters with its middle left out, so both what the signature
    matched (`... x509: certificate has expired`) and the line's end (where the failing key, flag,
    host or resource is usually named) survive in a title."""
    text = " ".join(message.split())
    if len(text) <= limit:
        return text
    tail = max(20, limit // 3)
    match = signature.regex.search(text) if signature else None
    room = limit - tail - 1  # what is left before "…" and the tail
    if match is None or match.end() <= room or match.start() >= len(text) - tail:
        return text[:room].rstrip() + "…" + text[-tail:].lstrip()
    # the match lies in the middle: a little of what leads to it, the match, then the end
    start = max(0, match.start() - room // 4)
    head = text[start : start + room - 1].rstrip()
    return ("…" if start else "") + head + "…" + text[-tail:].lstrip()


def settings_in(message: str, limit: int = 3) -> list[str]:
    """`KEY=VALUE` settings quoted in a message (`config reloaded: DB_POOL_MAX=8` -> DB_POOL_MAX=8)."""
    found: list[str] = []
    for match in _SETTING.finditer(message):
        key, value = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        if key.lower() in _SETTING_STOPWORDS or key.isdigit():
            continue
        found.append(f"{key}={value.strip(chr(34) + chr(39))}")
        if len(found) >= limit:
            break
    return found


# What an AWS SDK error says it was doing: `... (ThrottlingException) when calling the Decrypt
# operation ...`, `... is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" ...`.
_AWS_OPERATION = re.compile(
    r"\((?P<code>[A-Za-z.]+(?:Exception|Error|Denied|Exceeded|Throttled)?)\)"
    r" when calling the (?P<op>\w+) operation"
)
_AWS_ACTION = re.compile(
    r"not authorized to perform:?\s*(?P<action>[a-z0-9\-]+:[A-Za-z0-9*]+)"
    r"(?:\s+on resource:?\s*\\?\"?(?P<resource>arn:[^\s\"\\]+))?"
)
_AWS_SERVICE = re.compile(
    r"\b(?:you may call|calls? to|rate of)\s+"
    r"(?P<svc>KMS|DynamoDB|S3|STS|SQS|SNS|SSM|Lambda|EC2|Secrets Manager|CloudWatch)\b"
)
_ARN_SERVICE = re.compile(r"\barn:aws[\w-]*:(?P<svc>kms|secretsmanager|s3|dynamodb|sqs|sns|ssm|rds|lambda):")


def specifics_in(message: str) -> str | None:
    """The operation, action and resource an AWS SDK error names (`KMS Decrypt`,
    `s3:GetObject on arn:aws:s3:::media/…`), for titles that must say what failed, not only how."""
    parts: list[str] = []
    action = _AWS_ACTION.search(message)
    if action:
        resource = action.group("resource")
        if resource and len(resource) > 70:
            resource = resource[:69] + "…"
        parts.append(action.group("action") + (f" on {resource}" if resource else ""))
    operation = _AWS_OPERATION.search(message)
    if operation:
        service = _AWS_SERVICE.search(message) or _ARN_SERVICE.search(message)
        name = service.group("svc") if service else None
        name = {"kms": "KMS", "secretsmanager": "Secrets Manager", "s3": "S3", "dynamodb": "DynamoDB"}.get(
            name or "", name
        )
        parts.append(f"{operation.group('code')} on {name + ' ' if name else ''}{operation.group('op')}")
    return "; ".join(parts) or None


def version_in(message: str) -> str | None:
    """The first version tag in a message (`started checkout v2.3.0` -> v2.3.0)."""
    match = _VERSION.search(message)
    return match.group(0) if match else None
