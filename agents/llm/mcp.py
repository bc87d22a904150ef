"""MCP servers of an agent's config entry (`agents.<id>.mcp_servers`) as Strands tools.

Each server is started for one model session (stdio: a child process; `url`: streamable HTTP) and
stopped after it. An HTTP server's headers (`headers_env`: header name -> env var) are read from
the environment when it starts, so a bearer token never sits in config.yaml. A server that fails to
start is reported in the result and the agent runs with the rest. Only read-only tools are offered:
`tool_filters` lists the tools allowed (exact names); without it, tools whose names say they change
something (create, delete, exec ...) are dropped.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.config import McpServer
from shared.errors import ConfigError
from shared.redact import redact

logger = logging.getLogger(__name__)

WRITE_VERBS = re.compile(
    r"(?i)(^|[_\-.])(create|delete|remove|update|put|post|patch|apply|scale|restart|rollback|exec|"
    r"write|send|set|edit|drain|cordon|evict|terminate|kill|invoke|stop)([_\-.]|$)"
)
_ENV_REF = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


@dataclass
class McpTools:
    """The tools of the servers that started, and why the others did not."""

    tools: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for client in self.clients:
            try:
                client.stop(None, None, None)
            except Exception as e:  # a server that will not stop must not cost the result
                logger.warning("error=<%s> | could not stop an MCP client", e)
        self.clients.clear()


def server_env(server: McpServer) -> dict[str, str] | None:
    """The child's environment: the MCP SDK's safe defaults plus `env`, where a value written
    `${NAME}` is read from our environment (so secrets stay out of config.yaml)."""
    if not server.env:
        return None
    from mcp.client.stdio import get_default_environment

    env = get_default_environment()
    for key, value in server.env.items():
        ref = _ENV_REF.match(value)
        env[key] = os.environ.get(ref.group(1), "") if ref else value
    return env


def server_headers(server: McpServer, environ: Mapping[str, str] = os.environ) -> dict[str, str] | None:
    """The HTTP headers for `server`, each value read from the env var config names for it."""
    if not server.headers_env:
        return None
    missing = [env for env in server.headers_env.values() if not environ.get(env)]
    if missing:
        raise ConfigError(f"env var {', '.join(missing)} for its headers is not set")
    return {header: environ[env] for header, env in server.headers_env.items()}


def is_read_only(tool: Any) -> bool:
    return not WRITE_VERBS.search(str(getattr(getattr(tool, "mcp_tool", None), "name", "") or tool.tool_name))


def is_read_only_rejector(tool: Any, **_: Any) -> bool:
    """Tool filter: True (reject) for a tool whose name says it changes something."""
    return not is_read_only(tool)


def client_for(server: McpServer, startup_timeout_s: float) -> Any:
    from strands.tools.mcp import MCPClient

    allowed = list(server.tool_filters)
    filters: Any = {"allowed": allowed} if allowed else {"rejected": [is_read_only_rejector]}
    timeout = max(1, math.ceil(startup_timeout_s))
    if server.url:
        return MCPClient(
            url=server.url,
            headers=server_headers(server),
            startup_timeout=timeout,
            tool_filters=filters,
            prefix=server.name,
        )
    from mcp import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=server.command or "", args=list(server.args), env=server_env(server)
    )
    transport: Any = lambda: stdio_client(params)  # noqa: E731
    return MCPClient(transport, startup_timeout=timeout, tool_filters=filters, prefix=server.name)


def open_mcp(servers: Sequence[McpServer], *, time_left_s: float) -> McpTools:
    """Start every server (each within its startup timeout and the time left) and list its tools."""
    out = McpTools()
    for server in servers:
        timeout = min(server.startup_timeout_seconds, max(1.0, time_left_s))
        client = None
        try:
            client = client_for(server, timeout)
            client.start()
            out.clients.append(client)
            tools = list(client.list_tools_sync())
        except Exception as e:
            if client is not None and client in out.clients:
                out.clients.remove(client)
                _stop_quietly(client)
            reason = redact(f"{type(e).__name__}: {e}")[:300]
            logger.warning("mcp=<%s>, error=<%s> | MCP server unavailable", server.name, reason)
            out.errors.append(f"MCP server {server.name} unavailable: {reason}")
            continue
        out.tools.extend(tools)
        out.notes.append(f"MCP server {server.name}: {len(tools)} read-only tool(s)")
    return out


def _stop_quietly(client: Any) -> None:
    try:
        client.stop(None, None, None)
    except Exception as e:
        logger.debug("error=<%s> | MCP client stop failed", e)
