"""The master end to end over real loopback A2A: notice, report by the deadline, late update."""

from __future__ import annotations

import time

import pytest

from agents.master.orchestrator import Investigator
from lambda_adapter.fakes import MemoryChat
from shared.config import load_config
from shared.contracts import AgentStatus
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
