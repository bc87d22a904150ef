"""An HTTP MCP server's headers come from env vars named in config; config never holds the value."""

from __future__ import annotations

import pytest

from agents.llm.mcp import server_headers
from shared.config import McpServer
from shared.errors import ConfigError
from shared.logsetup import secret_names
from tests.support.llm_scanner import probe_config

OPS = {"name": "ops", "url": "https://mcp.internal/mcp"}


def test_header_values_are_read_from_the_named_env_vars() -> None:
    server = McpServer(**OPS, headers_env={"Authorization": "OPS_AUTH", "X-Tenant": "OPS_TENANT"})
    env = {"OPS_AUTH": "Bearer t0ken", "OPS_TENANT": "acme"}
    assert server_headers(server, env) == {"Authorization": "Bearer t0ken", "X-Tenant": "acme"}
    assert server_headers(McpServer(**OPS), env) is None


def test_an_unset_variable_is_named_and_its_header_not_sent() -> None:
    server = McpServer(**OPS, headers_env={"Authorization": "OPS_AUTH"})
    with pytest.raises(ConfigError, match="OPS_AUTH"):
        server_headers(server, {})


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({**OPS, "headers_env": {"Authorization": "Bearer abc123"}}, "not the value"),
        ({**OPS, "headers_env": {"Bad Header": "OPS_AUTH"}}, "not an HTTP header name"),
        (
            {"name": "ops", "command": "ops-mcp", "headers_env": {"Authorization": "OPS_AUTH"}},
            "only to a url",
        ),
    ],
)
def test_config_rejects_a_secret_written_in_place_and_misplaced_headers(
    entry: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        McpServer.model_validate(entry)


def test_the_log_scrubber_masks_header_values() -> None:
    config = probe_config(mcp_servers=[{**OPS, "headers_env": {"Authorization": "OPS_AUTH"}}])
    assert "OPS_AUTH" in secret_names(config)
