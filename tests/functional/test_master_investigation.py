"""The master end to end over real loopback A2A: notice, report by the deadline, late update."""

from __future__ import annotations

import time

import pytest

from agents.master.orchestrator import Investigator
from sandbox.intake_fakes import MemoryChat
from shared.config import load_config
from shared.contracts import AgentStatus, IncidentReport
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.anyio


def config_with(deadline: float, cutoff: float, scanners: list[str]):  # type: ignore[no-untyped-def]
    config = load_config()
    agents = {k: v for k, v in config.agents.items() if v.role == "master"}
    base = next(v for v in config.agents.values() if v.role == "scanner")
    for offset, name in enumerate(scanners):
        agents[name] = base.model_copy(update={"port": 19000 + offset})
    defaults = config.defaults.model_copy(
        update={"deadline_seconds": deadline, "late_cutoff_seconds": cutoff}
    )
    return config.model_copy(update={"agents": agents, "defaults": defaults})


async def test_report_is_posted_by_the_deadline_and_the_late_result_follows_in_the_thread() -> None:
    scripts = {
        "quick": Script(latency=0.1),
        "broken": Script(fail="AccessDenied on logs:StartQuery"),
        "slow": Script(latency=2.0),
        "hung": Script(hang=True),
    }
    config = config_with(deadline=1.0, cutoff=3.5, scanners=list(scripts))
    chat = MemoryChat("slack")
    ctx = alert().model_copy(update={"thread_id": "1700000000.000100"})
    with serve_scripted(scripts) as client:
        investigator = Investigator(config=config, client=client, chat_for=lambda _name: chat)
        started = time.monotonic()
        background: set = set()  # type: ignore[type-arg]
        report = await investigator.investigate(ctx, background=background)
        assert time.monotonic() - started < 1.0 + 1.0
        statuses = {run.name: run.status for run in report.agents}
        assert statuses == {
            "quick": AgentStatus.OK,
            "broken": AgentStatus.ERROR,
            "slow": AgentStatus.TIMEOUT,
            "hung": AgentStatus.TIMEOUT,
        }
        assert "AccessDenied" in report.posted_text
        for task in list(background):
            await task
    notice, *rest = chat.posted
    assert all(p.thread_id == ctx.thread_id for p in chat.posted)  # everything in the alert's thread
    assert "quick" in notice.text and "hung" in notice.text
    report_parts = [p for p in rest if p.text in report.posted_text]
    assert report_parts, "the report was posted"
    updates = [p for p in rest if p.text not in report.posted_text]
    assert len(updates) == 1 and "slow" in updates[0].text  # the late result, posted as an update


class ThreadRefusesReports(MemoryChat):
    """Chat that takes the notice, then fails (e.g. the bot was removed from the channel)."""

    def post(self, channel, text, *, thread_id=None, blocks=None):  # type: ignore[no-untyped-def]
        if self.posted:
            raise ConnectionError("channel_not_found")
        return super().post(channel, text, thread_id=thread_id, blocks=blocks)


class RecordedMetrics:
    def __init__(self) -> None:
        self.recorded: list[tuple[IncidentReport, bool]] = []

    def record(self, report: IncidentReport, *, posted: bool) -> None:
        self.recorded.append((report, posted))


@pytest.mark.parametrize(
    ("chat", "posted"), [(MemoryChat("slack"), True), (ThreadRefusesReports("slack"), False)]
)
async def test_each_investigation_is_counted_with_whether_its_report_reached_the_thread(
    chat: MemoryChat, posted: bool
) -> None:
    scripts = {"quick": Script(latency=0.05), "broken": Script(fail="AccessDenied")}
    config = config_with(deadline=1.0, cutoff=1.0, scanners=list(scripts))
    metrics = RecordedMetrics()
    with serve_scripted(scripts) as client:
        investigator = Investigator(
            config=config, client=client, chat_for=lambda _name: chat, metrics=metrics
        )
        report = await investigator.investigate(alert())
    [(recorded, was_posted)] = metrics.recorded
    assert was_posted is posted
    assert recorded.investigation_id == report.investigation_id
    assert {run.name: run.status for run in recorded.agents} == {
        "quick": AgentStatus.OK,
        "broken": AgentStatus.ERROR,
    }
