"""A capacity ceiling someone lowered by hand, as the trigger of a capacity cause. Made while load
was low (an HPA's `maxReplicas` capped overnight, a stream's shards merged, a function's reserved
concurrency cut), it bites hours later when load next rises to it, so it is a candidate although it
was made before the alert's window; and it explains the cause better than the rise in load that
reached it: the load was there before, the ceiling was not. Only a change on the path counts (it
touches the target or a thing the cause's own evidence names). Pure and deterministic."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.chain import finding_text
from agents.master.decision import announced
from agents.master.ranking import MIN_CITED, UNDATED_PROXIMITY, TriggerCandidate, seen_at
from shared.causes import CAPACITY_CEILING, CEILING_LOOKBACK, fits
from shared.contracts import AlertContext, CauseCategory, Finding, Trigger

# A ceiling raised is not the cause of reaching it.
_RAISED = re.compile(r"\b(?:rais(?:ed|ing)|increas(?:ed|ing)|bump(?:ed|ing)|doubl(?:ed|ing))\b", re.I)


def lowers_a_ceiling(finding: Finding) -> bool:
    """A change announced in chat that sets a capacity ceiling, not one that raises it."""
    if finding.change not in (Trigger.CONFIG_CHANGE, Trigger.INFRASTRUCTURE) or not announced(finding):
        return False
    text = finding_text(finding)
    return CAPACITY_CEILING.search(text) is not None and _RAISED.search(text) is None


def ceilings_lowered(
    findings: Sequence[Finding], ctx: AlertContext, category: CauseCategory, relevant: frozenset[str]
) -> list[TriggerCandidate]:
    """Candidates for each lowered ceiling among `findings` that fits `category`, was made at most
    `CEILING_LOOKBACK` before the window and before the alert, and is on the path (its id is in
    `relevant`, or it is rated citable): scored as an undated change, dormant until now."""
    out = []
    for f in findings:
        at = seen_at(f)
        if (
            at is None
            or f.change is None
            or not fits(f.change, category)
            or not lowers_a_ceiling(f)
            or not (ctx.window_start - CEILING_LOOKBACK <= at <= ctx.anchor)
            or (f.id not in relevant and f.relevance < MIN_CITED)
        ):
            continue
        out.append(TriggerCandidate(f, at, round(f.relevance * UNDATED_PROXIMITY, 6)))
    return out


def before_the_load(
    candidates: Sequence[TriggerCandidate], ceilings: Sequence[TriggerCandidate]
) -> list[TriggerCandidate]:
    """`candidates` with the lowered ceilings among them, first when the best other candidate is only
    a rise in load (or there is none): the load reached a ceiling someone had lowered."""
    known = {c.finding.id for c in candidates}
    merged = [*candidates, *(c for c in ceilings if c.finding.id not in known)]
    if not ceilings:
        return merged
    best_ceiling = max(ceilings, key=lambda c: c.score)
    if not candidates or candidates[0].finding.change is Trigger.TRAFFIC:
        return [
            best_ceiling,
            *(c for c in merged if c is not best_ceiling and c.finding.id != best_ceiling.finding.id),
        ]
    return merged
