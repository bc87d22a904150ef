"""The `openai` provider over real HTTP: a scanner in LLM mode against an OpenAI-compatible
chat-completions server on loopback (the wire format vLLM, llama.cpp server and LM Studio speak),
streaming SSE chunks with tool calls and a final usage chunk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agents.common.base import Budget
from agents.llm.scanner_agent import run_scanner
from lambda_adapter.server import ThreadedServer
from shared.contracts import AgentStatus, CauseCategory
from tests.support.llm_scanner import AGENT, ProbeScanner, probe_config, probe_context, write_skills

pytestmark = pytest.mark.functional

POOL_LINE = "WARN HikariPool-1 - Connection is not available, request timed out after 30000ms"
LOG = ["INFO started orders v1.4.2", "ERROR GET /orders 500 upstream timeout", POOL_LINE]
KEY_ENV = "SRE_TEST_LLM_KEY"
USAGE = {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}


def chunk(
    delta: dict[str, Any] | None, finish: str | None = None, usage: dict[str, int] | None = None
) -> str:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "qwen-test",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return f"data: {json.dumps(body)}\n\n"


def tool_call_stream(name: str, args: dict[str, Any]) -> list[str]:
    """A tool call split over two argument chunks, as servers stream it, then the usage chunk."""
    text = json.dumps(args)
    half = len(text) // 2
    call = {
        "index": 0,
        "id": f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": text[:half]},
    }
    rest = {"index": 0, "function": {"arguments": text[half:]}}
    return [
        chunk({"role": "assistant", "content": None, "tool_calls": [call]}),
        chunk({"tool_calls": [rest]}),
        chunk({}, finish="tool_calls"),
        chunk(None, usage=USAGE),
        "data: [DONE]\n\n",
    ]


@dataclass
class Stub:
    replies: list[Any]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            self.requests.append(await request.json())
            self.headers.append(dict(request.headers))
            reply = self.replies.pop(0)
            if isinstance(reply, Response):
                return reply

            async def body() -> Any:
                for part in reply:
                    yield part.encode()

            return StreamingResponse(body(), media_type="text/event-stream")

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ThreadedServer] = []

    def start(stub: Stub) -> str:
        server = ThreadedServer(stub.app()).start()
        servers.append(server)
        return f"{server.url}/v1"

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def scanner_for(base_url: str, tmp_path: Path) -> ProbeScanner:
    config = probe_config(
        model={"model_id": "qwen-test", "base_url": base_url, "api_key_env": KEY_ENV, "timeout_seconds": 10},
        prices={"qwen-test": {"input": 0.5, "output": 1.5}},
    )
    return ProbeScanner(config, LOG, write_skills(tmp_path))


def test_openai_provider_runs_the_tool_loop_over_http(
    serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test-123")
    finding = {
        "slug": "db-pool",
        "severity": "critical",
        "title": "Orders DB pool exhausted",
        "evidence": [{"kind": "log_line", "reference": "/app/orders/web-1", "excerpt": POOL_LINE}],
        "cause_hint": "resource_pool_exhaustion",
    }
    stub = Stub(
        [
            tool_call_stream("search_logs", {"pattern": "hikari"}),
            tool_call_stream("ScannerFindings", {"findings": [finding], "summary": "searched the log"}),
        ]
    )
    scanner = scanner_for(serve(stub), tmp_path)
    result = run_scanner(scanner, probe_context(), Budget.of(20))

    assert scanner.tool_calls == ["search_logs:hikari"]
    assert result.status is AgentStatus.OK and not result.errors
    added = result.findings[-1]
    assert added.id == f"{AGENT}:llm-db-pool" and added.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION

    first = stub.requests[0]
    assert first["model"] == "qwen-test" and first["stream"] is True
    assert first["stream_options"] == {"include_usage": True}
    assert stub.headers[0]["authorization"] == "Bearer sk-test-123"
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"search_logs", "count_lines", "ScannerFindings"} <= offered
    assert first["messages"][0]["role"] == "system" and "log scanner" in json.dumps(first["messages"][0])
    # The tool's result went back over the wire as a fenced tool message.
    tool_messages = [m for m in stub.requests[1]["messages"] if m["role"] == "tool"]
    assert "HikariPool-1" in json.dumps(tool_messages) and "<data-" in json.dumps(tool_messages)

    usage = result.usage
    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("qwen-test", 246, 90)
    assert usage.cost_usd == pytest.approx((246 * 0.5 + 90 * 1.5) / 1e6)


def test_a_429_from_the_server_falls_back_at_once(serve: Any, tmp_path: Path) -> None:
    limited = JSONResponse(
        {
            "error": {
                "message": "Rate limit reached",
                "type": "rate_limit_error",
                "code": "rate_limit_exceeded",
            }
        },
        status_code=429,
    )
    stub = Stub([limited])
    scanner = scanner_for(serve(stub), tmp_path)
    result = run_scanner(scanner, probe_context(), Budget.of(20))

    assert len(stub.requests) == 1  # no client retries: the deadline matters more
    assert [f.id for f in result.findings] == [f"{AGENT}:errors:/app/orders"]
    assert (result.model_fallback or "").startswith("ModelThrottledException")
