"""The master agent: takes an `AlertContext`, runs one investigation, returns the `IncidentReport`.

Card: the orchestrator of sre-on-call. It fans out to every enabled scanner over A2A, posts the
report by the deadline in the alert's thread, and posts late results as updates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from agents.master.archive import archive_from_env
from agents.master.metrics import metrics_from_env
from agents.master.orchestrator import Investigator
from agents.master.outbox import outbox_from_env
from shared.a2a import client_from_config
from shared.chat import platform_from_env
from shared.chat.nowhere import NowhereChat
from shared.config import AppConfig
from shared.contracts import AlertContext, Platform
from shared.errors import BadRequest
from shared.ledger import ledger_from_env

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Orchestrates an on-call investigation: fans the alert out to every scanner in parallel, "
    "posts a deadline-bounded incident report in the alert's thread, and late results as updates."
)
SKILLS = [
    ("investigate", "Investigate an alert", "Run a full investigation of one alert and post the report.")
]


def build(config: AppConfig) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """The A2A handler of the master: `{"alert": AlertContext}` in, `{"report": IncidentReport}` out."""
    investigator = Investigator(
        config=config,
        client=client_from_config(config),
        chat_for=lambda name: platform_from_env(name, config),
        archive=archive_from_env(os.environ),
        metrics=metrics_from_env(os.environ),
        ledger=ledger_from_env(config),
        outbox=outbox_from_env(config),
    )
    background: set[asyncio.Task[None]] = set()
    for_context = by_mode(investigator)

    async def handle(data: dict[str, Any]) -> dict[str, Any]:
        if "alert" not in data:
            raise BadRequest("the request carries no 'alert' (an AlertContext)")
        ctx = AlertContext.model_validate(data["alert"])
        investigator = for_context(ctx)
        if ctx.platform is Platform.A2A:
            # Asked over A2A in plain text: the report is the answer, posted in no channel.
            investigator = dataclasses.replace(investigator, chat_for=lambda _name: NowhereChat())
        report = await investigator.investigate(ctx, background=background)
        return {"report": report.model_dump(mode="json")}

    return handle


def by_mode(investigator: Investigator) -> Callable[[AlertContext], Investigator]:
    """The investigator for a context: a snapshot runs under `config.for_mode("snapshot")` (its own,
    shorter deadline: Slack's user was promised the snapshot within 30 s), the rest as configured."""
    snapshot = dataclasses.replace(investigator, config=investigator.config.for_mode("snapshot"))
    return lambda ctx: snapshot if ctx.mode == "snapshot" else investigator
