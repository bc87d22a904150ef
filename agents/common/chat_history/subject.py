"""What an alert is about, as words a person would write in chat, and how closely a message matches.

Relevance is by whole-name match: `checkout` matches "Deploying checkout v2.3.0" but not
"checkout-worker" or "checkouts", so a deploy of a neighbouring service does not pass for the
alert's own. The namespace alone is weaker evidence than the workload's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.common.scope import name_in_alert_name, plausible_name
from shared.contracts import AlertContext
from shared.relevance import Relevance

# Relevance of a message by what it names.
NAMES_SUBJECT = Relevance.DIRECT
NAMES_NAMESPACE = 0.55
NAMES_NOTHING = 0.25  # a change that names no service at all ("config pushed"): context, never a trigger
NAMES_OTHER = 0.15  # a change that names some other service
UNKNOWN_SUBJECT = Relevance.SUPPORTING  # the alert itself names nothing (a heartbeat, a vague page)


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w\-.]){re.escape(name)}(?![\w\-]|\.\w)", re.IGNORECASE)


# Words too common in resource names to tie two of them together.
_COMMON_WORDS = frozenset(
    {"prod", "production", "staging", "default", "service", "server", "worker", "main", "live", "aws"}
)


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if len(w) >= 4 and w not in _COMMON_WORDS}


@dataclass(frozen=True)
class ChatSubject:
    names: tuple[str, ...] = ()  # workload, service, pod: what the alert is about
    namespace: str | None = None
    alert_name: str | None = None

    @classmethod
    def from_context(cls, ctx: AlertContext) -> ChatSubject:
        hints = ctx.hints
        names = [
            plausible_name(hints.workload),
            plausible_name(hints.service),
            hints.pod,
            ctx.labels.get("persistentvolumeclaim"),
        ]
        alert_name = hints.alert_name or ctx.labels.get("alertname")
        if not any(names):
            names.append(name_in_alert_name(alert_name))
        namespace = hints.namespace
        return cls(
            names=tuple(dict.fromkeys(n for n in names if n and n != namespace)),
            namespace=namespace,
            alert_name=alert_name,
        )

    @property
    def known(self) -> bool:
        return bool(self.names or self.namespace)

    def names_subject(self, text: str) -> bool:
        return any(_word(n).search(text) for n in self.names)

    def names_namespace(self, text: str) -> bool:
        return bool(self.namespace) and _word(self.namespace or "").search(text) is not None

    def names_alert(self, text: str) -> bool:
        return bool(self.alert_name) and _word(self.alert_name or "").search(text) is not None

    def shares_word(self, thing: str) -> bool:
        """Whether a thing a change names (`prod/orders/db`, `s3/acme-media-prod`) carries a distinctive
        word of the alert's workload or namespace (`orders-api`, `media-api`): the same product's resource."""
        own = {w for n in (*self.names, self.namespace or "") for w in _words(n)}
        return bool(own & _words(thing))

    def relevance(self, text: str, service: str | None = None) -> float:
        """How much a message about `service` (when a change names one) concerns the alert."""
        if not self.known:
            return UNKNOWN_SUBJECT
        if service and any(service.lower() == n.lower() for n in self.names):
            return NAMES_SUBJECT
        if self.names_subject(text):
            return NAMES_SUBJECT - 0.05
        if service and self.namespace and service.lower() == self.namespace.lower():
            return NAMES_NAMESPACE
        if service:
            return NAMES_OTHER
        if self.names_namespace(text):
            return NAMES_NAMESPACE
        return NAMES_NOTHING
