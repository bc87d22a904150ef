"""The AgentCore transport through boto3, against a loopback stub of the data-plane route."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lambda_adapter.server import ThreadedServer
from shared.a2a import A2AClient, AgentCoreTransport, session_id
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.anyio
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/eks-abc123"


async def test_invoke_agent_runtime_carries_the_same_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    seen: list[tuple[str, str]] = []
    with serve_scripted({"eks": Script()}) as local:
        agent_url = local.transports["eks"].base_url  # type: ignore[attr-defined]

        async def invocations(request: Request) -> Response:
            seen.append(
                (unquote(request.url.path), request.headers["x-amzn-bedrock-agentcore-runtime-session-id"])
            )
            async with httpx.AsyncClient() as http:
                answer = await http.post(
                    f"{agent_url}/",
                    content=await request.body(),
                    headers={"content-type": "application/json"},
                )
            return Response(answer.content, media_type="application/json")

        stub = Starlette(routes=[Route("/runtimes/{arn:path}/invocations", invocations, methods=["POST"])])
        with ThreadedServer(stub) as server:
            client = A2AClient({"eks": AgentCoreTransport(ARN, "us-east-1", endpoint_url=server.url)})
            ctx = alert()
            for _ in range(2):
                answer = await client.send(
                    "eks",
                    {"alert": ctx.model_dump(mode="json")},
                    timeout=10,
                    investigation_id=ctx.investigation_id,
                )
                assert answer["result"]["findings"][0]["title"] == "eks saw something"
    assert seen[0][0] == f"/runtimes/{ARN}/invocations"
    sessions = {session for _, session in seen}
    assert sessions == {session_id(ctx.investigation_id, "eks")}  # stable per investigation and agent
    assert 33 <= len(sessions.pop()) <= 256
