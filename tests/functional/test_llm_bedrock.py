"""The `bedrock` provider over real HTTP: a throttled ConverseStream (the error Bedrock returns when
the account's tokens-per-minute quota is spent) falls back to the deterministic result at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agents.common.base import Budget
from agents.llm.scanner_agent import run_scanner
from lambda_adapter.server import ThreadedServer
from tests.support.llm_scanner import AGENT, ProbeScanner, probe_config, probe_context, write_skills

pytestmark = pytest.mark.functional


def test_a_throttled_bedrock_call_falls_back_without_retrying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def converse_stream(request: Request) -> JSONResponse:
        seen.append(request.url.path)
        return JSONResponse(
            {"message": "Too many tokens, please wait before trying again."},
            status_code=429,
            headers={"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"},
        )

    app = Starlette(
        routes=[Route("/model/{model_id:path}/converse-stream", converse_stream, methods=["POST"])]
    )
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    with ThreadedServer(app) as server:
        config = probe_config(
            model={"provider": "bedrock", "model_id": None, "region": "us-east-1", "base_url": server.url}
        )
        scanner = ProbeScanner(config, ["ERROR GET /orders 500 upstream timeout"], write_skills(tmp_path))
        result = run_scanner(scanner, probe_context(), Budget.of(20))

    assert len(seen) == 1 and "us.anthropic.claude-haiku-4-5" in seen[0]
    assert [f.id for f in result.findings] == [f"{AGENT}:errors:/app/orders"]
    assert (result.model_fallback or "").startswith("ModelThrottledException")
    assert "Too many tokens" in (result.model_fallback or ""), result.model_fallback
