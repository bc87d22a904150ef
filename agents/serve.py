"""Serve any agent in config.yaml as an A2A server: `python -m agents.serve <agent_id>`.

A scanner is an instance of a declared kind (`shared.plugins`), whose `build(config, agent_id)`
gives the `Scanner`; the master's folder gives `build(config) -> handler`. Both are served by the
same factory (`shared.a2a.build_agent_app`), with the LLM tier over the scanner when configured.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from agents.common.base import Budget, Scanner
from agents.llm.scanner_agent import run_scanner
from shared.a2a import AgentCardSpec, build_agent_app
from shared.config import AppConfig, load_config
from shared.contracts import AlertContext, Platform
from shared.errors import BadRequest, ConfigError
from shared.logsetup import configure_logging
from shared.plugins import load_kind
from shared.secrets import hydrate_secrets

logger = logging.getLogger(__name__)


STOP_SECONDS = 2  # how long an agent asked to stop lets its requests finish


def scanner_handler(config: AppConfig, agent_id: str, scanner: Scanner) -> Any:
    async def handle(data: dict[str, Any]) -> dict[str, Any]:
        if "alert" not in data:
            raise BadRequest("the request carries no 'alert' (an AlertContext)")
        try:
            ctx = AlertContext.model_validate(data["alert"])
            budget = float(data.get("budget_seconds") or config.budget_for(agent_id))
        except (ValueError, TypeError) as e:
            raise BadRequest(f"bad investigation request: {e}") from e
        # Scanners use synchronous clients (boto3, kubernetes, slack_sdk): one thread per request.
        result = await asyncio.to_thread(run_scanner, scanner, ctx, Budget.of(budget))
        return {"result": result.model_dump(mode="json")}

    return handle


def text_request(config: AppConfig) -> Callable[[str], dict[str, Any]]:
    """A plain text A2A message as a request: the text is the alert (every agent reads the same
    context from it as from a chat message); the report goes back to the caller only."""

    def from_text(text: str) -> dict[str, Any]:
        from shared.alerts.context import build_alert_context

        ctx = build_alert_context(
            platform=Platform.A2A,
            channel="a2a",
            text=text,
            received_at=datetime.now(UTC),
            window_minutes=config.defaults.investigation_window_minutes,
        )
        return {"alert": ctx.model_dump(mode="json")}

    return from_text


def build_app_for(config: AppConfig, agent_id: str, url: str = "") -> Any:
    if agent_id not in config.agents:
        raise ConfigError(f"agent {agent_id!r} is not in config.yaml (known: {', '.join(config.agents)})")
    settings = config.agents[agent_id]
    url = url or f"http://127.0.0.1:{settings.port}/"
    if settings.role == "master":
        module = importlib.import_module("agents.master.agent")
        handle = module.build(config)
        skills = list(getattr(module, "SKILLS", []))
        description = settings.description or module.DESCRIPTION
    else:
        kind = load_kind(config.kind_of(agent_id))
        scanner: Scanner = kind.builder()(config, agent_id)
        handle = scanner_handler(config, agent_id, scanner)
        description = settings.description or scanner.description or kind.description
        names = settings.skills or list(kind.default_skills)
        skills = [(skill, skill, f"{skill} skill of {agent_id}") for skill in names]
    card = AgentCardSpec(name=agent_id, description=description, url=url, skills=skills)
    return build_agent_app(card, handle, from_text=text_request(config))


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m agents.serve")
    parser.add_argument("agent")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--config", default=None)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    configure_logging(os.environ.get("SRE_LOG_LEVEL", "WARNING"), config)
    hydrate_secrets(config)
    port = args.port or config.agents[args.agent].port
    app = build_app_for(
        config, args.agent, url=os.environ.get("AGENTCORE_RUNTIME_URL", f"http://{args.host}:{port}/")
    )
    # Asked to stop, an agent stops within seconds: what a master leaves unposted is in the outbox,
    # and the intake's watch hands it to the next one; waiting on it would hold a shutdown forever.
    uvicorn.run(app, host=args.host, port=port, log_level="warning", timeout_graceful_shutdown=STOP_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
