"""The Lambda copy's hand-off to the master over loopback: A2A `message/send` with the context as a
DataPart, to the master's local port and through boto3's `invoke_agent_runtime` (AgentCore data
plane stub); a refusal or an unreachable master is a hand-off failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lambda_adapter.dispatch import HandOffError
from lambda_adapter.master import a2a_dispatcher
from lambda_adapter.server import ThreadedServer
from shared.config import load_config
from shared.contracts import AlertContext, Platform

pytestmark = pytest.mark.functional
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 4, 5, 19, 34, 5, tzinfo=UTC)
CTX = AlertContext(
    investigation_id="slack-0123456789abcdef0123",
    platform=Platform.SLACK,
    channel="C0LAN2Q65",
    thread_id="1712345640.000200",
    text="[FIRING:1] HighErrorRate",
    received_at=NOW,
    window_start=NOW.replace(hour=18),
    window_end=NOW,
)


class Stub:
    """The master's A2A endpoint (at `/`) and AgentCore's invocation route, recording requests."""

    def __init__(self, refuse: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.refuse = refuse

    async def handle(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.calls.append((request.url.path, dict(request.headers), body))
        if self.refuse:
            return JSONResponse(
                {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32603, "message": "busy"}}
            )
        task = {"id": "task-1", "contextId": "ctx-1", "kind": "task", "status": {"state": "submitted"}}
        return JSONResponse({"jsonrpc": "2.0", "id": body["id"], "result": task})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.handle, methods=["POST"]),
                Route("/runtimes/{arn:path}/invocations", self.handle, methods=["POST"]),
            ]
        )


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    master = Stub()
    with ThreadedServer(master.app()) as server:
        yield master, server.url


def _sent_context(body: dict[str, Any]) -> AlertContext:
    [part] = body["params"]["message"]["parts"]
    assert part["kind"] == "data" and body["method"] == "message/send"
    assert body["params"]["configuration"]["blocking"] is False
    return AlertContext.model_validate(part["data"]["alert"])


def test_agentcore_invoke_agent_runtime_carries_the_context(
    stub: tuple[Stub, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    master, url = stub
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/master-abc123"
    config = load_config(ROOT / "config.yaml")
    env = {config.agents[config.master_id].runtime_arn_env: arn, "AWS_REGION": "us-east-1"}

    def client(**kwargs: Any) -> Any:
        return boto3.client(
            "bedrock-agentcore",
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            **kwargs,
        )

    a2a_dispatcher(config, env, client_factory=client).dispatch(CTX)
    [(path, headers, body)] = master.calls
    assert path == f"/runtimes/{arn}/invocations"
    session = headers["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert 33 <= len(session) <= 256 and CTX.investigation_id in session
    assert _sent_context(body) == CTX


def test_local_master_port(stub: tuple[Stub, str]) -> None:
    master, url = stub
    config = load_config(ROOT / "config.yaml")
    port = int(url.rsplit(":", 1)[1])
    agents = {
        name: agent.model_copy(update={"port": port}) if name == config.master_id else agent
        for name, agent in config.agents.items()
    }
    a2a_dispatcher(config.model_copy(update={"agents": agents}), {}).dispatch(CTX)
    [(path, _headers, body)] = master.calls
    assert path == "/" and _sent_context(body) == CTX


def test_refusal_and_unreachable_master_are_hand_off_failures(stub: tuple[Stub, str]) -> None:
    master, url = stub
    master.refuse = True
    config = load_config(ROOT / "config.yaml")
    port = int(url.rsplit(":", 1)[1])
    agents = {
        name: agent.model_copy(update={"port": port}) if name == config.master_id else agent
        for name, agent in config.agents.items()
    }
    with pytest.raises(HandOffError, match="busy"):
        a2a_dispatcher(config.model_copy(update={"agents": agents}), {}).dispatch(CTX)
    free = {
        name: agent.model_copy(update={"port": 1}) if name == config.master_id else agent
        for name, agent in config.agents.items()
    }
    with pytest.raises(HandOffError, match="unreachable"):
        a2a_dispatcher(config.model_copy(update={"agents": free}), {}).dispatch(CTX)
