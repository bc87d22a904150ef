"""The second, narrower round: when the best explanation is a failing dependency whose own cause
the first round did not show, the scanners are asked about that dependency, inside the same
deadline. Pure: which context to ask with; the orchestrator does the asking."""

from __future__ import annotations

from collections.abc import Sequence

from agents.master.cause import decide
from agents.master.ranking import dedupe
from shared.contracts import AgentResult, AlertContext, Hints

SUFFIX = "-dep"


def dependency_context(ctx: AlertContext, results: Sequence[AgentResult]) -> AlertContext | None:
    """The alert context narrowed to the dependency the cause runs through, or None when there is
    nothing to follow (the cause is not a dependency's, or its own cause is already known). The
    narrowed context keeps the alert's cluster, region, window and log groups; it names the
    dependency (and its namespace) as what to look at, and carries none of the alert's text."""
    findings = dedupe(f for r in results for f in r.findings)
    dependency = decide(ctx, findings, results).follow
    if dependency is None or ctx.investigation_id.endswith(SUFFIX):
        return None
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
            "investigation_id": ctx.investigation_id[: 128 - len(SUFFIX)] + SUFFIX,
            "text": "",
            "labels": labels,
            "annotations": {},
            "hints": hints,
            "operator_notes": (),
        }
    )
