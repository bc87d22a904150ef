"""At least once: a hand-off is not done when the master answers "submitted", but when the master
records the report in the ledger (`shared.ledger`). Until then a `WatchJob` looks again each time
the lease ends; an investigation whose master stopped (no heartbeat, no report) or failed is handed
off again, with a line in the thread saying so, and after the last attempt the thread says why it
could not be investigated and the alert's claims are released (sending it again starts afresh).

After the report, the watch goes on while what follows it (late updates, the graph, written to the
outbox) is under a lease of its own: a master that dies before posting it lets that lease lapse, and
the investigation is handed off again (`redeliver`; nothing said in the thread) to a master that posts
it from the outbox. Each hand-off carries its attempt number (`AlertContext.attempt`: fencing).

Without a shared ledger (no dedup table) nothing is watched: the intake cannot tell a dead master
from a slow one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lambda_adapter.dedup import DedupStore, release_all
from lambda_adapter.dispatch import Dispatcher
from lambda_adapter.jobs import InteractionRef, Scheduler, WatchJob
from lambda_adapter.settings import IntakeSettings
from shared.chat.base import ChatPlatform
from shared.ledger import DONE, FAILED, GIVEN_UP, HANDED_OFF, REPORTED, Entry, Ledger, NoLedger

if TYPE_CHECKING:
    from shared.contracts import AlertContext

logger = logging.getLogger(__name__)

# A watch never sleeps longer than this in one run (a Lambda copy's time is bounded); it looks again
# in a new run instead.
MAX_WATCH_SLEEP_S = 60.0
# Looks in a row that may fail to read the ledger before the watch stops.
MAX_MISSES = 10


def retry_note(reason: str, attempt: int, attempts: int) -> str:
    return f"The investigation stopped ({reason}); retrying (attempt {attempt} of {attempts})."


def gave_up_note(reason: str, attempts: int) -> str:
    tries = "one attempt" if attempts == 1 else f"{attempts} attempts"
    return (
        f"Could not investigate this alert: {reason} ({tries}). Send it again, or mention me here, "
        "to start a new investigation."
    )


@dataclass
class HandOffWatch:
    settings: IntakeSettings
    ledger: Ledger
    dedup: DedupStore
    dispatcher: Dispatcher
    chat_for: Callable[[str], ChatPlatform]
    scheduler: Scheduler | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    say: Callable[[ChatPlatform | None, str, str | None, str, InteractionRef | None], None]

    @property
    def enabled(self) -> bool:
        return (
            not isinstance(self.ledger, NoLedger)
            and self.scheduler is not None
            and self.settings.handoff_attempts > 1
        )

    def begin(self, investigation_id: str, attempt: int = 1) -> bool:
        """Record attempt `attempt` before it is handed off; False when another attempt took it. The
        first attempt is not written (one call fewer on the delivery path): its master's heartbeat
        creates the entry, and `run` takes an entry missing past the first lease for a master that
        never started."""
        if not self.enabled or attempt == 1:
            return True
        now = self.clock()
        try:
            return self.ledger.handed_off(
                investigation_id,
                attempt=attempt,
                lease_until=now + self.settings.handoff_lease_seconds,
                now=now,
            )
        except Exception as e:  # the investigation goes ahead, unwatched
            logger.error(
                "investigation=<%s>, error=<%s> | could not record the hand-off; not watched",
                investigation_id,
                type(e).__name__,
            )
            return attempt == 1

    def watch(self, job: WatchJob) -> None:
        """Look at `job.due` again (the scheduler runs it then; it sleeps here until then if not)."""
        if not self.enabled or self.scheduler is None:
            return
        self.scheduler.submit(job)

    def first(
        self,
        context: dict[str, object],
        chat: str,
        claims: tuple[str, ...],
        interaction: InteractionRef | None,
    ) -> None:
        if not self.enabled:
            return
        due = self.clock() + self.settings.handoff_lease_seconds + 1
        try:
            self.watch(
                WatchJob(
                    chat=chat,  # type: ignore[arg-type]
                    context=context,
                    due=due,
                    claims=claims,
                    interaction=interaction,
                )
            )
        except Exception as e:
            logger.error("error=<%s> | could not schedule the hand-off watch", type(e).__name__)

    def run(self, job: WatchJob) -> bool:
        from shared.contracts import AlertContext

        wait = job.due - self.clock()
        if wait > 0:
            self.sleep(min(wait, MAX_WATCH_SLEEP_S))
        ctx = AlertContext.model_validate(job.context)
        investigation_id = ctx.investigation_id
        try:
            entry = self.ledger.get(investigation_id)
        except Exception as e:
            if job.misses + 1 >= MAX_MISSES:
                logger.error(
                    "investigation=<%s> | the ledger stayed unreadable; not watched", investigation_id
                )
                return False
            logger.warning(
                "investigation=<%s>, error=<%s> | could not read the ledger; looking again later",
                investigation_id,
                type(e).__name__,
            )
            due = self.clock() + self.settings.handoff_lease_seconds
            self.watch(job.model_copy(update={"due": due, "misses": job.misses + 1}))
            return True
        now = self.clock()
        if entry is not None and entry.followups_until > 0 and entry.state == REPORTED:
            return self._follow(job, ctx, entry, now)
        if entry is None and job.attempt == 1 and self._still_claimed(job, investigation_id):
            # The first hand-off is not written: no entry past its lease, while the alert's claim is
            # still this investigation's, is a master that never started (`begin`); the watch first
            # looks when that lease has run out. No claim either (released, expired, the table
            # emptied): nothing to watch.
            entry = Entry(investigation_id, HANDED_OFF, lease_until=job.due - 1, attempt=1)
        if entry is None or entry.state in DONE:
            return True
        if not entry.lost(now):
            self.watch(job.model_copy(update={"due": max(entry.lease_until, now) + 1, "misses": 0}))
            return True
        reason = _reason(entry.state, entry.reason)
        chat = self.chat_for(job.chat)
        attempts = self.settings.handoff_attempts
        if job.attempt >= attempts:
            if not self.ledger.supersede(investigation_id, now=now, state=GIVEN_UP):
                return True  # a re-trigger replaced it meanwhile
            logger.error(
                "investigation=<%s>, attempts=<%d>, reason=<%s> | investigation given up",
                investigation_id,
                job.attempt,
                reason,
            )
            release_all(self.dedup, job.claims)
            self.say(chat, ctx.channel, ctx.thread_id, gave_up_note(reason, job.attempt), job.interaction)
            return False
        attempt = job.attempt + 1
        if not self.begin(investigation_id, attempt):
            return True  # another watch or a re-trigger moved it first
        logger.warning(
            "investigation=<%s>, attempt=<%d>, reason=<%s> | investigation lost; handing it off again",
            investigation_id,
            attempt,
            reason,
        )
        self.say(chat, ctx.channel, ctx.thread_id, retry_note(reason, attempt, attempts), None)
        self._dispatch_again(job, ctx, attempt)
        return True

    def _dispatch_again(self, job: WatchJob, ctx: AlertContext, attempt: int) -> None:
        """Hand the investigation to a master as attempt `attempt`, and look again once its lease
        could have run out (a dispatch that fails is retried then)."""
        try:
            self.dispatcher.dispatch(ctx.model_copy(update={"attempt": attempt}))
        except Exception as e:  # its lease runs out; the next look tries again
            logger.error(
                "investigation=<%s>, error=<%s> | hand-off failed again",
                ctx.investigation_id,
                type(e).__name__,
            )
        self.watch(
            job.model_copy(
                update={"attempt": attempt, "due": self.clock() + self.settings.handoff_lease_seconds + 1}
            )
        )

    def _still_claimed(self, job: WatchJob, investigation_id: str) -> bool:
        """Whether the alert's first claim is still held by this investigation."""
        if not job.claims:
            return False
        try:
            record = self.dedup.get(job.claims[0])
        except Exception as e:  # cannot tell: nothing is handed off again on a guess
            logger.warning(
                "investigation=<%s>, error=<%s> | could not read the alert's claim",
                investigation_id,
                type(e).__name__,
            )
            return False
        return record is not None and record.investigation_id == investigation_id

    def _follow(self, job: WatchJob, ctx: AlertContext, entry: Entry, now: float) -> bool:
        """The report is posted and what follows it is not yet: look again when its lease ends; once
        it lapsed (its master died), hand the investigation off again to post it, quietly (the
        report is in the thread; the updates follow)."""
        investigation_id = ctx.investigation_id
        if not entry.followups_lost(now):
            self.watch(job.model_copy(update={"due": max(entry.followups_until, now) + 1, "misses": 0}))
            return True
        attempt = entry.attempt + 1
        if attempt > self.settings.handoff_attempts:
            logger.error(
                "investigation=<%s>, attempts=<%d> | what follows the report could not be posted; given up",
                investigation_id,
                attempt - 1,
            )
            return False
        if not self.ledger.redeliver(
            investigation_id,
            attempt=attempt,
            lease_until=now + self.settings.handoff_lease_seconds,
            now=now,
        ):
            return True  # another watch moved it first
        logger.warning(
            "investigation=<%s>, attempt=<%d> | what follows the report was left unposted; handing it off",
            investigation_id,
            attempt,
        )
        self._dispatch_again(job, ctx, attempt)
        return True


def _reason(state: str, reason: str) -> str:
    if state == FAILED:
        return reason or "the investigation failed"
    if state == HANDED_OFF:
        return "the master did not start it"
    return "the master stopped answering"
