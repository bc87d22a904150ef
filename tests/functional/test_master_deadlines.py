"""The master's clocks, as the on-call engineer sees them in the thread: the report lands by the
deadline whatever the chat API, the scanners or the master's own model do, and every late result
follows as an update, even one that arrives while the report is still being posted."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from agents.master.orchestrator import Investigator
from lambda_adapter.server import ThreadedServer
from shared.a2a import A2AClient, AgentCardSpec, HttpTransport, build_agent_app
from shared.config import AppConfig, load_config, parse_config
from shared.contracts import AgentResult, AgentStatus, AlertContext, Finding, IncidentReport, Severity
from tests.support.scripted_agents import Script, alert, serve_scripted
from tests.support.scripted_model import Output, ScriptedModel
from tests.support.timed_chat import TimedChat

pytestmark = pytest.mark.anyio

THREAD = "1700000000.000100"
REPORT = "Likely cause"  # a section every report has
NOTICE = "Investigating"


def config_with(
    deadline: float,
    cutoff: float,
    scanners: dict[str, float | None],
    *,
    master_model: dict[str, Any] | None = None,
) -> AppConfig:
    """The shipped config with only `scanners` (name -> budget, None for the default) and the
    deadline and cutoff given; `master_model` sets the master's model override."""
    data = load_config().model_dump(mode="json")
    base = next(v for v in data["agents"].values() if v["role"] == "scanner")
    agents = {k: v for k, v in data["agents"].items() if v["role"] == "master"}
    if master_model is not None:
        agents["master"]["model"] = master_model
    for offset, (name, budget) in enumerate(scanners.items()):
        agents[name] = {**base, "port": 19100 + offset, "budget_seconds": budget}
    data["agents"] = agents
    data["defaults"].update(deadline_seconds=deadline, late_cutoff_seconds=cutoff)
    data["prices"]["scripted-model"] = {"input": 1.0, "output": 5.0}
    return parse_config(data)


def in_thread(ctx: AlertContext) -> AlertContext:
    return ctx.model_copy(update={"thread_id": THREAD})


async def test_a_result_arriving_while_the_report_is_being_posted_follows_as_an_update() -> None:
    # Every post takes a second (a slow Slack): the slow scanner answers while the report is
    # on its way to the thread. It must not be lost, nor stay "timeout" for good.
    scripts = {"quick": Script(latency=0.1), "slow": Script(latency=1.5)}
    config = config_with(deadline=1.0, cutoff=8.0, scanners=dict.fromkeys(scripts))
    chat = TimedChat("slack", delay=lambda _text: 1.0)
    with serve_scripted(scripts) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _name: chat)
        report = await investigator.investigate(in_thread(alert()))  # waits for the follow-up

    assert {run.name: run.status for run in report.agents}["slow"] is AgentStatus.TIMEOUT
    [update] = chat.all("Late result from slow")
    assert "slow saw something" in update.post.text
    assert update.post.thread_id == THREAD
    assert update.at > chat.first(REPORT).at


@pytest.mark.parametrize("thread_id", [THREAD, None], ids=["alert-thread", "no-thread"])
async def test_a_slow_notice_does_not_push_the_report_past_the_deadline(thread_id: str | None) -> None:
    # The "investigating" notice takes 3 s (a rate-limited Slack); the deadline is 1 s.
    scripts = {"quick": Script(latency=0.1), "hung": Script(hang=True)}
    config = config_with(deadline=1.0, cutoff=1.0, scanners=dict.fromkeys(scripts))
    chat = TimedChat("slack", delay=lambda text: 3.0 if NOTICE in text else 0.0)
    ctx = alert().model_copy(update={"thread_id": thread_id})
    background: set[asyncio.Task[None]] = set()
    with serve_scripted(scripts) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _name: chat)
        started = time.monotonic()
        report = await investigator.investigate(ctx, background=background)
        await asyncio.gather(*background)

    landed = chat.first(REPORT)
    assert landed.at - started < 1.0 + 1.0
    assert "hung" in report.posted_text and chat.first(NOTICE).at - started >= 3.0
    if thread_id is None:  # no alert message to reply under: the report starts the thread
        assert landed.post.thread_id is None
        assert all(
            p.thread_id == landed.post.id for p in chat.posted if p is not landed.post and REPORT in p.text
        )
    else:
        assert landed.post.thread_id == THREAD


@contextmanager
def recording_scanners(latencies: dict[str, float]) -> Iterator[tuple[A2AClient, dict[str, float]]]:
    """Scanners answering after a fixed latency, recording the budget each request carried."""
    budgets: dict[str, float] = {}
    servers: dict[str, ThreadedServer] = {}

    def app(agent_id: str, latency: float) -> Any:
        async def handle(data: dict[str, Any]) -> dict[str, Any]:
            budgets[agent_id] = data["budget_seconds"]
            await asyncio.sleep(latency)
            finding = Finding(
                id=f"{agent_id}:seen", agent=agent_id, severity=Severity.WARNING, title=f"{agent_id} saw it"
            )
            result = AgentResult(agent=agent_id, status=AgentStatus.OK, findings=(finding,))
            return {"result": result.model_dump(mode="json")}

        card = AgentCardSpec(name=agent_id, description=agent_id, url="http://127.0.0.1/")
        return build_agent_app(card, handle)

    try:
        for agent_id, latency in latencies.items():
            server = ThreadedServer(app(agent_id, latency))
            server._server.config.timeout_graceful_shutdown = 1
            servers[agent_id] = server.start()
        yield A2AClient({a: HttpTransport(s.url) for a, s in servers.items()}), budgets
    finally:
        for server in servers.values():
            server.stop()


