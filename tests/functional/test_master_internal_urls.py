"""An agent the master cannot reach is reported as failed, without where it lives: the posted
report names the agent and what went wrong, never our internal URL or runtime ARN."""

from __future__ import annotations

import asyncio

import pytest

from agents.master.fanout import public_reason
from agents.master.orchestrator import Investigator
from sandbox.intake_fakes import MemoryChat
from shared.a2a import A2AClient, HttpTransport
from tests.functional.test_master_deadlines import config_with, in_thread
from tests.support.scripted_agents import alert

pytestmark = pytest.mark.functional
INTERNAL = "http://127.0.0.1:1"  # nothing listens there: connection refused


def test_an_unreachable_agent_is_reported_without_its_url() -> None:
    config = config_with(deadline=2.0, cutoff=2.0, scanners={"gone": None})
    chat = MemoryChat("slack")
    client = A2AClient({"gone": HttpTransport(INTERNAL)})
    investigator = Investigator(config=config, client=client, chat_for=lambda _n: chat)
    report = asyncio.run(investigator.investigate(in_thread(alert())))
    posted = "\n".join(chat.texts())
    assert "gone" in posted and "unreachable" in posted
    assert "127.0.0.1" not in posted and "127.0.0.1" not in (report.posted_text or "")


def test_runtime_arns_are_left_out_too() -> None:
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/sre_on_call_eks-AbC123"
    assert public_reason(f"invoke_agent_runtime {arn}: AccessDenied") == (
        "invoke_agent_runtime the agent: AccessDenied"
    )
