"""MCP servers from an agent's config entry, for real: a stdio child process and a streamable-HTTP
server on loopback. Only read-only tools reach the model; a server that cannot start is reported
and the agent still runs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.common.base import Budget
from agents.llm.scanner_agent import run_scanner
from lambda_adapter.server import ThreadedServer
from tests.support.llm_scanner import AGENT, ProbeScanner, probe_config, probe_context, write_skills
from tests.support.scripted_model import Output, ScriptedModel, ToolCall

pytestmark = pytest.mark.functional

DEPLOYS = "orders v1.4.2 deployed at 10:02 by alice with DB_POOL_MAX=8"
LOG = ["ERROR GET /orders 500 upstream timeout"]

SERVER = f'''
from mcp.server.mcpserver import MCPServer

server = MCPServer("ops")


@server.tool()
def get_deploys(service: str = "orders") -> str:
    """Recent deploys of a service."""
    return {DEPLOYS!r}


@server.tool()
def delete_pod(name: str) -> str:
    """Delete a pod."""
    return "deleted " + name


def app():
    return server.streamable_http_app(stateless_http=True, json_response=True)


if __name__ == "__main__":
    server.run(transport="stdio")
'''


def deploy_finding() -> dict[str, Any]:
    return {
        "slug": "pool-shrunk",
        "severity": "warning",
        "title": "orders v1.4.2 set DB_POOL_MAX=8 just before the alert",
        "evidence": [{"kind": "query", "reference": "ops get_deploys", "excerpt": "DB_POOL_MAX=8"}],
        "change": "deploy",
    }


def run_with(tmp_path: Path, servers: list[dict[str, Any]]) -> tuple[Any, ScriptedModel]:
    scanner = ProbeScanner(probe_config(mcp_servers=servers), LOG, write_skills(tmp_path / "skills"))
    scanner.llm_model = ScriptedModel(
        [ToolCall("ops_get_deploys", {"service": "orders"}), Output({"findings": [deploy_finding()]})]
    )
    return run_scanner(scanner, probe_context(), Budget.of(30)), scanner.llm_model


def test_a_stdio_mcp_server_offers_only_its_read_only_tools(tmp_path: Path) -> None:
    script = tmp_path / "ops_server.py"
    script.write_text(SERVER, encoding="utf-8")
    result, model = run_with(tmp_path, [{"name": "ops", "command": sys.executable, "args": [str(script)]}])

    offered = model.requests[0].tool_names
    assert "ops_get_deploys" in offered and "ops_delete_pod" not in offered
    assert "DB_POOL_MAX=8" in model.sent()
    assert f"{AGENT}:llm-pool-shrunk" in [f.id for f in result.findings]
    assert not result.errors and any("MCP server ops: 1 read-only tool" in n for n in result.notes)


def test_a_streamable_http_mcp_server_with_a_tool_filter(tmp_path: Path) -> None:
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "ops_http_server.py").write_text(SERVER, encoding="utf-8")
    try:
        import ops_http_server  # type: ignore[import-not-found]

        with ThreadedServer(ops_http_server.app()) as server:
            servers = [{"name": "ops", "url": f"{server.url}/mcp", "tool_filters": ["get_deploys"]}]
            result, model = run_with(tmp_path, servers)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ops_http_server", None)

    assert "ops_get_deploys" in model.requests[0].tool_names
    assert "ops_delete_pod" not in model.requests[0].tool_names
    assert f"{AGENT}:llm-pool-shrunk" in [f.id for f in result.findings]


TOKEN = "mcp-bearer-0f9e8d7c6b5a4"


def requiring_bearer(app: Any, seen: list[str]) -> Any:
    """`app` behind a check of `Authorization: Bearer TOKEN`: 401 without it."""

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            auth = dict(scope["headers"]).get(b"authorization", b"").decode()
            seen.append(auth)
            if auth != f"Bearer {TOKEN}":
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await app(scope, receive, send)

    return guarded


@pytest.fixture
def bearer_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A streamable-HTTP MCP server on loopback that wants a bearer token: its URL, and the
    Authorization headers it received."""
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "ops_bearer_server.py").write_text(SERVER, encoding="utf-8")
    seen: list[str] = []
    try:
        import ops_bearer_server  # type: ignore[import-not-found]

        with ThreadedServer(requiring_bearer(ops_bearer_server.app(), seen)) as server:
            yield f"{server.url}/mcp", seen
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ops_bearer_server", None)


