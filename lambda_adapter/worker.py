"""Runs a job after the ack: read the alert message, start the thread, build the `AlertContext`,
hand it to the master; or post one line in a thread. A job that fails releases its dedup claims
(the next delivery of the alert investigates) and says so in the thread; then it returns False,
or, with `raise_failures` (Lambda, where the failed invocation goes to the dead-letter queue and
the Errors alarm), raises `JobError`. A job that runs again (a redrive, an async retry) first
takes its claims back, and stops if another delivery took them meanwhile: never two investigations.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from lambda_adapter import keys
from lambda_adapter.classify import Kind, LlmClassifier, Verdict, chatter_reply, classify, should_investigate
from lambda_adapter.dedup import (
    RAN,
    STARTED,
    Claim,
    DedupStore,
    Record,
    claim_all,
    get_many,
    release_all,
    remember_thread,
    start_run,
)
from lambda_adapter.dispatch import Dispatcher, ReportingDispatcher
from lambda_adapter.events import plain_slack_text
from lambda_adapter.followup import InteractionResponder, ResponseUrlPoster, SlackResponseUrl
from lambda_adapter.handoff import HandOffWatch
from lambda_adapter.jobs import AnyJob, InteractionRef, InvestigateJob, ReplyJob, Scheduler, WatchJob
from lambda_adapter.settings import ALERT_GROUP_SECONDS, SNAPSHOT_WINDOW_SECONDS, IntakeSettings
from shared.chat.base import ChatMessage, ChatPlatform
from shared.contracts import AlertContext
from shared.errors import SourceError, SreOnCallError
from shared.ledger import Ledger, NoLedger

logger = logging.getLogger(__name__)

ChatFor = Callable[[str], ChatPlatform]
LATEST_ALERT_SCAN = 25
HAND_OFF_FAILED = (
    "I could not start the investigation of this alert; send it again (or react again) to retry."
)
HAND_OFF_RETRYING = "I could not reach the investigator just now; retrying shortly."
NOT_IN_CHANNEL_HINT = (
    "_I am not a member of this channel, so this came back through your command: "
    "`/invite` me to get reports in threads here._"
)
NOT_IN_CHANNEL = "I cannot post in this channel. `/invite` me here, then run the command again."
DISCORD_NOT_IN_CHANNEL_HINT = (
    "-# I cannot post in this channel, so this came back through your command: give my role "
    "View Channel, Send Messages and Send Messages in Threads here to get reports in threads."
)
DISCORD_NOT_IN_CHANNEL = (
    "I cannot post in this channel. Give my role View Channel, Send Messages and Send Messages "
    "in Threads here, then run the command again."
)
# Slack's codes for "the bot cannot post there": then a snapshot goes back through response_url.
CANNOT_POST = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")
# Discord's: Unknown Channel, Missing Access, Missing Permissions, archived thread. Then a
# snapshot goes back through the interaction's webhook.
DISCORD_CANNOT_POST = (10003, 50001, 50013, 50083)


def cannot_post(error: SourceError) -> bool:
    code = getattr(error, "code", None)  # `DiscordApiError`'s JSON error code
    if isinstance(code, int):
        return code in DISCORD_CANNOT_POST
    return any(code in str(error) for code in CANNOT_POST)


class JobFailed(Exception):
    """A step of a job failed; the message is the one line posted for people."""


class JobError(SreOnCallError):
    """A job could not do its work (its claims were released, people told): an outage to alarm on."""


def build_context(job: InvestigateJob, settings: IntakeSettings) -> AlertContext:
    from shared.alerts.context import build_alert_context

    alert = job.alert
    ctx = build_alert_context(
        platform=alert.platform,
        channel=alert.channel,
        text=alert.text,
        thread_id=alert.thread_id,
        labels=alert.labels,
        annotations=alert.annotations,
        received_at=alert.received_at,
        starts_at=alert.starts_at,
        generator_url=alert.generator_url,
        window_minutes=settings.window_minutes,
        cluster_default=settings.cluster_default,
        region=settings.region,
        investigation_id=alert.investigation_id,
        operator_notes=alert.operator_notes,
    )
    return ctx if alert.mode == ctx.mode else ctx.model_copy(update={"mode": alert.mode})


@dataclass
class Worker:
    settings: IntakeSettings
    dedup: DedupStore
    dispatcher: Dispatcher
    chat_for: ChatFor
    responder: InteractionResponder | None = None
    llm: LlmClassifier | None = None
    clock: Callable[[], float] = time.time
    # How long a reply waits for a thread another job is still creating.
    thread_wait_seconds: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    # Lambda: raise `JobError` on a failure, so the invocation fails (dead-letter queue, alarm).
    raise_failures: bool = False
    response_poster: ResponseUrlPoster = field(default_factory=SlackResponseUrl)
    # Where the master records its progress (the dedup table), and where watches are scheduled:
    # with both, a hand-off whose master stops is handed off again (`handoff.py`).
    ledger: Ledger = field(default_factory=NoLedger)
    scheduler: Scheduler | None = None
    handoff: HandOffWatch = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.handoff = HandOffWatch(
            settings=self.settings,
            ledger=self.ledger,
            dedup=self.dedup,
            dispatcher=self.dispatcher,
            chat_for=self.chat_for,
            scheduler=self.scheduler,
            clock=lambda: self.clock(),
            sleep=lambda seconds: self.sleep(seconds),
            say=self._say,
        )

    def bind_scheduler(self, scheduler: Scheduler) -> None:
        """Where watches go (the scheduler is usually built around this worker)."""
        self.scheduler = self.handoff.scheduler = scheduler

    def run(self, job: AnyJob) -> bool:
        """Run one job; True when it did what it was for."""
        try:
            if isinstance(job, InvestigateJob):
                return self._investigate(job)
            if isinstance(job, WatchJob):
                return self.handoff.run(job)
            return self._reply(job)
        except JobError:
            if self.raise_failures:
                raise
            return False
        except Exception as e:  # a job runs detached: nothing above it would see the error
            logger.exception("job=<%s>, error=<%s> | job failed", job.kind, type(e).__name__)
            if self.raise_failures:
                raise JobError(f"the {job.kind} job failed: {type(e).__name__}") from e
            return False

    def _hold(self, job: InvestigateJob) -> InvestigateJob | None:
        """The job, holding its run and its claims; None when it must not run: it ran already (a
        redrive of a job that worked), or another delivery took the alert after a failed run
        released it. The first run marks the ack's first claim (`start_run`: one call); a run that
        finds it released claims a run key and takes the claims back. A failed run releases the
        marked claim and the run key with the others, so a retry proceeds."""
        alert = job.alert
        record = Record(alert.investigation_id, job.chat, alert.channel, alert.thread_id)
        now = self.clock()
        # The usual case in one call: the ack's first claim is still this investigation's and no
        # run marked it (released claims go together, so the others are still held too).
        found = start_run(self.dedup, job.claims[0], alert.investigation_id, now=now) if job.claims else None
        if found == RAN:
            logger.info("investigation=<%s> | this job already ran; not run again", alert.investigation_id)
            return None
        if found == STARTED:
            return job
        run_key = keys.job_run(alert.investigation_id)
        ttl = max((self._ttl(key) for key in job.claims), default=self.settings.delivery_seconds)
        if not self.dedup.claim(run_key, record, ttl_seconds=ttl, now=now).won:
            logger.info("investigation=<%s> | this job already ran; not run again", alert.investigation_id)
            return None
        # The claims the ack made are read back in one call; only those no longer held (a failed
        # run released them) are claimed again.
        held = get_many(self.dedup, job.claims)
        ours = {
            key: Claim(False, key, rec)
            for key, rec in held.items()
            if rec is not None and rec.expires_at >= now and rec.investigation_id == alert.investigation_id
        }
        lead = _storm_lead(job)
        wanted = [
            (key, replace(record, lead=lead) if lead and key.startswith("storm:") else record, self._ttl(key))
            for key in job.claims
            if key not in ours
        ]
        claims = {
            **ours,
            **dict(zip([k for k, _r, _t in wanted], claim_all(self.dedup, wanted, now), strict=True)),
        }
        taken = [run_key, *(key for key, claim in claims.items() if claim.won)]
        for key, claim in claims.items():
            if not claim.won and (
                claim.existing is None or claim.existing.investigation_id != alert.investigation_id
            ):
                release_all(self.dedup, taken)
                logger.info(
                    "investigation=<%s>, key=<%s> | another delivery holds the alert now; not run again",
                    alert.investigation_id,
                    key,
                )
                return None
        if found is not None:  # a later redrive finds the claims it took back marked
            start_run(self.dedup, job.claims[0], alert.investigation_id, now=now)
        return job.model_copy(update={"claims": (*job.claims, run_key)})

    def _ttl(self, key: str) -> float:
        if key.startswith("delivery:"):
            return self.settings.delivery_seconds
        if key.startswith("am-group:"):
            return ALERT_GROUP_SECONDS
        if key.startswith("storm:"):
            return self.settings.storm_window_seconds
        if key.startswith("snapshot:"):
            return SNAPSHOT_WINDOW_SECONDS
        return self.settings.dedup_window_seconds

    # ------------------------------------------------------------------------------ investigate

    def _investigate(self, job: InvestigateJob) -> bool:
        alert = job.alert
        thread = alert.thread_id
        chat: ChatPlatform | None = None
        handing_off = False
        try:
            held = self._hold(job)
        except Exception as e:
            # The ack path decided already; the run key only stops a redrive from running twice.
            # An alert is never dropped because the store failed after its ack.
            logger.error(
                "investigation=<%s>, error=<%s> | dedup store failed; investigating without the run key",
                alert.investigation_id,
                type(e).__name__,
            )
            held = job
        if held is None:
            return True
        job = held
        try:
            chat = self.chat_for(job.chat)
            if job.recheck:
                verdict = should_investigate(
                    Verdict(Kind.UNSURE, "unsure"), addressed=job.addressed, llm=self.llm, text=alert.text
                )
                if verdict.kind is not Kind.ALERT:
                    release_all(self.dedup, job.claims)
                    if job.addressed:
                        reply = chatter_reply(alert.text, reaction=self.settings.trigger_reaction)
                        chat.post(alert.channel, reply, thread_id=thread)
                    return True
            if job.fetch_message:
                message = find_message(chat, alert.channel, job.fetch_message)
                if message is None:
                    raise JobFailed("I could not read that message, so I did not start an investigation.")
                # A reply's report goes to its thread (Slack threads do not nest).
                thread = message.thread_id or message.id
                job = _with_alert(job, text=_message_text(chat.name, message), thread_id=thread)
            elif job.latest_alert:
                message = self._latest_alert(chat, alert.channel)
                if message is None:
                    raise JobFailed(
                        f"I found no alert in the last {LATEST_ALERT_SCAN} messages here. "
                        "Use `/investigate text:` with the alert, or the message's Investigate action."
                    )
                claim = self.dedup.claim(
                    keys.message(chat.name, alert.channel, message.id),
                    Record(alert.investigation_id, job.chat, alert.channel, message.id),
                    ttl_seconds=self.settings.dedup_window_seconds,
                    now=self.clock(),
                )
                if not claim.won:
                    self._complete(job.interaction, "That alert is already being investigated.")
                    return True
                thread = message.id
                job = _with_alert(job, text=_message_text(chat.name, message), thread_id=message.id)
                job = job.model_copy(
                    update={"claims": (*job.claims, claim.key), "records": (*job.records, claim.key)}
                )
            elif job.root_text:
                try:
                    thread = chat.post(alert.channel, job.root_text)
                except SourceError as e:
                    if not cannot_post(e):
                        raise
                    if job.response_url is not None:
                        return self._report_to_response_url(job, job.response_url)
                    if job.chat == "discord" and job.interaction is not None and self.responder is not None:
                        return self._report_to_interaction(job, job.interaction, self.responder)
                    raise
                job = _with_alert(job, thread_id=thread)
                job = self._claim_root(job, chat.name, thread)
            ctx = build_context(job, self.settings)
            if thread != alert.thread_id:
                # The ack wrote its records with the thread it knew (an alert message is its own
                # thread): only a thread found or started here is written again.
                # A storm record points at the first subject's record (its lead): members follow it.
                lead = _storm_lead(job)
                records = tuple(key for key in job.records if not (lead and key.startswith("storm:")))
                self._remember_thread(records, job.chat, alert.channel, thread, alert.investigation_id)
            self.handoff.begin(ctx.investigation_id)
            handing_off = True
            self.dispatcher.dispatch(ctx)
        except Exception as e:
            if handing_off and self.handoff.enabled:
                # The watch hands it off again when the lease ends: the claims stay held.
                logger.error(
                    "investigation=<%s>, error=<%s> | hand-off failed; retrying when its lease ends",
                    alert.investigation_id,
                    type(e).__name__,
                )
                self.handoff.first(ctx.model_dump(mode="json"), job.chat, job.claims, job.interaction)
                self._say(chat, alert.channel, thread, HAND_OFF_RETRYING, None)
                return True
            release_all(self.dedup, job.claims)
            note = str(e) if isinstance(e, JobFailed) else HAND_OFF_FAILED
            logger.error(
                "investigation=<%s>, error=<%s> | hand-off failed, claims released",
                alert.investigation_id,
                type(e).__name__,
            )
            self._say(chat, alert.channel, thread, note, job.interaction)
            if isinstance(e, JobFailed):
                return False
            raise JobError(
                f"investigation {alert.investigation_id} was not handed off: {type(e).__name__}"
            ) from e
        logger.info(
            "investigation=<%s>, platform=<%s>, mode=<%s> | investigation handed to the master",
            ctx.investigation_id,
            ctx.platform.value,
            ctx.mode,
        )
        self.handoff.first(ctx.model_dump(mode="json"), job.chat, job.claims, job.interaction)
        where = "in this thread" if thread else "in this channel"
        noun = "snapshot" if alert.mode == "snapshot" else "investigation"
        self._complete(job.interaction, f"Started the {noun}; the report follows {where}.")
        return True

    def _report_to_response_url(self, job: InvestigateJob, url: str) -> bool:
        """The bot cannot post in this channel: the snapshot's report goes through the slash
        command's response_url, with how to let the bot in."""
        return self._report_out_of_channel(
            job,
            route="response_url",
            refuse=lambda: self.response_poster.post(url, NOT_IN_CHANNEL),
            deliver=lambda text: self.response_poster.post(url, f"{text}\n\n{NOT_IN_CHANNEL_HINT}"),
        )

    def _report_to_interaction(
        self, job: InvestigateJob, interaction: InteractionRef, responder: InteractionResponder
    ) -> bool:
        """The bot cannot post in this Discord channel: the snapshot's report goes through the
        interaction's webhook (the deferred reply, then follow-ups, each within Discord's 2000
        characters), with how to let the bot in."""

        def deliver(text: str) -> None:
            from shared.render.discord import split_messages

            messages = split_messages(f"{text}\n\n{DISCORD_NOT_IN_CHANNEL_HINT}")
            responder.deliver(interaction.application_id, interaction.token, messages)

        return self._report_out_of_channel(
            job,
            route="interaction",
            refuse=lambda: self._complete(interaction, DISCORD_NOT_IN_CHANNEL),
            deliver=deliver,
        )

    def _report_out_of_channel(
        self,
        job: InvestigateJob,
        *,
        route: str,
        refuse: Callable[[], object],
        deliver: Callable[[str], object],
    ) -> bool:
        """Run the snapshot to its end and hand its report text to `deliver`; without a
        dispatcher that can wait for reports, `refuse` says so and the claims are released."""
        ctx = build_context(job, self.settings)
        if not isinstance(self.dispatcher, ReportingDispatcher):
            refuse()
            release_all(self.dedup, job.claims)
            return False
        logger.info(
            "investigation=<%s>, route=<%s> | the bot cannot post in the channel; the report goes there",
            ctx.investigation_id,
            route,
        )
        deliver(self.dispatcher.report(ctx, timeout_s=self.settings.snapshot_deadline_seconds + 30))
        return True

    def _claim_root(self, job: InvestigateJob, platform: str, thread: str) -> InvestigateJob:
        """The root message we posted is the alert's message now: a mention in its thread finds
        the investigation instead of starting another from our own text."""
        alert = job.alert
        key = keys.message(platform, alert.channel, thread)
        try:
            claim = self.dedup.claim(
                key,
                Record(alert.investigation_id, job.chat, alert.channel, thread),
                ttl_seconds=self.settings.dedup_window_seconds,
                now=self.clock(),
            )
        except Exception as e:
            logger.error("key=<%s>, error=<%s> | could not claim the root message", key, type(e).__name__)
            return job
        if not claim.won:
            return job
        return job.model_copy(update={"claims": (*job.claims, key)})

    def _latest_alert(self, chat: ChatPlatform, channel: str) -> ChatMessage | None:
        page = chat.history(channel, limit=LATEST_ALERT_SCAN)
        for message in page.messages:  # newest first
            if classify(_message_text(chat.name, message)).kind is Kind.ALERT:
                return message
        return None

    def _remember_thread(
        self,
        record_keys: tuple[str, ...],
        platform: str,
        channel: str,
        thread: str | None,
        investigation_id: str,
    ) -> None:
        if not thread:
            return
        try:
            for key in record_keys:
                record = Record(investigation_id, platform, channel, thread)
                remember_thread(self.dedup, key, record, now=self.clock())
        except Exception as e:  # only later notes lose their way to the thread; the alert goes on
            logger.error(
                "investigation=<%s>, error=<%s> | could not record the thread",
                investigation_id,
                type(e).__name__,
            )

    # ------------------------------------------------------------------------------------ reply

    def _reply(self, job: ReplyJob) -> bool:
        chat = self.chat_for(job.chat)
        thread = job.thread_id or (self._wait_for_thread(job.thread_from) if job.thread_from else None)
        if job.thread_from and thread is None:
            logger.warning(
                "key=<%s> | the thread to reply in is unknown; the note goes to the channel", job.thread_from
            )
        try:
            chat.post(job.channel, job.text, thread_id=thread)
        finally:
            release_all(self.dedup, job.release)  # a resolved group is free even if the post failed
        for key in job.records:
            held = self.dedup.get(key)
            if held is not None and thread:
                self.dedup.update(
                    key,
                    Record(held.investigation_id, held.platform, held.channel, thread, held.lead),
                    now=self.clock(),
                )
        self._complete(job.interaction, job.text)
        return True

    def _wait_for_thread(self, key: str) -> str | None:
        deadline = self.clock() + self.thread_wait_seconds
        delay = 0.05
        while True:
            thread = thread_of(self.dedup, key)
            if thread or self.clock() >= deadline:
                return thread
            self.sleep(delay)
            delay = min(delay * 2, 1.0)

    # ----------------------------------------------------------------------------------- output

    def _say(
        self,
        chat: ChatPlatform | None,
        channel: str,
        thread: str | None,
        text: str,
        interaction: InteractionRef | None,
    ) -> None:
        if interaction is not None:
            self._complete(interaction, text)
            return
        if chat is None:
            return
        try:
            chat.post(channel, text, thread_id=thread)
        except Exception as e:
            logger.warning("error=<%s> | could not post a note", type(e).__name__)

    def _complete(self, interaction: InteractionRef | None, text: str) -> None:
        if interaction is None or self.responder is None:
            return
        try:
            self.responder.complete(interaction.application_id, interaction.token, text)
        except Exception as e:
            logger.warning("error=<%s> | could not complete the discord interaction", type(e).__name__)


