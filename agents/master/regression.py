"""A regression that began before the louder consequence it explains.

An autoscaler at its maximum, throttling from a restart herd: these are loud, and their findings
carry a cause hint, while the errors of a release's regression often carry none (an application
error no signature knows). When the best-supported cause is one that commonly follows a regression
(`CauseKind.follows` holds `bad_deploy`) and the errors of a rollout on the path began at least
`candidates.LEAD` before it, the regression is the first failure: the report states it, and says
that the louder one followed.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.master.candidates import LEAD
from agents.master.decision import Decision, sentence
from agents.master.ranking import CategoryScore, minutes_before, seen_at
from agents.master.verdicts import bad_deploy
from shared.causes import CAUSES, label
from shared.contracts import AlertContext, CauseCategory, Finding


def regression_first(ctx: AlertContext, findings: Sequence[Finding], top: CategoryScore) -> Decision | None:
    """The regression's decision when it began `LEAD` before `top` (which commonly follows one), else None."""
    if CauseCategory.BAD_DEPLOY not in CAUSES[top.category].follows:
        return None
    louder_at = seen_at(top.best)
    if louder_at is None:
        return None
    regression = bad_deploy(ctx, findings)
    if regression is None:
        return None
    by_id = {f.id: f for f in findings}
    began = [
        at
        for fid in regression.cause.evidence
        if (f := by_id.get(fid)) is not None and f.change is None and (at := seen_at(f)) is not None
    ]
    if not began or min(began) > louder_at - LEAD:
        return None
    after = round(minutes_before(ctx, min(began)) - minutes_before(ctx, louder_at))
    cause = regression.cause
    summary = (
        f"{cause.summary} {label(top.category)} followed {after} min later, a consequence: "
        f"{sentence(top.best.title)}"
    )
    evidence = (*cause.evidence, top.best.id)
    return Decision(
        cause.model_copy(update={"summary": summary, "evidence": tuple(dict.fromkeys(evidence))}),
        regression.change,
        regression.follow,
        regression.path,
    )
