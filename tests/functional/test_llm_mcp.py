"""MCP servers from an agent's config entry, for real: a stdio child process and a streamable-HTTP
server on loopback. Only read-only tools reach the model; a server that cannot start is reported
and the agent still runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from agents.base import Budget
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
    return scanner.run(probe_context(), Budget.of(30)), scanner.llm_model


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
    result = scanner.run(probe_context(), Budget.of(20))

    assert any(e.startswith("MCP server ops unavailable") for e in result.errors)
    assert f"{AGENT}:llm-timeouts" in [f.id for f in result.findings]
