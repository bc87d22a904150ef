"""Every contract model survives JSON unchanged, and every one rejects keys it does not know."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.chat.base import ChatMessage, HistoryPage
from shared.contracts import (
    AgentResult,
    AgentRun,
    AgentStatus,
    AlertContext,
    Cause,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    Hints,
    IncidentReport,
    NextStep,
    Platform,
    RiskClass,
    Severity,
    Telemetry,
    TimelineEntry,
    TokenUsage,
    Trigger,
)

ROUND_TRIP = settings(max_examples=30, deadline=None)

zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)
text = st.text(max_size=40)
names = st.text(min_size=1, max_size=20)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
counts = st.integers(min_value=0, max_value=10**12)
money = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
finding_ids = st.from_regex(r"[a-z0-9_]{1,12}:[A-Za-z0-9_.:/\-]{1,40}", fullmatch=True)


def tuples(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(strategy, max_size=max_size).map(tuple)


hints = st.builds(
    Hints,
    cluster=st.none() | text,
    region=st.none() | text,
    namespace=st.none() | text,
    workload=st.none() | text,
    pod=st.none() | text,
    container=st.none() | text,
    service=st.none() | text,
    node=st.none() | text,
    log_groups=tuples(text),
    alert_name=st.none() | text,
    severity=st.none() | st.sampled_from(Severity),
    generator_url=st.none() | text,
    extra_channels=tuples(text),
)


@st.composite
def alert_contexts(draw: st.DrawFn) -> AlertContext:
    start = draw(times)
    return AlertContext(
        investigation_id=draw(st.text(min_size=8, max_size=40)),
        platform=draw(st.sampled_from(Platform)),
        channel=draw(names),
        thread_id=draw(st.none() | text),
        text=draw(text),
        labels=draw(st.dictionaries(text, text, max_size=3)),
        annotations=draw(st.dictionaries(text, text, max_size=3)),
        received_at=draw(times),
        alert_started_at=draw(st.none() | times),
        window_start=start,
        window_end=start + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))),
        hints=draw(hints),
        operator_notes=draw(tuples(text)),
        mode=draw(st.sampled_from(["investigate", "snapshot"])),
    )


evidences = st.builds(
    Evidence,
    kind=st.sampled_from(EvidenceKind),
    reference=names,
    excerpt=text,
    at=st.none() | times,
    url=st.none() | text,
)
findings = st.builds(
    Finding,
    id=finding_ids,
    agent=names,
    severity=st.sampled_from(Severity),
    title=names,
    detail=text,
    resources=tuples(text),
    first_seen=st.none() | times,
    last_seen=st.none() | times,
    evidence=tuples(evidences),
    cause_hint=st.none() | st.sampled_from(CauseCategory),
    change=st.none() | st.sampled_from(Trigger),
    relevance=unit,
)
usages = st.builds(TokenUsage, model=text, input_tokens=counts, output_tokens=counts, cost_usd=money)
results = st.builds(
    AgentResult,
    agent=names,
    status=st.sampled_from(AgentStatus),
    findings=tuples(findings),
    duration_ms=counts,
    usage=usages,
    errors=tuples(text),
    notes=tuples(text),
    model_fallback=st.none() | st.text(max_size=500),
)
causes = st.builds(
    Cause,
    category=st.sampled_from(CauseCategory),
    trigger=st.sampled_from(Trigger),
    summary=text,
    confidence=unit,
    evidence=tuples(finding_ids),
)
timeline = st.builds(
    TimelineEntry, at=times, text=text, finding_id=st.none() | finding_ids, agent=st.none() | names
)
steps = st.builds(NextStep, text=text, risk=st.sampled_from(RiskClass), command=st.none() | text)
runs = st.builds(
    AgentRun,
    name=names,
    status=st.sampled_from(AgentStatus),
    duration_ms=counts,
    findings=counts,
    errors=tuples(text),
    usage=usages,
    model_fallback=st.none() | st.text(max_size=500),
)
telemetry = st.builds(
    Telemetry,
    model=text,
    input_tokens=counts,
    output_tokens=counts,
    cost_usd=money,
    elapsed_ms=counts,
    narrative=text,
    narrative_rejected=counts,
)
reports = st.builds(
    IncidentReport,
    investigation_id=names,
    alert=alert_contexts(),
    title=text,
    cause=causes,
    timeline=tuples(timeline),
    findings=tuples(findings),
    affected_resources=tuples(text),
    next_steps=tuples(steps),
    agents=tuples(runs),
    telemetry=telemetry,
    posted_text=text,
    created_at=times,
)
messages = st.builds(
    ChatMessage,
    id=names,
    channel=names,
    user=st.none() | text,
    user_name=st.none() | text,
    bot=st.booleans(),
    text=text,
    at=times,
    thread_id=st.none() | text,
    reply_count=st.integers(0, 10_000),
    permalink=st.none() | text,
)
pages = st.builds(HistoryPage, messages=tuples(messages), next_cursor=st.none() | text)

MODELS: dict[type[BaseModel], st.SearchStrategy[Any]] = {
    Hints: hints,
    AlertContext: alert_contexts(),
    Evidence: evidences,
    Finding: findings,
    TokenUsage: usages,
    AgentResult: results,
    Cause: causes,
    TimelineEntry: timeline,
    NextStep: steps,
    AgentRun: runs,
    Telemetry: telemetry,
    IncidentReport: reports,
    ChatMessage: messages,
    HistoryPage: pages,
}


@pytest.mark.parametrize("model", list(MODELS), ids=lambda m: m.__name__)
def test_every_model_round_trips_through_json(model: type[BaseModel]) -> None:
    @ROUND_TRIP
    @given(MODELS[model])
    def check(instance: BaseModel) -> None:
        assert model.model_validate_json(instance.model_dump_json()) == instance

    check()


@pytest.mark.parametrize("model", list(MODELS), ids=lambda m: m.__name__)
def test_every_model_rejects_unknown_keys(model: type[BaseModel]) -> None:
    @settings(max_examples=3, deadline=None)
    @given(MODELS[model])
    def check(instance: BaseModel) -> None:
        data = instance.model_dump(mode="json")
        data["not_a_field"] = 1
        with pytest.raises(ValidationError, match="not_a_field"):
            model.model_validate(data)

    check()


def test_unknown_keys_are_rejected_in_nested_models_too() -> None:
    finding = Finding(
        id="eks:pod-oomkilled:shop/x",
        agent="eks",
        severity=Severity.CRITICAL,
        title="x",
        evidence=(Evidence(kind=EvidenceKind.K8S_OBJECT, reference="pods/shop/x"),),
    )
    data = AgentResult(agent="eks", status=AgentStatus.OK, findings=(finding,)).model_dump(mode="json")
    data["findings"][0]["evidence"][0]["severity"] = "critical"

    with pytest.raises(ValidationError, match="severity"):
        AgentResult.model_validate(data)


def test_contracts_are_frozen() -> None:
    usage = TokenUsage(model="haiku", input_tokens=1)
    with pytest.raises(ValidationError):
        usage.input_tokens = 2  # type: ignore[misc]
