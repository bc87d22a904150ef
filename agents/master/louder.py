"""One sentence for the louder consequence the cause was chosen over: "Rate limited followed 3 min
later, a consequence: ...". The report says why the loudest finding is not the cause."""

from __future__ import annotations

from agents.master.decision import sentence
from agents.master.ranking import CategoryScore, seen_at
from shared.causes import CAUSES, label


def followed(cause: CategoryScore, louder: CategoryScore | None) -> str:
    """` <Louder> followed N min later, a consequence: <its best finding>.` when `louder` is a
    category that commonly follows `cause` and began after it; else ""."""
    if louder is None or cause.category not in CAUSES[louder.category].follows:
        return ""
    began, then = seen_at(cause.best), seen_at(louder.best)
    if began is None or then is None or then <= began:
        return ""
    after = round((then - began).total_seconds() / 60)
    what = sentence(louder.best.title)
    return f" {label(louder.category)} followed {after} min later, a consequence: {what}"
