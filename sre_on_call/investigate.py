"""`sre-on-call investigate`: one investigation against whatever the environment configures.

Scanners are reached as config.yaml says (local ports, or AgentCore runtime ARNs from the env);
the chat platform comes from the env (tokens, base URLs). The report is printed when it is posted,
by the deadline, and each late result is printed as it arrives (until the cutoff); everything is
posted in the channel unless `--no-post`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from agents.master.orchestrator import Investigator
from shared.a2a import client_from_config
from shared.alerts.context import build_alert_context
from shared.chat import platform_from_env
from shared.chat.base import ChatPlatform, HistoryPage
from shared.config import load_config
from shared.contracts import AgentResult, AgentStatus, AlertContext, IncidentReport, Platform
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


def run_investigate(args: argparse.Namespace) -> int:
    config = load_config(args.config)

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
    investigator = Investigator(config=config, client=client_from_config(config), chat_for=chat_for)
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
