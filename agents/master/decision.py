"""What the reasoning hands back (`Decision`), and the few words every step of it writes with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.master.chain import Dependency, Path, finding_text
from agents.master.ranking import minutes_before, seen_at
from shared.contracts import AlertContext, Cause, EvidenceKind, Finding


@dataclass(frozen=True)
class Decision:
    cause: Cause
    change: Finding | None = None  # the finding that reports the trigger
    # A dependency the cause runs through whose own cause was not found: worth a narrower round.
    follow: Dependency | None = None
    # What the alert is about and what it depends on, when a cause was reasoned along it.
    path: Path | None = None


def announced(finding: Finding) -> bool:
    """A change a person announced in chat (rather than one a source observed)."""
    return any(e.kind is EvidenceKind.CHAT_MESSAGE for e in finding.evidence)


def ago(ctx: AlertContext, finding: Finding) -> str:
    at = seen_at(finding)
    if at is None:
        return "before the alert"
    minutes = round(minutes_before(ctx, at))
    if minutes <= 0:
        return "at the time of the alert"
    if minutes < 120:
        return f"{minutes} min before the alert"
    return f"{minutes // 60} h {minutes % 60} min before the alert"


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def cited_text(findings: Sequence[Finding], cited: Sequence[str]) -> str:
    """The words of the cited findings: titles, details and evidence excerpts."""
    ids = set(cited)
    return " ".join(finding_text(f) for f in findings if f.id in ids)
