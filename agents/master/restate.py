"""A cause stated by the kind of change that set it off (`Restatement.kind`).

A code error (a null pointer, a panic) that begins with no release on the path, right after the
workload's configuration changed, is the configuration's fault: the new values reach a code path
that cannot take them. When the cause has no fitting change on the path but one of a kind it is
restated by is, and began no later than the cause's evidence, the cause becomes the paired category
with that change as its trigger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from agents.master.candidates import Candidates
from agents.master.chain import Path
from agents.master.ranking import TriggerCandidate, seen_at
from agents.master.triggers import triggers
from shared.causes import restated_by_kind
from shared.contracts import AlertContext, Finding

SKEW = timedelta(minutes=2)  # a change logged a little after the first error still set it off


def restate(
    ctx: AlertContext, findings: Sequence[Finding], candidates: Candidates, path: Path, cited: Sequence[str]
) -> tuple[Candidates, list[TriggerCandidate]] | None:
    """The candidates with the cause restated and the change that sets it off, or None."""
    top = candidates.first
    began = seen_at(top.best)
    for rule in restated_by_kind(top.category):
        category = rule.becomes
        chosen = triggers(ctx, findings, category, path, cited)
        if not chosen or chosen[0].finding.change is not rule.kind:
            continue
        at = chosen[0].at
        if at is not None and began is not None and at > began + SKEW:
            continue
        return Candidates(replace(top, category=category), candidates.runner_up), chosen
    return None
