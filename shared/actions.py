"""The report's buttons and what a click carries back: signed actions.

A button that writes (silence the alert) or spends (re-run the investigation) carries the action,
the investigation and, for a silence, the label matchers, with an HMAC-SHA256 over all of them
under a key the master and the intake share (`intake.actions.key_env`). The intake acts only on a
value whose MAC checks out, after the platform's own signature on the request: a click on a message
someone else crafted, or a value edited on the way, does nothing. Without a key no such button is
rendered (links and 👍/👎 still are).

Slack carries the whole action in the button's `value` (at most 2000 characters). Discord's
`custom_id` holds at most 100: it carries the action and the MAC, and the matchers and the
investigation are read back from the report's own embed (`matchers_field`, `footer`), which only
our bot can have written; the MAC covers them all the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SILENCE = "silence"
SILENCE_CONFIRMED = "silence_confirmed"
RERUN = "rerun"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SIGNED = (SILENCE, SILENCE_CONFIRMED, RERUN)
# The labels a silence matches, in order of preference after `alertname` (which it always needs):
# enough to name the alert and where it fires, never `severity` or a volatile value.
MATCHER_LABELS = (
    "alertname",
    "namespace",
    "service",
    "job",
    "deployment",
    "statefulset",
    "daemonset",
    "cronjob",
    "job_name",
    "pod",
    "container",
    "instance",
    "node",
    "cluster",
    "env",
    "environment",
)
MAX_MATCHERS = 8
MAX_LABEL_VALUE = 200
MAC_CHARS = 22  # 132 bits of the HMAC, base64url
MAX_VALUE = 2000  # Slack's button value limit
MAX_CUSTOM_ID = 100  # Discord's custom_id limit


@dataclass(frozen=True)
class Action:
    """What a button asks for: `name`, the investigation it belongs to, the silence's matchers."""

    name: str
    investigation_id: str
    matchers: tuple[tuple[str, str], ...] = ()


def silence_matchers(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The equality matchers a silence of this alert uses: `alertname` plus the labels that say
    where it fires (at most `MAX_MATCHERS`); empty when the alert has no `alertname` (it did not
    come from Alertmanager or Prometheus, so Alertmanager could not silence it)."""
    if not labels.get("alertname"):
        return ()
    chosen = [
        (name, labels[name])
        for name in MATCHER_LABELS
        if labels.get(name) and len(labels[name]) <= MAX_LABEL_VALUE
    ]
    return tuple(chosen[:MAX_MATCHERS])


def _canonical(action: Action) -> bytes:
    return json.dumps(
        [action.name, action.investigation_id, [list(m) for m in action.matchers]],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


class ActionSigner:
    """Signs and checks actions under one shared key."""

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if not raw:
            raise ValueError("an empty action key")
        self._key = raw

    def mac(self, action: Action) -> str:
        digest = hmac.new(self._key, _canonical(action), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:MAC_CHARS]

    def value(self, action: Action) -> str:
        """The Slack button value: the action and its MAC, as compact JSON."""
        body: dict[str, Any] = {"a": action.name, "i": action.investigation_id, "s": self.mac(action)}
        if action.matchers:
            body["m"] = [list(m) for m in action.matchers]
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    def custom_id(self, action: Action) -> str:
        """The Discord custom_id: `sre:<action>:<mac>` (the rest is read from the embed)."""
        return f"sre:{action.name}:{self.mac(action)}"

    def check(self, action: Action, mac: str) -> bool:
        return hmac.compare_digest(self.mac(action), mac or "")

    def from_value(self, value: str) -> Action | None:
        """The action a Slack button value carries, or None when it is malformed or its MAC is wrong."""
        try:
            body = json.loads(value)
            matchers = tuple((str(k), str(v)) for k, v in body.get("m", []))
            action = Action(str(body["a"]), str(body["i"]), matchers)
            mac = str(body["s"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return action if self.check(action, mac) else None


def parse_custom_id(custom_id: str) -> tuple[str, str] | None:
    """(action name, mac) of a Discord custom_id of ours, else None."""
    parts = custom_id.split(":")
    if len(parts) != 3 or parts[0] != "sre":
        return None
    return parts[1], parts[2]


def matchers_text(matchers: tuple[tuple[str, str], ...]) -> str:
    """The matchers as the report shows them (and Discord reads them back): `k="v"` joined by commas."""
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in matchers)


def parse_matchers_text(text: str) -> tuple[tuple[str, str], ...]:
    """The inverse of `matchers_text` (empty when the text is not of that shape)."""
    out: list[tuple[str, str]] = []
    decoder = json.JSONDecoder()
    rest = text.strip()
    while rest:
        name, eq, tail = rest.partition("=")
        if not eq or not name.strip().isidentifier():
            return ()
        try:
            value, end = decoder.raw_decode(tail)
        except ValueError:
            return ()
        if not isinstance(value, str):
            return ()
        out.append((name.strip(), value))
        rest = tail[end:].lstrip()
        if rest.startswith(","):
            rest = rest[1:].lstrip()
        elif rest:
            return ()
    return tuple(out)
