"""The master's narrative on a scripted model: a grounded answer replaces the deterministic text,
an answer citing what does not exist is rejected and counted, and the prompt stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from strands.types.exceptions import ModelThrottledException

from agents.llm.narrative import PROMPT_TOKENS, narrate, prompt_size
from agents.master.synthesis import synthesize
from shared.contracts import (
    AgentResult,
    AgentStatus,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    IncidentReport,
    Severity,
    Trigger,
)
from tests.support.llm_scanner import probe_config, probe_context
from tests.support.scripted_model import Output, Raise, ScriptedModel, Text

NOW = datetime.now(UTC)
OOM = "eks:pod-oomkilled:shop/checkout-7d9f-x2k4p"
DEPLOY = "eks:rollout:shop/checkout"
HEAP = "cloudwatch_logs:template:heap"


def report(
    extra_findings: int = 0, excerpt: str = "java.lang.OutOfMemoryError: Java heap space"
) -> IncidentReport:
    eks = [
        Finding(
            id=OOM,
            agent="eks",
            severity=Severity.CRITICAL,
            title="Pod shop/checkout-7d9f-x2k4p OOMKilled (exit 137), 5 restarts",
            evidence=(Evidence(kind=EvidenceKind.K8S_OBJECT, reference="shop/Pod/checkout-7d9f-x2k4p"),),
            cause_hint=CauseCategory.OOM,
            first_seen=NOW - timedelta(minutes=10),
            relevance=0.9,
        ),
        Finding(
            id=DEPLOY,
            agent="eks",
            severity=Severity.INFO,
            title="Deployment shop/checkout rolled out v2.3.0",
            change=Trigger.DEPLOY,
            first_seen=NOW - timedelta(minutes=40),
            relevance=0.8,
        ),
    ]
    logs = [
        Finding(
            id=HEAP if n == 0 else f"cloudwatch_logs:template:{n}",
            agent="cloudwatch_logs",
            severity=Severity.WARNING,
            title=f"Log template {n}: {excerpt[:80]}",
            detail=(excerpt * 5)[:20_000],
            evidence=tuple(
                Evidence(kind=EvidenceKind.LOG_LINE, reference=f"/aws/app/checkout#{k}", excerpt=excerpt)
                for k in range(4)
            ),
            cause_hint=CauseCategory.OOM if n == 0 else None,
            first_seen=NOW - timedelta(minutes=12),
            relevance=0.85 if n == 0 else 0.3,
        )
        for n in range(1 + extra_findings)
    ]
    results = [
        AgentResult(agent="eks", status=AgentStatus.OK, findings=tuple(eks)),
        AgentResult(agent="cloudwatch_logs", status=AgentStatus.OK, findings=tuple(logs)),
        AgentResult(agent="prometheus", status=AgentStatus.TIMEOUT, errors=("timed out",)),
    ]
    return synthesize(probe_context("KubePodCrashLooping shop/checkout"), results, elapsed_ms=1200)


CONFIG = probe_config()


def ask(answer: dict[str, object] | None = None, *, turns=None, seconds: float = 10.0):  # type: ignore[no-untyped-def]
    base = report()
    model = ScriptedModel(turns if turns is not None else [Output(answer or {})])
    return base, narrate(CONFIG, base, seconds=seconds, model=model), model


def test_a_grounded_narrative_replaces_the_deterministic_text() -> None:
    summary = f"Checkout pods are OOMKilled [{OOM}] since the v2.3.0 rollout [{DEPLOY}]; heap full [{HEAP}]."
    base, out, model = ask({"category": "oom", "summary": summary, "evidence": [OOM, HEAP]})
    assert base.cause.category is CauseCategory.OOM
    assert out.cause.summary == summary
    assert out.cause.evidence[:2] == (OOM, HEAP) and set(base.cause.evidence) <= set(out.cause.evidence)
    assert out.telemetry.narrative == "model narrative" and out.telemetry.narrative_rejected == 0
    assert (out.telemetry.input_tokens, out.telemetry.output_tokens) == (100, 20)
    assert out.telemetry.model == "scripted-model" and out.telemetry.cost_usd == pytest.approx(200e-6)
    assert len(model.requests) == 1  # one model call


def test_a_narrative_citing_a_finding_that_does_not_exist_is_rejected() -> None:
    ghost = "eks:pod-oomkilled:shop/payments-1"
    base, out, _ = ask({"category": "oom", "summary": f"Payments is OOMKilled [{ghost}].", "evidence": [OOM]})
    assert out.cause == base.cause
    assert out.telemetry.narrative_rejected == 1
    assert out.telemetry.narrative.startswith("deterministic")
    assert out.telemetry.input_tokens == 100  # a rejected answer still cost tokens


@pytest.mark.parametrize(
    "answer",
    [
        {"category": "gremlins", "summary": f"Gremlins [{OOM}]", "evidence": [OOM]},
        {"category": "oom", "summary": "Memory ran out.", "evidence": ["eks:made-up"]},
        {"category": "oom", "summary": "Memory ran out.", "evidence": []},
        {"category": "disk_full", "summary": f"The disk is full [{OOM}]", "evidence": [OOM]},
        {"category": "oom", "summary": "   ", "evidence": [OOM]},
    ],
    ids=["not-in-vocabulary", "unknown-id", "uncited", "unsupported-category", "empty"],
)
def test_invalid_answers_keep_the_deterministic_text(answer: dict[str, object]) -> None:
    base, out, _ = ask(answer)
    assert out.cause == base.cause and out.telemetry.narrative_rejected == 1


def test_a_changed_category_backed_by_a_cited_finding_is_accepted_with_its_next_steps() -> None:
    base = report()
    hinted = base.model_copy(
        update={
            "findings": (
                *base.findings,
                Finding(
                    id="prometheus:cpu-throttled:checkout",
                    agent="prometheus",
                    severity=Severity.WARNING,
                    title="checkout CPU throttled 80%",
                    cause_hint=CauseCategory.CPU_SATURATION,
                ),
            )
        }
    )
    model = ScriptedModel(
        [
            Output(
                {
                    "category": "cpu_saturation",
                    "summary": "CPU throttling [prometheus:cpu-throttled:checkout].",
                    "evidence": ["prometheus:cpu-throttled:checkout"],
                }
            )
        ]
    )
    out = narrate(CONFIG, hinted, seconds=10, model=model)
    assert out.cause.category is CauseCategory.CPU_SATURATION
    assert out.cause.confidence <= 0.6
    assert "CPU" in out.title and out.next_steps != base.next_steps


def test_a_throttled_narrative_keeps_the_deterministic_text() -> None:
    base, out, _ = ask(turns=[Raise(ModelThrottledException("ThrottlingException"))])
    assert out.cause == base.cause and out.telemetry.narrative_rejected == 0
    assert "ModelThrottledException" in out.telemetry.narrative


def test_a_prose_answer_gets_one_retry_for_the_structured_form() -> None:
    answer = {"category": "oom", "summary": f"OOM [{OOM}]", "evidence": [OOM]}
    _, out, model = ask(turns=[Text("It is OOM."), Output(answer)])
    assert out.cause.summary == f"OOM [{OOM}]" and len(model.requests) == 2


def test_a_model_that_keeps_answering_in_prose_is_asked_at_most_twice() -> None:
    answer = {"category": "oom", "summary": f"OOM [{OOM}]", "evidence": [OOM]}
    base, out, model = ask(turns=[Text("It is OOM."), Text("Really, OOM."), Output(answer)])
    assert len(model.requests) == 2
    assert out.cause == base.cause and out.telemetry.narrative.startswith("deterministic")


def test_no_time_left_means_no_model_call() -> None:
    base, out, model = ask({"category": "oom", "summary": "x", "evidence": [OOM]}, seconds=0.5)
    assert model.requests == [] and out.cause == base.cause


def test_provider_none_is_the_deterministic_report() -> None:
    base = report()
    assert CONFIG.model_for(CONFIG.master_id).provider == "none"
    assert narrate(CONFIG, base, seconds=30) is base


def test_the_prompt_does_not_grow_with_the_evidence() -> None:
    small = prompt_size(report())
    huge = prompt_size(report(extra_findings=400, excerpt="ERROR pool timeout after 30000ms " * 500))
    assert small < huge <= PROMPT_TOKENS
    model = ScriptedModel([Output({"category": "oom", "summary": "x", "evidence": [OOM]})])
    narrate(
        CONFIG, report(extra_findings=400, excerpt="AKIAIOSFODNN7EXAMPLE " * 300), seconds=10, model=model
    )
    assert "AKIAIOSFODNN7EXAMPLE" not in model.sent()
    assert len(model.sent()) < PROMPT_TOKENS * 4 + 4_000  # + the tool spec of the answer form
