"""Findings from the target's callers: they show the target failing, never why.

A client of the alert's target logs "upstream orders-api responded 503": that line is about another
workload, names the target as what it failed to reach, and its hint (a dependency is failing) is
the alert itself seen from outside. Left as it is, it outweighs the target's own quieter evidence
(its certificate, its configuration) and the report says "a dependency is failing" about the thing
that is itself the failing dependency. Such findings keep their place in the report, without a
cause hint: they support no cause of the alert.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.master.chain import finding_text, target_names, workloads
from agents.master.names import word
from shared.causes import CAUSES
from shared.contracts import AlertContext, Finding


def from_caller(finding: Finding, target: Sequence[str]) -> bool:
    """Whether `finding` is another workload's report of failing to reach one of `target`."""
    hint = finding.cause_hint
    if hint is None or not CAUSES[hint].through_dependency or CAUSES[hint].specificity >= 1.0:
        return False
    own = {w.lower() for w in workloads(finding)}
    if not own or own & {t.lower() for t in target}:
        return False
    # A caller names what it failed to reach by its service's own name or host (`upstream
    # orders-api`), not by a member of it: a webhook that blocks the target's ReplicaSet
    # (`cart-api-6c9d8b7f5`) names its victim, it is no caller (`names.word`, not `names.mentions`).
    text = finding_text(finding)
    return any(word(t).search(text) for t in target if t)


def without_callers(ctx: AlertContext, findings: Sequence[Finding]) -> list[Finding]:
    """`findings`, with the cause hint of each caller's report of the target taken away."""
    target = target_names(ctx)
    if not target:
        return list(findings)
    return [f.model_copy(update={"cause_hint": None}) if from_caller(f, target) else f for f in findings]
