"""The only package that imports a2a-sdk. Everything else speaks our contracts."""

from shared.a2a.client import A2AClient, AgentCoreTransport, HttpTransport, client_from_config, session_id
from shared.a2a.server import AgentCardSpec, build_agent_app

__all__ = [
    "A2AClient",
    "AgentCardSpec",
    "AgentCoreTransport",
    "HttpTransport",
    "build_agent_app",
    "client_from_config",
    "session_id",
]