async def test_each_agent_gets_its_own_budget_and_is_timed_out_when_it_runs_past_it() -> None:
    # `tight` has 0.5 s but takes 2 s; `roomy` has 3 s and takes 0.1 s. The deadline is 6 s: the
    # report must not wait for it once every agent has answered or run out of its own budget.
    config = config_with(deadline=6.0, cutoff=8.0, scanners={"tight": 0.5, "roomy": 3.0})
    chat = TimedChat("slack")
    background: set[asyncio.Task[None]] = set()
    with recording_scanners({"tight": 2.0, "roomy": 0.1}) as (client, budgets):
        investigator = Investigator(config=config, client=client, chat_for=lambda _name: chat)
        started = time.monotonic()
        report = await investigator.investigate(in_thread(alert()), background=background)
        posted_after = chat.first(REPORT).at - started
        await asyncio.gather(*background)

    assert budgets == {"tight": 0.5, "roomy": 3.0}  # each request carried the agent's own budget
    assert posted_after < 1.5  # at tight's budget (plus the transport grace), not the 6 s deadline
    runs = {run.name: run for run in report.agents}
    assert runs["roomy"].status is AgentStatus.OK
    assert runs["tight"].status is AgentStatus.TIMEOUT
    assert "0.5 s budget" in runs["tight"].errors[0] and runs["tight"].duration_ms <= 1000
    # Its answer is still evidence: it follows as an update until the cutoff.
    [update] = chat.all("Late result from tight")
    assert "tight saw it" in update.post.text


class SlowModel(ScriptedModel):
    """A scripted model that takes `delay` seconds before each turn (a slow or overloaded endpoint)."""

    def __init__(self, *args: Any, delay: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay
        self.cancelled = threading.Event()

    async def stream(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def, override]
        await asyncio.sleep(self.delay)
        async for event in super().stream(*args, **kwargs):
            yield event


MASTER_MODEL = {
    "provider": "openai",
    "model_id": "scripted-model",
    "base_url": "http://127.0.0.1:9/v1",  # never reached: the test injects the model
    "timeout_seconds": 2,
}


async def test_a_slow_master_model_still_gets_the_report_posted_by_the_deadline() -> None:
    scripts = {"quick": Script(latency=0.1)}
    config = config_with(deadline=4.0, cutoff=4.0, scanners=dict.fromkeys(scripts), master_model=MASTER_MODEL)
    model = SlowModel([Output({"category": "unknown", "summary": "late"})], delay=8.0)
    chat = TimedChat("slack")
    with serve_scripted(scripts) as client:
        investigator = Investigator(
            config=config, client=client, chat_for=lambda _name: chat, narrator_model=model
        )
        started = time.monotonic()
        report = await investigator.investigate(in_thread(alert()))
    posted_after = chat.first(REPORT).at - started

    assert posted_after < 4.0
    master = {run.name: run for run in report.agents}["master"]
    assert master.status is AgentStatus.TIMEOUT and master.usage.model == "scripted-model"
    assert "master: timeout" in report.posted_text  # the master's own line, not only the totals
    assert report.telemetry.narrative.startswith("deterministic (model failed")
    # The footer's total is the time to the post, narrative included.
    assert abs(report.telemetry.elapsed_ms / 1000 - posted_after) < 0.5
    assert report.telemetry.elapsed_ms >= 2000


async def test_late_updates_keep_the_narrative_its_cost_and_the_masters_line() -> None:
    scripts = {"quick": Script(latency=0.1), "slow": Script(latency=2.5)}
    # Deadline 5 s: the scanners get 1 s (4 s are kept for the narrative); `slow` answers at 2.5 s.
    master_model = {**MASTER_MODEL, "timeout_seconds": 3}
    config = config_with(deadline=5.0, cutoff=8.0, scanners=dict.fromkeys(scripts), master_model=master_model)
    summary = "Only quick has answered so far; it saw something [quick:scripted]."
    model = ScriptedModel(
        [Output({"category": "unknown", "summary": summary, "evidence": ["quick:scripted"]})]
    )
    chat = TimedChat("slack")
    updates: list[IncidentReport] = []
    with serve_scripted(scripts) as client:
        investigator = Investigator(
            config=config, client=client, chat_for=lambda _name: chat, narrator_model=model
        )
        report = await investigator.investigate(
            in_thread(alert()), on_update=lambda _late, updated, _text: updates.append(updated)
        )

    assert report.telemetry.narrative == "model narrative" and report.cause.summary == summary
    [update] = updates
    assert {run.name: run.status for run in update.agents}["slow"] is AgentStatus.OK
    # Nothing the model added is lost in the update: its cause, its tokens and cost, its line.
    assert update.cause == report.cause and update.title == report.title
    assert update.telemetry.narrative == "model narrative"
    assert update.telemetry.input_tokens == report.telemetry.input_tokens >= 100
    assert update.telemetry.cost_usd == report.telemetry.cost_usd > 0
    master = {run.name: run for run in update.agents}["master"]
    assert master.status is AgentStatus.OK and master.usage.input_tokens == 100
    assert update.telemetry.elapsed_ms == report.telemetry.elapsed_ms
