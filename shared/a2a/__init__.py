"""A2A for sre-on-call: `client` (plain JSON-RPC, no SDK: the intake imports it on its cold path) and
`server` (the only module that imports a2a-sdk). Names resolve lazily so importing the client never
loads the server."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "A2AClient": "client",
    "AgentCoreTransport": "client",
    "HttpTransport": "client",
    "client_from_config": "client",
    "session_id": "client",
    "AgentCardSpec": "server",
    "build_agent_app": "server",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'shared.a2a' has no attribute {name!r}")
    return getattr(importlib.import_module(f"shared.a2a.{_WHERE[name]}"), name)