def test_an_http_mcp_server_gets_its_bearer_header_from_the_environment(
    tmp_path: Path, bearer_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = bearer_server
    monkeypatch.setenv("OPS_MCP_AUTHORIZATION", f"Bearer {TOKEN}")
    servers = [{"name": "ops", "url": url, "headers_env": {"Authorization": "OPS_MCP_AUTHORIZATION"}}]
    result, model = run_with(tmp_path, servers)

    assert seen and all(h == f"Bearer {TOKEN}" for h in seen)
    assert "ops_get_deploys" in model.requests[0].tool_names
    assert f"{AGENT}:llm-pool-shrunk" in [f.id for f in result.findings]
    assert not result.errors and TOKEN not in result.model_dump_json()


@pytest.mark.filterwarnings(
    "ignore:coroutine 'MCPClient.stop.<locals>._set_close_event' was never awaited:RuntimeWarning"
)
def test_without_its_header_the_server_is_reported_and_the_agent_still_runs(
    tmp_path: Path, bearer_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = bearer_server
    monkeypatch.delenv("OPS_MCP_AUTHORIZATION", raising=False)
    unset = [{"name": "ops", "url": url, "headers_env": {"Authorization": "OPS_MCP_AUTHORIZATION"}}]
    scanner = ProbeScanner(probe_config(mcp_servers=unset), LOG, write_skills(tmp_path))
    scanner.llm_model = ScriptedModel([Output({"findings": []})])
    result = run_scanner(scanner, probe_context(), Budget.of(20))

    assert result.errors == (
        "MCP server ops unavailable: ConfigError: env var OPS_MCP_AUTHORIZATION for its headers is not set",
    )
    assert not seen  # nothing was sent without the header
    assert [f.id for f in result.findings] == [f"{AGENT}:errors:/app/orders"]

    monkeypatch.setenv("OPS_MCP_AUTHORIZATION", "Bearer wrong-token")
    scanner.llm_model = ScriptedModel([Output({"findings": []})])
    result = run_scanner(scanner, probe_context(), Budget.of(20))
    assert len(result.errors) == 1 and result.errors[0].startswith("MCP server ops unavailable")
    assert seen and "wrong-token" not in result.errors[0]


# strands' MCPClient.start() cleans up after a failed start by creating a coroutine on a loop that
# is no longer running; the warning is the library's, raised inside its own start().
@pytest.mark.filterwarnings(
    "ignore:coroutine 'MCPClient.stop.<locals>._set_close_event' was never awaited:RuntimeWarning"
)
def test_an_mcp_server_that_fails_to_start_is_reported_and_the_agent_still_runs(tmp_path: Path) -> None:
    missing = {"name": "ops", "command": str(tmp_path / "no-such-server")}
    scanner = ProbeScanner(probe_config(mcp_servers=[missing]), LOG, write_skills(tmp_path))
    pool = {
        "slug": "timeouts",
        "severity": "warning",
        "title": "Upstream timeouts on GET /orders",
        "evidence": [
            {"kind": "log_line", "reference": "/app/orders", "excerpt": "GET /orders 500 upstream timeout"}
        ],
    }
    scanner.llm_model = ScriptedModel(
        [ToolCall("search_logs", {"pattern": "timeout"}), Output({"findings": [pool]})]
    )
    result = run_scanner(scanner, probe_context(), Budget.of(20))

    assert any(e.startswith("MCP server ops unavailable") for e in result.errors)
    assert f"{AGENT}:llm-timeouts" in [f.id for f in result.findings]
