"""A change can set off only what began after it.

People talk during an incident: they propose a fix ("someone bump the table"), roll back, scale up.
Those changes come after the failure began; they cannot be its trigger, however close to the alert
they are. Changes seen later than `SKEW` after the first of the cause's own evidence began are left
out of the trigger candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from agents.master.ranking import seen_at
from shared.contracts import Finding, Trigger

SKEW = timedelta(minutes=3)  # clocks and log delays: a change logged a little late still counts


def before_cause(findings: Sequence[Finding], cited: Sequence[str]) -> list[Finding]:
    """`findings` without the changes that began well after the cause's first evidence."""
    ids = set(cited)
    began = [
        at
        for f in findings
        if f.id in ids and f.change in (None, Trigger.NONE) and (at := seen_at(f)) is not None
    ]
    if not began:
        return list(findings)
    first = min(began)
    return [
        f
        for f in findings
        if f.change in (None, Trigger.NONE) or (at := seen_at(f)) is None or at <= first + SKEW
    ]
