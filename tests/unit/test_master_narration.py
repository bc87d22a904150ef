"""What the master's model added survives late updates: its tokens, cost and line always; its cause
while the deterministic category it was written over still stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.master.narration import CHANGED_BY_LATE, Narration
from agents.master.synthesis import synthesize
from shared.contracts import (
    AgentResult,
    AgentStatus,
    CauseCategory,
    Finding,
    IncidentReport,
    Severity,
    TokenUsage,
)
from tests.support.llm_scanner import probe_context

NOW = datetime.now(UTC)


def result(agent: str, hint: CauseCategory, title: str, relevance: float = 0.9) -> AgentResult:
    finding = Finding(
        id=f"{agent}:f",
        agent=agent,
        severity=Severity.CRITICAL,
        title=title,
        cause_hint=hint,
        relevance=relevance,
        first_seen=NOW - timedelta(minutes=5),
    )
    return AgentResult(agent=agent, status=AgentStatus.OK, findings=(finding,))


def narrated(report: IncidentReport) -> IncidentReport:
    """`report` as `narrate` leaves it when the model's answer is accepted."""
    tel = report.telemetry
    return report.model_copy(
        update={
            "cause": report.cause.model_copy(update={"summary": "The model's account [eks:f]."}),
            "telemetry": tel.model_copy(
                update={
                    "model": "scripted-model",
                    "input_tokens": tel.input_tokens + 900,
                    "output_tokens": tel.output_tokens + 80,
                    "cost_usd": tel.cost_usd + 0.0013,
                    "narrative": "model narrative",
                }
            ),
        }
    )


def test_a_late_result_keeps_the_models_cause_cost_and_line_while_the_category_stands() -> None:
    ctx = probe_context("KubePodCrashLooping shop/checkout")
    before = synthesize(ctx, [result("eks", CauseCategory.OOM, "Pod OOMKilled")])
    after = narrated(before)
    narration = Narration.between(before, after, agent="master", model="scripted-model", seconds=2.5)

    late = synthesize(
        ctx,
        [
            result("eks", CauseCategory.OOM, "Pod OOMKilled"),
            result("prometheus", CauseCategory.OOM, "Memory at limit"),
        ],
    )
    update = narration.apply(late)

    assert update.cause.summary == "The model's account [eks:f]." and update.title == after.title
    assert (update.telemetry.input_tokens, update.telemetry.output_tokens) == (900, 80)
    assert update.telemetry.cost_usd == 0.0013 and update.telemetry.narrative == "model narrative"
    master = update.agents[-1]
    assert (master.name, master.status, master.duration_ms) == ("master", AgentStatus.OK, 2500)
    assert master.usage == TokenUsage(
        model="scripted-model", input_tokens=900, output_tokens=80, cost_usd=0.0013
    )


def test_a_late_result_that_changes_the_category_wins_over_the_models_older_cause() -> None:
    ctx = probe_context("KubePodCrashLooping shop/checkout")
    weak = result("eks", CauseCategory.OOM, "One pod restarted once", relevance=0.45)
    before = synthesize(ctx, [weak])
    narration = Narration.between(before, narrated(before), agent="master", model="scripted-model", seconds=1)

    strong = [
        result(a, CauseCategory.IMAGE_PULL, "ImagePullBackOff") for a in ("cloudwatch_logs", "prometheus")
    ]
    late = synthesize(ctx, [weak, *strong])
    update = narration.apply(late)

    assert late.cause.category is CauseCategory.IMAGE_PULL
    assert update.cause == late.cause and update.title == late.title  # no contradiction
    assert update.telemetry.narrative == CHANGED_BY_LATE
    assert update.telemetry.input_tokens == 900  # what the model cost is still counted
