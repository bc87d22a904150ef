"""`sre-on-call investigate`: one investigation against whatever the environment configures.

Scanners are reached as config.yaml says (local ports, or AgentCore runtime ARNs from the env);
the chat platform comes from the env (tokens, base URLs). The report is printed, and posted in the
channel unless `--no-post`.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from agents.master.context import build_alert_context
from agents.master.orchestrator import Investigator
from shared.a2a import client_from_config
from shared.chat import platform_from_env
from shared.chat.base import ChatPlatform, HistoryPage
from shared.config import load_config
from shared.contracts import IncidentReport, Platform
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
    report = asyncio.run(investigator.investigate(ctx))
    print(format_report(report, args.format))
    return 0
