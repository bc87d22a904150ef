"""The narrower rounds: when the best explanation is a failing dependency whose own cause the rounds
so far did not show, the scanners are asked about that dependency, inside the same deadline; when
its answer shows it failing because of what *it* calls, one more round asks about that (at most
`MAX_ROUNDS`). Pure: which context to ask with; the orchestrator does the asking."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.cause import decide
from agents.master.ranking import dedupe
from shared.contracts import AgentResult, AlertContext, Hints

SUFFIX = "-dep"
_NARROWED = re.compile(r"-dep\d*$")
MAX_ROUNDS = 2  # narrower rounds after the first: the dependency, then what it depends on


def dependency_context(
    ctx: AlertContext,
    results: Sequence[AgentResult],
    related: Sequence[AgentResult] = (),
    round_no: int = 1,
) -> AlertContext | None:
    """The alert context narrowed to the dependency the cause runs through, or None when there is
    nothing to follow (the cause is not a dependency's, or its own cause is already known). The
    narrowed context keeps the alert's cluster, region, window and log groups; it names the
    dependency (and its namespace) as what to look at, and carries none of the alert's text. `related`
    are the answers of the narrower rounds so far; `round_no` numbers the one to ask."""
    if round_no > MAX_ROUNDS or _NARROWED.search(ctx.investigation_id):
        return None
    findings = dedupe(f for r in results for f in r.findings)
    dependency = decide(ctx, findings, results, [f for r in related for f in r.findings]).follow
    if dependency is None:
        return None
    suffix = SUFFIX if round_no == 1 else f"{SUFFIX}{round_no}"
    namespace = dependency.namespace or ctx.hints.namespace
    hints = Hints(
        cluster=ctx.hints.cluster,
        region=ctx.hints.region,
        namespace=namespace,
        workload=dependency.name,
        service=dependency.name,
        log_groups=ctx.hints.log_groups,
    )
    labels = (
        {"namespace": namespace, "service": dependency.name} if namespace else {"service": dependency.name}
    )
    return ctx.model_copy(
        update={
            "investigation_id": ctx.investigation_id[: 128 - len(suffix)] + suffix,
            "text": "",
            "labels": labels,
            "annotations": {},
            "hints": hints,
            "operator_notes": (),
        }
    )
