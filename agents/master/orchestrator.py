"""One investigation, end to end: notice, fan-out, report by the deadline, late updates, archive.

The fan-out is plain code, not a model deciding to call tools: every enabled scanner is asked at
once, the report is posted by the deadline with whatever has arrived, and what arrives later is
posted as an update in the same thread until the cutoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agents.llm.narrative import narrate, narrative_reserve_s
from agents.master.archive import Archive, NoArchive
from agents.master.fanout import FanOut
from agents.master.metrics import Metrics, NoMetrics
from agents.master.synthesis import synthesize
from shared.a2a import A2AClient
from shared.chat.base import ChatPlatform
from shared.config import AppConfig
from shared.contracts import AgentResult, AlertContext, IncidentReport, Platform
from shared.render import posted_text, render_investigating, render_parts, render_update

logger = logging.getLogger(__name__)


def reply_platform(ctx: AlertContext) -> str:
    """Which chat platform the report goes to. Alertmanager alerts go to the channel the intake was
    told to use: Discord channel ids are numeric snowflakes, Slack ids are not."""
    if ctx.platform is Platform.ALERTMANAGER:
        return "discord" if ctx.channel.isdigit() else "slack"
    return ctx.platform.value


@dataclass
class Investigator:
    """Runs investigations for one master process. Stateless between investigations."""

    config: AppConfig
    client: A2AClient
    chat_for: Callable[[str], ChatPlatform]
    archive: Archive = field(default_factory=NoArchive)
    metrics: Metrics = field(default_factory=NoMetrics)

    async def investigate(
        self,
        ctx: AlertContext,
        *,
        background: set[asyncio.Task[None]] | None = None,
    ) -> IncidentReport:
        """Post the notice, fan out, post the report by the deadline and return it. Late results
        are posted by a follow-up task (kept in `background` when given, else awaited)."""
        started = time.monotonic()
        defaults = self.config.defaults
        scanners = self.config.scanners()
        chat = self.chat_for(reply_platform(ctx))
        thread = await self._post_notice(chat, ctx, list(scanners))

        fanout = FanOut(
            self.client,
            ctx,
            {agent_id: self.config.budget_for(agent_id) for agent_id in scanners},
            # With a model, the narrative needs its slice of the deadline after the harvest.
            deadline_s=defaults.deadline_seconds - narrative_reserve_s(self.config),
            cutoff_s=defaults.late_cutoff_seconds,
        )
        harvested = await fanout.harvest()
        results = dict(harvested)
        report = synthesize(ctx, list(results.values()), elapsed_ms=_ms_since(started))
        left = defaults.deadline_seconds - (time.monotonic() - started)
        report = await asyncio.to_thread(narrate, self.config, report, seconds=left)
        report, posted = await self._post_report(chat, ctx, thread, report)
        await asyncio.to_thread(self.metrics.record, report, posted=posted)
        self._archive(report)

        follow_up = asyncio.create_task(self._post_late(chat, ctx, thread, fanout, results, report))
        if background is None:
            await follow_up
        else:
            background.add(follow_up)
            follow_up.add_done_callback(background.discard)
        return report

    async def _post_notice(self, chat: ChatPlatform, ctx: AlertContext, agents: list[str]) -> str | None:
        notice = render_investigating(ctx, agents, self.config.defaults.deadline_seconds)
        try:
            message_id = await asyncio.to_thread(chat.post, ctx.channel, notice, thread_id=ctx.thread_id)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not post the notice", ctx.investigation_id, e
            )
            return ctx.thread_id
        # With no alert message to reply to (Alertmanager), the notice starts the thread.
        return ctx.thread_id or message_id

    async def _post_report(
        self, chat: ChatPlatform, ctx: AlertContext, thread: str | None, report: IncidentReport
    ) -> tuple[IncidentReport, bool]:
        """The report with the text that was posted, and whether every part reached the thread."""
        parts = render_parts(chat.name, report)
        report = report.model_copy(update={"posted_text": posted_text(parts)})
        for part in parts:
            try:
                await asyncio.to_thread(
                    chat.post, ctx.channel, part.text, thread_id=thread, blocks=part.blocks
                )
            except Exception as e:
                logger.error(
                    "investigation=<%s>, error=<%s> | could not post the report", ctx.investigation_id, e
                )
                return report, False
        return report, True

    async def _post_late(
        self,
        chat: ChatPlatform,
        ctx: AlertContext,
        thread: str | None,
        fanout: FanOut,
        results: dict[str, AgentResult],
        report: IncidentReport,
    ) -> None:
        async for late in fanout.late_results():
            results[late.agent] = late
            updated = synthesize(ctx, list(results.values()), elapsed_ms=report.telemetry.elapsed_ms)
            if report.telemetry.narrative == "model narrative":  # keep the model's grounded cause
                updated = updated.model_copy(update={"cause": report.cause})
            text = render_update(late, updated, previous=report)
            try:
                await asyncio.to_thread(chat.post, ctx.channel, text, thread_id=thread)
            except Exception as e:
                logger.warning(
                    "investigation=<%s>, error=<%s> | could not post a late update", ctx.investigation_id, e
                )
            report = updated.model_copy(update={"posted_text": report.posted_text})
            self._archive(report)

    def _archive(self, report: IncidentReport) -> None:
        try:
            self.archive.store(report)
        except Exception as e:  # the report is already posted; archiving is best effort
            logger.warning("investigation=<%s>, error=<%s> | archive failed", report.investigation_id, e)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