def _storm_lead(job: InvestigateJob) -> str | None:
    """The record the ack pointed the job's storm record at (its first subject), if any."""
    first = job.records[0] if job.records else None
    return first if first is not None and not first.startswith("storm:") else None


def thread_of(store: DedupStore, key: str) -> str | None:
    """The thread of the investigation under `key`, following a joined record to its lead."""
    record = store.get(key)
    if record is not None and not record.thread_id and record.lead and record.lead != key:
        record = store.get(record.lead)
    return record.thread_id if record else None


def find_message(chat: ChatPlatform, channel: str, message_id: str) -> ChatMessage | None:
    """One message of a channel, by id (a Slack ts carries its time; look around it). A reply inside
    a thread is not in the channel's history: then it is looked for among the thread's replies
    (Slack answers `conversations.replies` for a reply's ts with its whole thread)."""
    at = _ts_time(message_id)
    if at is not None:
        page = chat.history(
            channel, oldest=at - timedelta(seconds=1), latest=at + timedelta(seconds=1), limit=50
        )
    else:
        page = chat.history(channel, limit=100)
    found = next((m for m in page.messages if m.id == message_id), None)
    if found is None:
        found = next((m for m in chat.replies(channel, message_id).messages if m.id == message_id), None)
    return found


def _ts_time(message_id: str) -> datetime | None:
    """A Slack ts (`1712345678.000200`) as a time; None for other ids (Discord snowflakes)."""
    seconds, dot, _fraction = message_id.partition(".")
    if not dot or not seconds.isdigit():
        return None
    return datetime.fromtimestamp(int(seconds), UTC)


def _message_text(platform: str, message: ChatMessage) -> str:
    return plain_slack_text(message.text) if platform == "slack" else message.text


def _with_alert(job: InvestigateJob, **changes: object) -> InvestigateJob:
    return job.model_copy(update={"alert": job.alert.model_copy(update=changes)})
