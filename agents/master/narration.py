"""What the master's own model added to a report, kept for every later version of it.

A late result makes the master synthesize the report again from the deterministic rules; without
this, that update would drop the narrative's tokens, cost and label and could contradict the cause
the model wrote. `Narration` carries them forward, and gives the master its own line among the
agents (model, tokens, time), so the footer totals are never the only place they show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.llm.providers import model_id_of
from shared.config import ModelConfig
from shared.contracts import (
    AgentRun,
    AgentStatus,
    Cause,
    CauseCategory,
    IncidentReport,
    NextStep,
    TokenUsage,
)

ACCEPTED = "model narrative"
CHANGED_BY_LATE = "deterministic (a late result changed the cause the model wrote)"


@dataclass(frozen=True)
class Narration:
    usage: TokenUsage
    label: str
    rejected: int
    run: AgentRun
    # The model's accepted cause, with the title and next steps that follow it, and the
    # deterministic category it was written over; None when the deterministic text stands.
    cause: Cause | None
    title: str
    next_steps: tuple[NextStep, ...]
    based_on: CauseCategory

    @classmethod
    def between(
        cls,
        before: IncidentReport,
        after: IncidentReport,
        *,
        agent: str,
        model: str,
        seconds: float,
    ) -> Narration:
        """What `narrate` changed from `before` to `after`, in `seconds`, as agent `agent`."""
        tb, ta = before.telemetry, after.telemetry
        usage = TokenUsage(
            model=model,
            input_tokens=max(0, ta.input_tokens - tb.input_tokens),
            output_tokens=max(0, ta.output_tokens - tb.output_tokens),
            cost_usd=round(max(0.0, ta.cost_usd - tb.cost_usd), 6),
        )
        accepted = ta.narrative == ACCEPTED
        run = AgentRun(
            name=agent,
            status=_status(ta.narrative),
            duration_ms=int(seconds * 1000),
            errors=() if accepted else (ta.narrative,),
            usage=usage,
        )
        return cls(
            usage=usage,
            label=ta.narrative,
            rejected=ta.narrative_rejected - tb.narrative_rejected,
            run=run,
            cause=after.cause if accepted else None,
            title=after.title,
            next_steps=after.next_steps,
            based_on=before.cause.category,
        )

    def apply(self, fresh: IncidentReport) -> IncidentReport:
        """`fresh`, a deterministic synthesis, with the narrative's tokens, cost, label and line,
        and the model's cause while the deterministic category it was written over still stands
        (a late result that changes that category wins: the model never saw it)."""
        tel = fresh.telemetry
        usage = self.usage
        model = tel.model
        if usage.model != "none" and (usage.input_tokens or usage.output_tokens):
            model = usage.model if tel.model in ("none", usage.model) else "mixed"
        label = self.label
        update: dict[str, Any] = {"agents": (*fresh.agents, self.run)}
        if self.cause is not None:
            if fresh.cause.category is self.based_on:
                update.update(cause=self.cause, title=self.title, next_steps=self.next_steps)
            else:
                label = CHANGED_BY_LATE
        update["telemetry"] = tel.model_copy(
            update={
                "model": model,
                "input_tokens": tel.input_tokens + usage.input_tokens,
                "output_tokens": tel.output_tokens + usage.output_tokens,
                "cost_usd": round(tel.cost_usd + usage.cost_usd, 6),
                "narrative": label,
                "narrative_rejected": tel.narrative_rejected + self.rejected,
            }
        )
        return fresh.model_copy(update=update)


def master_model_name(cfg: ModelConfig, model: Any | None) -> str:
    """The id the master's line shows: the injected model's own, else the configured one."""
    if model is not None:
        try:
            configured = model.get_config().get("model_id")
        except Exception:
            configured = None
        if configured:
            return str(configured)
    try:
        return model_id_of(cfg)
    except Exception:
        return cfg.provider


def _status(label: str) -> AgentStatus:
    if label == ACCEPTED or "rejected" in label:
        return AgentStatus.OK  # the model answered; a rejected answer is counted in the footer
    if "no time" in label:
        return AgentStatus.SKIPPED
    if "Timeout" in label:
        return AgentStatus.TIMEOUT
    return AgentStatus.ERROR
