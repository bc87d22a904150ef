"""A change to the very thing the cause's evidence names, ahead of a change that only touches the
target. When the evidence of the cause names a specific object (a KMS key by its id, a stream, a
secret, a queue, a bucket) and someone announced a change to that object, that change is on the
path through it; a deploy of the target nearby is only near. Pure and deterministic."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.chain import touches
from agents.master.decision import announced
from agents.master.names import mentions, same_as_any
from agents.master.ranking import TriggerCandidate

MIN_THING = 6  # shorter names are too common to tie a change to the evidence
# Names that say where, not what: never a thing the evidence is about.
_WHERE = re.compile(r"(?:Namespace/|Node/)|^(?:[a-z]{2}-[a-z]+-\d|prod|production|staging|default)$")


def _things(candidate: TriggerCandidate, target: Sequence[str]) -> list[str]:
    wanted = {t.lower() for t in target}
    return [
        r
        for r in candidate.finding.resources
        if len(r) >= MIN_THING
        and "/" not in r
        and not _WHERE.search(r)
        and r.lower() not in wanted
        and not same_as_any(r, wanted)
    ]


def names_the_evidence(candidate: TriggerCandidate, evidence: str, target: Sequence[str]) -> bool:
    """Whether the change names, by a thing other than the target, something the evidence names."""
    return any(mentions(evidence, t) for t in _things(candidate, target))


def changed_what_the_evidence_names(
    candidates: Sequence[TriggerCandidate], evidence: str, target: Sequence[str]
) -> TriggerCandidate | None:
    """The announced change to a thing the cause's evidence names, when the best candidate names
    nothing the evidence names but the target; None otherwise (the best stands)."""
    if not candidates or not evidence:
        return None
    best = candidates[0]
    if names_the_evidence(best, evidence, target):
        return None
    named = [
        c
        for c in candidates[1:]
        if announced(c.finding) and names_the_evidence(c, evidence, target) and not touches(c.finding, target)
    ]
    return named[0] if named else None
