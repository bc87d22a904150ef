"""One investigation, end to end: fan-out with the notice posted meanwhile, report by the deadline,
late updates, archive.

The fan-out is plain code, not a model deciding to call tools: every enabled scanner is asked at
once, the report is posted by the deadline with whatever has arrived, and what arrives later is
posted as an update in the same thread until the cutoff.

Everything the master posts goes through the outbox (`agents.master.outbox`, posted by
`agents.master.delivery`): the notice, the report, each late update and the graph of what moved are
written first, then posted with retries, each once per investigation even when two attempts run it
(the notice under the same key, Slack's message metadata or Discord's nonce, as the report). The
report, the updates and the graph retry until the late cutoff and make one final post past it; the
notice retries until the deadline and gives up as soon as the report goes out (it never holds the
report back, and never follows it).

A late update or the graph is written to the outbox (and listed in the report's entry) as soon as it
is made, before it waits its turn to be posted: a master that dies after the report leaves them
there, under a lease in the ledger that lapses, and the attempt the intake hands the investigation
to then posts them (`_resume`), once each.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.llm.narrative import narrate, narrative_reserve_s
from agents.master.archive import Archive, NoArchive
from agents.master.delivery import Delivery
from agents.master.fanout import FanOut
from agents.master.followup import MAX_ROUNDS, dependency_context
from agents.master.graph import GRAPH_SECONDS, RangeQuery, graph_png, metrics_query, moved_metrics
from agents.master.metrics import Metrics, NoMetrics
from agents.master.narration import Narration, master_model_name
from agents.master.outbox import Entry, MemoryOutbox, Outbox, Part, Upload, followup_id
from agents.master.progress import Progress
from agents.master.synthesis import synthesize
from shared.a2a import A2AClient
from shared.chat.base import ChatPlatform
from shared.config import AppConfig
from shared.contracts import AgentResult, AgentStatus, AlertContext, IncidentReport, Platform
from shared.ledger import Ledger, NoLedger
from shared.render import ActionSigner, posted_text, render_investigating, render_parts, render_update
from shared.render.markdown import render_json

logger = logging.getLogger(__name__)

MIN_FOLLOW_S = 1.0  # a second round with less time than this left before the deadline is skipped
NOTICE = "notice"  # the outbox names (`followup_id`) of the "investigating" notice and of the graph
GRAPH = "graph"


def reply_platform(ctx: AlertContext) -> str:
    """Which chat platform the report goes to. Alertmanager alerts go to the channel the intake was
    told to use: Discord channel ids are numeric snowflakes, Slack ids are not."""
    if ctx.platform is Platform.ALERTMANAGER:
        return "discord" if ctx.channel.isdigit() else "slack"
    return ctx.platform.value


Update = Callable[[AgentResult, IncidentReport, str], None]


@dataclass
class Investigator:
    """Runs investigations for one master process. Stateless between investigations."""

    config: AppConfig
    client: A2AClient
    chat_for: Callable[[str], ChatPlatform]
    archive: Archive = field(default_factory=NoArchive)
    metrics: Metrics = field(default_factory=NoMetrics)
    # The master's model for the narrative; None builds the one config.yaml names (tests inject one).
    narrator_model: Any | None = None
    # Where the intake watches the hand-off: a heartbeat while investigating, then the outcome.
    ledger: Ledger = field(default_factory=NoLedger)
    # Range queries for the graph of what moved; None reads Prometheus and CloudWatch as config.yaml says.
    graph_query: RangeQuery | None = None
    # Signs the report's acting buttons (silence, re-run); None reads the key config.yaml names.
    signer: ActionSigner | None = None
    # Where the report is written before it is posted (`agents.master.outbox`): a master handed an
    # investigation whose report is there posts what is left of it instead of investigating again.
    outbox: Outbox = field(default_factory=MemoryOutbox)
    # The Unix clock of the outbox's claims (shared with other masters); tests move it.
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if self.signer is None:
            key = os.environ.get(self.config.intake.actions.key_env, "")
            self.signer = ActionSigner(key) if key else None

    async def investigate(
        self,
        ctx: AlertContext,
        *,
        background: set[asyncio.Task[None]] | None = None,
        on_update: Update | None = None,
    ) -> IncidentReport:
        """Fan out, post the notice meanwhile, post the report by the deadline and return it. Late
        results are posted by a follow-up task (kept in `background` when given, else awaited),
        which calls `on_update(late_result, updated_report, posted_text)` after each update."""
        # Every clock runs from here: nothing the chat platform does may push the report late.
        started = time.monotonic()
        defaults = self.config.defaults
        deadline_s = defaults.deadline_seconds
        deadline_at = started + deadline_s
        cutoff_at = started + max(defaults.late_cutoff_seconds, deadline_s)
        scanners = self.config.scanners()
        chat = self.chat_for(reply_platform(ctx))
        written = await self._written(ctx.investigation_id)
        if written is not None:
            return await self._resume(chat, ctx, written, cutoff_at)

        fanout = FanOut(
            self.client,
            ctx,
            {agent_id: self.config.budget_for(agent_id) for agent_id in scanners},
            # With a model, the narrative needs its slice of the deadline after the harvest.
            deadline_s=deadline_s - narrative_reserve_s(self.config),
            cutoff_s=cutoff_at - started,
            started=started,
        )
        progress = self._progress(ctx)
        progress.start()
        fanout.start()
        # Abandoned once the report goes out: a notice still waiting to retry then gives up.
        noticing = self._delivery(chat, self.outbox, ctx, final_post=False)
        notice = asyncio.create_task(
            self._post_notice(noticing, ctx, list(scanners), deadline_s, deadline_at)
        )
        try:
            results = dict(await fanout.harvest())
            related = await self._follow(ctx, results, deadline_at)
            report, narration = await self._narrate(
                synthesize(ctx, list(results.values()), related=related), deadline_at
            )
            thread = await self._thread(ctx, notice, deadline_at)
            noticing.abandon()
            report, thread, posted = await self._post_report(chat, ctx, thread, report, started, cutoff_at)
        except BaseException as e:  # cancelled or failed: leave no call running until the cutoff
            notice.cancel()
            await fanout.cancel()
            if isinstance(e, Exception):
                await progress.finish(False, f"the investigation failed: {type(e).__name__}")
            else:
                await progress.stop()
            raise
        # What follows the report is leased in the ledger until it is all posted.
        await progress.finish(posted, "" if posted else "the report could not be posted", following=posted)
        await asyncio.to_thread(self.metrics.record, report, posted=posted)
        self._archive(report)

        parts = [
            self._post_late(
                chat, ctx, thread, fanout, results, report, narration, notice, on_update, cutoff_at, related
            )
        ]
        if posted:
            parts.append(self._post_graph(chat, ctx, thread, report, cutoff_at))
        follow_up = asyncio.create_task(self._follow_through(progress, parts))
        if background is None:
            await follow_up
        else:
            background.add(follow_up)
            follow_up.add_done_callback(background.discard)
        return report

    async def _follow_through(self, progress: Progress, parts: list[Any]) -> None:
        """Post what follows the report; the ledger's lease on it ends once all of it is posted (left
        to lapse otherwise: the intake hands off again what is left)."""
        try:
            outcomes = await asyncio.gather(*parts, return_exceptions=True)
        except BaseException:
            await progress.stop()
            raise
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                logger.warning("error=<%s> | posting what follows the report failed", type(outcome).__name__)
        await progress.followed(all(outcome is True for outcome in outcomes))

    def _progress(self, ctx: AlertContext) -> Progress:
        return Progress(
            self.ledger,
            ctx.investigation_id,
            self.config.intake.handoff_lease_seconds,
            attempt=ctx.attempt,
        )

    async def _written(self, investigation_id: str) -> Entry | None:
        """The investigation's report when an earlier attempt wrote it to the outbox."""
        try:
            return await asyncio.to_thread(self.outbox.get, investigation_id)
        except Exception as e:  # cannot tell: investigate (the thread is looked at before posting)
            logger.warning(
                "investigation=<%s>, error=<%s> | could not read the outbox",
                investigation_id,
                type(e).__name__,
            )
            return None

    async def _resume(
        self, chat: ChatPlatform, ctx: AlertContext, written: Entry, cutoff_at: float
    ) -> IncidentReport:
        """An earlier attempt wrote the report and died, or could not post it: post what is left of
        it (each part once), then what follows it that was written and not posted (late updates, the
        graph: each once), record the outcome, and return it."""
        inv = written.investigation_id
        logger.info(
            "investigation=<%s>, posted=<%d/%d>, followups=<%d> | the report is in the outbox; delivering it",
            inv,
            len(written.posted),
            len(written.parts),
            len(written.followups),
        )
        progress = self._progress(ctx)
        progress.start()
        try:
            thread, posted = await self._delivery(chat, self.outbox, ctx).deliver(written, cutoff_at)
        except BaseException:
            await progress.stop()
            raise
        await progress.finish(posted, "" if posted else "the report could not be posted", following=posted)
        report = IncidentReport.model_validate_json(written.report_json)
        if posted:
            try:
                done = await self._drain(chat, ctx, thread, report, cutoff_at)
            except BaseException:
                await progress.stop()
                raise
            await progress.followed(done)
            self._archive(report)
        return report

    async def _drain(
        self, chat: ChatPlatform, ctx: AlertContext, thread: str | None, report: IncidentReport, until: float
    ) -> bool:
        """Post what follows the report that an earlier attempt wrote and did not post, in the order
        it was written, and the graph of what moved when no attempt had written one (it died
        drawing it, or the report was not posted before); whether all of it is in the thread now."""
        written = await self._written(ctx.investigation_id)  # read again: the list may have grown
        followups = written.followups if written is not None else ()
        done = True
        for name in followups:
            entry = await self._written(followup_id(ctx.investigation_id, name))
            if entry is None or entry.delivered:
                continue
            logger.info(
                "investigation=<%s>, followup=<%s> | posting what was left", ctx.investigation_id, name
            )
            _thread, posted = await self._delivery(chat, self.outbox, ctx).deliver(entry, until)
            done = done and posted
        if GRAPH not in followups:
            done = await self._post_graph(chat, ctx, thread, report, until) and done
        return done

    async def _follow(
        self, ctx: AlertContext, results: dict[str, AgentResult], deadline_at: float
    ) -> tuple[AgentResult, ...]:
        """The narrower rounds (`followup`): while the cause runs through a dependency whose own cause
        is not known yet, the scanners that answered are asked about that dependency, one hop further
        each round (at most `followup.MAX_ROUNDS`), with what is left of the deadline (less the
        narrative's reserve). Nothing more when too little is left or the same thing would be asked."""
        related: list[AgentResult] = []
        asked_about: set[str] = set()
        for round_no in range(1, MAX_ROUNDS + 1):
            narrowed = dependency_context(ctx, list(results.values()), related, round_no)
            if narrowed is None or narrowed.hints.workload in asked_about:
                break
            asked_about.add(narrowed.hints.workload or "")
            answered = await self._ask(narrowed, results, deadline_at, round_no)
            if not answered:
                break
            related.extend(answered)
        return tuple(related)

    async def _ask(
        self, narrowed: AlertContext, results: dict[str, AgentResult], deadline_at: float, round_no: int
    ) -> tuple[AgentResult, ...]:
        """One narrower round about `narrowed`'s dependency: the answers that came in time."""
        left = deadline_at - narrative_reserve_s(self.config) - time.monotonic()
        scanners = self.config.scanners()
        asked = {
            agent_id: min(self.config.budget_for(agent_id), left)
            for agent_id, result in results.items()
            # An agent that found nothing about the target may well find the dependency.
            if agent_id in scanners and result.status in (AgentStatus.OK, AgentStatus.NO_DATA)
        }
        if left < MIN_FOLLOW_S or not asked:
            return ()
        logger.info(
            "investigation=<%s>, dependency=<%s>, round=<%d>, agents=<%d>, seconds=<%.1f> | narrower round",
            narrowed.investigation_id,
            narrowed.hints.workload,
            round_no,
            len(asked),
            left,
        )
        fanout = FanOut(self.client, narrowed, asked, deadline_s=left, cutoff_s=left)
        try:
            answered = await fanout.harvest()
        finally:
            await fanout.cancel()
        return tuple(r for r in answered.values() if r.status is AgentStatus.OK)

    async def _post_notice(
        self, delivery: Delivery, ctx: AlertContext, agents: list[str], deadline_s: float, deadline_at: float
    ) -> str | None:
        """Post "investigating" through the outbox (once per investigation: a retried master does
        not post it again); its retries end by the deadline, or when the report goes out (after
        that, the report says more). The thread it is in (the one it started when the alert has
        none), or None when it was not posted."""
        entry = Entry(
            investigation_id=followup_id(ctx.investigation_id, NOTICE),
            channel=ctx.channel,
            thread_id=ctx.thread_id,
            parts=(Part(render_investigating(ctx, agents, deadline_s)),),
            report_json="",
            created_at=self.clock(),
        )
        try:
            delivery.outbox, kept = await self._write(entry)
            thread, posted = await delivery.deliver(kept, deadline_at)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not post the notice", ctx.investigation_id, e
            )
            return None
        if not posted:
            logger.warning("investigation=<%s> | the notice was not posted", ctx.investigation_id)
            return None
        return thread

    async def _thread(
        self, ctx: AlertContext, notice: asyncio.Task[str | None], deadline_at: float
    ) -> str | None:
        """The thread the report goes to: the alert's, else the one the notice started (None: the
        report starts its own). The notice is waited for only when it starts the thread, and
        until the deadline, never after."""
        if ctx.thread_id:
            return ctx.thread_id
        if not notice.done():
            await asyncio.wait({notice}, timeout=max(0.0, deadline_at - time.monotonic()))
        if ctx.thread_id:
            return ctx.thread_id
        return notice.result() if notice.done() else None

    async def _narrate(
        self, report: IncidentReport, deadline_at: float
    ) -> tuple[IncidentReport, Narration | None]:
        """The report with the master's narrative when a model is configured, and what it added."""
        cfg = self.config.model_for(self.config.master_id)
        if self.narrator_model is None and cfg.provider == "none":
            return report, None
        began = time.monotonic()
        narrated = await asyncio.to_thread(
            narrate, self.config, report, seconds=deadline_at - began, model=self.narrator_model
        )
        narration = Narration.between(
            report,
            narrated,
            agent=self.config.master_id,
            model=master_model_name(cfg, self.narrator_model),
            seconds=time.monotonic() - began,
        )
        return narration.apply(report), narration

    async def _post_report(
        self,
        chat: ChatPlatform,
        ctx: AlertContext,
        thread: str | None,
        report: IncidentReport,
        started: float,
        until: float,
    ) -> tuple[IncidentReport, str | None, bool]:
        """The report with its total time and the text that was posted, the thread it is in, and
        whether every part reached the thread."""
        # The total covers everything up to the post itself: harvest, narrative and rendering.
        telemetry = report.telemetry.model_copy(update={"elapsed_ms": _ms_since(started)})
        report = report.model_copy(update={"telemetry": telemetry})
        parts = render_parts(chat.name, report, self.signer)
        report = report.model_copy(update={"posted_text": posted_text(parts)})
        entry = Entry(
            investigation_id=ctx.investigation_id,
            channel=ctx.channel,
            thread_id=thread,
            parts=tuple(Part(part.text, part.blocks) for part in parts),
            report_json=render_json(report),
            created_at=time.time(),
        )
        outbox, kept = await self._write(entry)
        if kept.report_json != entry.report_json:  # another attempt wrote its report first: that one
            report = IncidentReport.model_validate_json(kept.report_json)
        thread, posted = await self._delivery(chat, outbox, ctx).deliver(kept, until)
        return report, thread, posted

    async def _write(self, entry: Entry) -> tuple[Outbox, Entry]:
        """Write `entry` to the outbox (it outlives this process); the outbox and the entry kept (an
        earlier one of another attempt stands). An outbox that cannot be written must not cost the
        post: it is then kept in this process's memory."""
        try:
            return self.outbox, await asyncio.to_thread(self.outbox.put, entry)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not write the post to the outbox",
                entry.investigation_id,
                type(e).__name__,
            )
            memory = MemoryOutbox()
            return memory, memory.put(entry)

    def _delivery(
        self, chat: ChatPlatform, outbox: Outbox, ctx: AlertContext, *, final_post: bool = True
    ) -> Delivery:
        """A delivery of this attempt (`ctx.attempt`), fenced by the ledger: it does not post once a
        later attempt holds the investigation."""
        return Delivery(
            chat,
            outbox,
            clock=self.clock,
            lease_s=float(self.config.intake.handoff_lease_seconds),
            attempt=ctx.attempt,
            fence=self._fence(ctx),
            final_post=final_post,
        )

    def _fence(self, ctx: AlertContext) -> Callable[[], bool] | None:
        """Whether a later hand-off attempt than this one holds the investigation (None: no ledger
        to ask)."""
        if isinstance(self.ledger, NoLedger):
            return None
        ledger, inv, attempt = self.ledger, ctx.investigation_id, ctx.attempt

        def later() -> bool:
            entry = ledger.get(inv)
            return entry is not None and entry.attempt > attempt

        return later

    async def _write_followup(
        self, ctx: AlertContext, name: str, thread: str | None, part: Part
    ) -> tuple[Outbox, Entry]:
        """Write what follows the report (`name`: once per investigation) to the outbox, listed in
        the report's entry first (an attempt that picks the investigation up posts it)."""
        try:
            await asyncio.to_thread(self.outbox.follow, ctx.investigation_id, name)
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not list the post in the outbox",
                ctx.investigation_id,
                type(e).__name__,
            )
        entry = Entry(
            investigation_id=followup_id(ctx.investigation_id, name),
            channel=ctx.channel,
            thread_id=thread,
            parts=(part,),
            report_json="",
            created_at=self.clock(),
        )
        return await self._write(entry)

    async def _post_followup(
        self, chat: ChatPlatform, ctx: AlertContext, name: str, thread: str | None, part: Part, until: float
    ) -> bool:
        """Post what follows the report (`name`: once per investigation) through the outbox, as the
        report is: retried until the cutoff, one final post past it."""
        outbox, kept = await self._write_followup(ctx, name, thread, part)
        _thread, posted = await self._delivery(chat, outbox, ctx).deliver(kept, until)
        return posted

    async def _post_graph(
        self, chat: ChatPlatform, ctx: AlertContext, thread: str | None, report: IncidentReport, until: float
    ) -> bool:
        """The graph of what moved, uploaded to the report's thread by the cutoff; a line saying
        why when it is skipped (too little time left, no plotting library). Whether nothing is
        left to post."""
        if getattr(chat, "upload", None) is None or not moved_metrics(report):
            return True
        left = until - time.monotonic()
        made: tuple[bytes, str] | None = None
        skipped = ""
        if left < GRAPH_SECONDS:
            skipped = "📈 No graph of what moved: it would not be ready before the cutoff."
        else:
            try:
                query = self.graph_query or metrics_query(self.config)
                made = await asyncio.wait_for(
                    asyncio.to_thread(graph_png, report, query), timeout=left - GRAPH_SECONDS / 2
                )
            except ImportError:
                skipped = "📈 No graph of what moved: matplotlib is not installed (sre-on-call[graphs])."
            except TimeoutError:
                skipped = "📈 No graph of what moved: it was not ready before the cutoff."
            except Exception as e:  # the report stands without its picture
                logger.warning("investigation=<%s>, error=<%s> | no graph", ctx.investigation_id, e)
                return True
        if made is not None:
            png, alt = made
            part = Part("", file=Upload("what-moved.png", png, title="What moved", alt_text=alt))
        elif skipped:
            part = Part(skipped)
        else:
            return True
        if not await self._post_followup(chat, ctx, GRAPH, thread, part, until):
            logger.warning("investigation=<%s> | could not upload the graph", ctx.investigation_id)
            return False
        return True

    async def _post_late(
        self,
        chat: ChatPlatform,
        ctx: AlertContext,
        thread: str | None,
        fanout: FanOut,
        results: dict[str, AgentResult],
        report: IncidentReport,
        narration: Narration | None,
        notice: asyncio.Task[str | None],
        on_update: Update | None,
        until: float,
        related: tuple[AgentResult, ...] = (),
    ) -> bool:
        """Post each late result as an update; whether all of them are in the thread."""
        # Updates are posted in order by one task, so that a chat outage does not keep the late
        # results that arrive meanwhile (until the cutoff) from being gathered. Each is written to the
        # outbox as it arrives: a master that dies leaves it there for the next attempt.
        queue: asyncio.Queue[tuple[Outbox, Entry] | None] = asyncio.Queue()
        poster = asyncio.create_task(self._post_updates(chat, ctx, queue, until))
        try:
            async for late in fanout.late_results():
                results[late.agent] = late
                updated = synthesize(
                    ctx, list(results.values()), elapsed_ms=report.telemetry.elapsed_ms, related=related
                )
                if narration is not None:
                    updated = narration.apply(updated)
                text = render_update(late, updated, previous=report)
                queue.put_nowait(await self._write_followup(ctx, f"late-{late.agent}", thread, Part(text)))
                report = updated.model_copy(update={"posted_text": report.posted_text})
                self._archive(report)
                if on_update is not None:
                    on_update(late, report, text)
        except BaseException:  # cancelled: what is still queued is not posted
            poster.cancel()
            raise
        queue.put_nowait(None)
        done = await poster
        await notice  # a notice still in flight (slow chat API) finishes before the investigation does
        return done

    async def _post_updates(
        self,
        chat: ChatPlatform,
        ctx: AlertContext,
        queue: asyncio.Queue[tuple[Outbox, Entry] | None],
        until: float,
    ) -> bool:
        done = True
        while (item := await queue.get()) is not None:
            outbox, entry = item
            try:
                _thread, posted = await self._delivery(chat, outbox, ctx).deliver(entry, until)
            except Exception as e:  # the next update still goes
                logger.warning("investigation=<%s>, error=<%s> | late update failed", ctx.investigation_id, e)
                posted = False
            if not posted:
                logger.warning("investigation=<%s> | could not post a late update", ctx.investigation_id)
            done = done and posted
        return done

    def _archive(self, report: IncidentReport) -> None:
        try:
            self.archive.store(report)
        except Exception as e:  # the report is already posted; archiving is best effort
            logger.warning("investigation=<%s>, error=<%s> | archive failed", report.investigation_id, e)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
