"""`sre-on-call investigate`: one investigation against whatever the environment configures.

Scanners are reached as config.yaml says (local ports, or AgentCore runtime ARNs from the env), or,
when a sandbox is running (`sre-on-call sandbox up` wrote its state file) and nothing else says
where the agents are, at the sandbox's own ports with the sandbox's config. Before anything else the
local agents are asked whether they are up: none answering is a clear error (exit 2), not a report
that says "cause unknown". The chat platform comes from the env (tokens, base URLs). The report is
printed when it is posted, by the deadline (`--deadline` shortens it and stops waiting for late
results), and each late result is printed as it arrives (until the cutoff); everything is posted in
the channel unless `--no-post`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from agents.master.orchestrator import Investigator
from shared.a2a import client_from_config
from shared.a2a.client import ENV_AGENT_URLS, HttpTransport, transport_for
from shared.alerts.context import build_alert_context
from shared.chat import platform_from_env
from shared.chat.base import ChatPlatform, HistoryPage
from shared.config import AppConfig, load_config
from shared.contracts import AgentResult, AgentStatus, AlertContext, IncidentReport, Platform
from shared.errors import SreOnCallError
from shared.render import render_discord, render_json, render_markdown, render_slack


class PrintOnly:
    """A ChatPlatform that posts nowhere, for `--no-post`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        return thread_id or "0"

    def history(self, channel: str, **_: Any) -> HistoryPage:
        return HistoryPage()

    def replies(self, channel: str, thread_id: str, **_: Any) -> HistoryPage:
        return HistoryPage()

    def user_name(self, user_id: str) -> str:
        return user_id

    def channel_name(self, channel_id: str) -> str:
        return channel_id

    def channel_id(self, channel: str) -> str:
        return channel.lstrip("#")

    def permalink(self, channel: str, message_id: str) -> str:
        return ""


def format_report(report: IncidentReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "slack":
        return "\n\n".join(part.text for part in render_slack(report))
    if fmt == "discord":
        return "\n\n".join(render_discord(report))
    return render_markdown(report)


DEFAULT_SANDBOX_STATE = Path("build/sandbox.json")
PROBE_TIMEOUT_S = 2.0


def sandbox_state(path: Path | None, env: Mapping[str, str]) -> dict[str, Any] | None:
    """The running sandbox's state file: `path` when given (it must exist), else
    `build/sandbox.json` when it exists and the environment does not already say where agents are."""
    if path is None:
        if env.get(ENV_AGENT_URLS) or not DEFAULT_SANDBOX_STATE.is_file():
            return None
        path = DEFAULT_SANDBOX_STATE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SreOnCallError(f"{path}: no running sandbox's state there ({e})") from e
    if not isinstance(state, dict) or not isinstance(state.get("agents"), dict):
        raise SreOnCallError(f"{path}: not a sandbox state file (no 'agents')")
    return state


def unreachable_agents(config: AppConfig, env: Mapping[str, str]) -> dict[str, str]:
    """Scanners reached over HTTP that do not answer `/ping` (AgentCore runtimes are not probed):
    agent id -> where it was looked for."""
    missing: dict[str, str] = {}
    with httpx.Client(trust_env=False, timeout=PROBE_TIMEOUT_S) as http:
        for agent_id in config.scanners():
            transport = transport_for(config, agent_id, env)
            if not isinstance(transport, HttpTransport):
                continue
            try:
                http.get(f"{transport.base_url}/ping").raise_for_status()
            except httpx.HTTPError:
                missing[agent_id] = transport.base_url
    return missing


def run_investigate(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    state = sandbox_state(args.sandbox, env)
    config_file = args.config
    if state is not None:
        env[ENV_AGENT_URLS] = json.dumps(state["agents"])
        sandbox_config = Path(str(state.get("workdir", ""))) / "config.yaml"
        if config_file is None and sandbox_config.is_file():
            config_file = sandbox_config
        print(
            f"using the running sandbox's agents and config ({args.sandbox or DEFAULT_SANDBOX_STATE})",
            file=sys.stderr,
        )
    config = load_config(config_file)
    if args.deadline is not None:
        defaults = config.defaults.model_copy(
            update={"deadline_seconds": args.deadline, "late_cutoff_seconds": args.deadline}
        )
        config = config.model_copy(update={"defaults": defaults})

    missing = unreachable_agents(config, env)
    if missing and len(missing) == len(config.scanners()):
        where = ", ".join(f"{agent} at {url}" for agent, url in missing.items())
        raise SreOnCallError(
            f"no agent is reachable ({where}): start them with `sre-on-call sandbox up` (the embedded "
            "sandbox) or `sre-on-call serve <agent>` for each agent, or set SRE_AGENT_URLS"
        )
    for agent, url in missing.items():
        print(
            f"warning: {agent} does not answer at {url}; the report will show it as failed", file=sys.stderr
        )

    def chat_for(name: str) -> ChatPlatform:
        return PrintOnly(name) if args.no_post else platform_from_env(name, config)

    ctx = build_alert_context(
        platform=Platform(args.platform),
        channel=args.channel,
        text=args.text,
        thread_id=args.thread,
        received_at=datetime.now(UTC),
        window_minutes=config.defaults.investigation_window_minutes,
        cluster_default=config.sources.eks.cluster,
        region=config.sources.aws.region,
    )
    investigator = Investigator(config=config, client=client_from_config(config, env), chat_for=chat_for)
    asyncio.run(investigate_and_print(investigator, ctx, args.format))
    return 0


async def investigate_and_print(investigator: Investigator, ctx: AlertContext, fmt: str) -> IncidentReport:
    """Print the report as soon as it is posted (by the deadline), then each late update as it
    arrives, until every agent has answered or the cutoff; return the last version of the report."""
    background: set[asyncio.Task[None]] = set()
    latest: list[IncidentReport] = []

    def print_update(late: AgentResult, report: IncidentReport, text: str) -> None:
        latest.append(report)
        if fmt == "json":
            print(render_json(report), flush=True)
        else:
            print(f"\n--- late result from {late.agent} ---\n{text}", flush=True)

    report = await investigator.investigate(ctx, background=background, on_update=print_update)
    print(format_report(report, fmt), flush=True)
    waiting = [run.name for run in report.agents if run.status is AgentStatus.TIMEOUT]
    if background and waiting:
        print(
            f"waiting for late results from {', '.join(waiting)} (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
    await asyncio.gather(*background)
    return latest[-1] if latest else report
