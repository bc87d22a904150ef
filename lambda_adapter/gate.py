"""The ack path's decision: start an investigation, join one, or recognise a duplicate.

In order: the delivery (a retry or a duplicate delivery is dropped silently), the subject (the
same message, alert group or re-posted text already has an investigation: at most one line in its
thread), the storm (another alert about the same service started one within the window: join
its thread). Whatever claims were won are released if the hand-off or the store fails, so a retry
investigates.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property

from lambda_adapter import keys
from lambda_adapter.dedup import Claim, DedupStore, Record, claim_all, release_all
from lambda_adapter.dispatch import HandOffError, Retryable
from lambda_adapter.jobs import AnyJob, ChatName, InvestigateJob, ReplyJob, Scheduler
from lambda_adapter.settings import IntakeSettings
from shared.ledger import GIVEN_UP, SUPERSEDED, Ledger, NoLedger

logger = logging.getLogger(__name__)


class DedupUnavailable(Retryable):
    """The dedup store failed while a delivery was being decided (503: send it again)."""


class Outcome(StrEnum):
    STARTED = "started"
    JOINED = "joined"
    DUPLICATE = "duplicate"
    DUPLICATE_DELIVERY = "duplicate_delivery"
    REPLIED = "replied"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Candidate:
    job: InvestigateJob
    subject_keys: tuple[str, ...]
    subject_ttl: float
    delivery_key: str | None = None
    storm_group: str | None = None
    # One line in the existing thread when the subject is already under investigation:
    duplicate_reply: str | None = None  # for someone who asked explicitly
    repost_note: str | None = None  # for the same alert posted again
    join_note: str | None = None  # for a storm member
    # Or the storm group, and its join note (None: `join_note`), worked out when the gate needs
    # them: after the delivery's claim, so a retry never pays for reading the alert's hints.
    storm: Callable[[], tuple[str | None, str | None]] | None = None

    @cached_property
    def storm_and_note(self) -> tuple[str | None, str | None]:
        if self.storm is None:
            return self.storm_group, self.join_note
        group, note = self.storm()
        return group, note if note is not None else self.join_note


@dataclass
class Gate:
    settings: IntakeSettings
    dedup: DedupStore
    scheduler: Scheduler
    clock: Callable[[], float]
    # Where the master records its progress: a subject held by an investigation that was lost is
    # taken over by the next trigger instead of being answered "duplicate".
    ledger: Ledger = field(default_factory=NoLedger)

    def first_delivery(self, delivery_key: str | None, owner: str | None = None) -> bool:
        """Claim a delivery; False for a retry or duplicate of one already taken. A store that
        fails raises `DedupUnavailable` (503: the sender retries), the claim released if it was
        written after all."""
        if delivery_key is None:
            return True
        owner = owner or f"delivery-{uuid.uuid4().hex}"
        try:
            claim = self.dedup.claim(
                delivery_key, Record(owner), ttl_seconds=self.settings.delivery_seconds, now=self.clock()
            )
        except Exception as e:
            release_all(self.dedup, (delivery_key,), owner=owner)
            logger.error("key=<%s>, error=<%s> | dedup store failed", delivery_key, type(e).__name__)
            raise DedupUnavailable(f"the dedup store failed ({type(e).__name__})") from e
        return claim.won

    def submit(self, job: AnyJob, claims: tuple[str, ...] = ()) -> None:
        """Hand the job off; on failure release `claims` and raise HandOffError."""
        try:
            self.scheduler.submit(job)
        except Exception as e:
            release_all(self.dedup, claims)
            logger.error(
                "job=<%s>, error=<%s> | hand-off failed, claims released", job.kind, type(e).__name__
            )
            raise HandOffError(f"could not hand off the {job.kind} job") from e

    def admit(self, candidate: Candidate) -> Outcome:
        """Decide and hand off. Whatever goes wrong after the delivery is claimed (the store
        times out on a later claim, the hand-off fails) releases every claim this delivery won,
        the delivery's own included, and raises a `Retryable` (503): the sender's retry is
        processed afresh instead of being dropped as a duplicate."""
        owner = candidate.job.alert.investigation_id
        won: list[str] = []
        if not self._delivery_in_record(candidate):
            if not self.first_delivery(candidate.delivery_key, owner):
                logger.info("key=<%s> | duplicate delivery dropped", candidate.delivery_key)
                return Outcome.DUPLICATE_DELIVERY
            won = [candidate.delivery_key] if candidate.delivery_key else []
        try:
            return self._admit(candidate, won)
        except Exception as e:
            # Every claim written under this delivery's investigation id is ours, including one
            # whose answer was lost (a timeout after the write); nobody else's is touched.
            release_all(self.dedup, won)
            release_all(self.dedup, self._all_keys(candidate), owner=owner)
            if isinstance(e, Retryable):
                raise
            logger.error(
                "investigation=<%s>, error=<%s> | dedup store failed, claims released",
                owner,
                type(e).__name__,
            )
            raise DedupUnavailable(f"the dedup store failed ({type(e).__name__})") from e

    def _delivery_in_record(self, candidate: Candidate) -> bool:
        """Whether the delivery is claimed by the record of the first subject (one write for both:
        its retries find it there) rather than a record of its own. Not when the subject's claim
        ends before a delivery's (a snapshot's half minute): a retry after it must stay a retry."""
        return (
            candidate.delivery_key is not None
            and bool(candidate.subject_keys)
            and candidate.subject_ttl >= self.settings.delivery_seconds
        )

    def _all_keys(self, candidate: Candidate) -> tuple[str, ...]:
        alert = candidate.job.alert
        try:
            group = candidate.storm_and_note[0]
        except Exception:  # working it out failed: no storm key was claimed
            group = None
        storm = (keys.storm(candidate.job.chat, alert.channel, group),) if group is not None else ()
        return (*candidate.subject_keys, *storm)

    def _admit(self, candidate: Candidate, won: list[str]) -> Outcome:
        """`won` starts with the delivery key (unless the first subject's record claims it) and
        grows with each claim taken."""
        job, alert = candidate.job, candidate.job.alert
        delivery = tuple(won)
        now = self.clock()
        record = Record(alert.investigation_id, job.chat, alert.channel, alert.thread_id)
        merged = self._delivery_in_record(candidate)
        records = dict.fromkeys(candidate.subject_keys, record)
        head: Claim | None = None
        if merged:
            # The first subject's record claims the delivery too: its retries end at this one write.
            key = candidate.subject_keys[0]
            records[key] = replace(
                record, delivery=candidate.delivery_key, delivery_until=now + self.settings.delivery_seconds
            )
            head = self.dedup.claim(key, records[key], ttl_seconds=float(candidate.subject_ttl), now=now)
            if (
                not head.won
                and head.existing is not None
                and head.existing.delivered_by(candidate.delivery_key, now)
            ):
                logger.info("key=<%s> | duplicate delivery dropped", candidate.delivery_key)
                return Outcome.DUPLICATE_DELIVERY

        storm_key = storm_record = None
        group = candidate.storm_and_note[0]
        if group is not None and self.settings.storm_window_seconds > 0:
            storm_key = keys.storm(job.chat, alert.channel, group)
            lead_key = candidate.subject_keys[0] if candidate.subject_keys else storm_key
            storm_record = Record(
                alert.investigation_id, job.chat, alert.channel, alert.thread_id, lead=lead_key
            )
        # Every other claim at once (one round trip to the table, not one per key); a lost one is
        # looked at afterwards, and whatever this delivery won is released if it turns out a duplicate.
        wanted = [(key, record, float(candidate.subject_ttl)) for key in candidate.subject_keys]
        if storm_key is not None and storm_record is not None:
            wanted.append((storm_key, storm_record, float(self.settings.storm_window_seconds)))
        first = (
            [head, *self._claim_all(wanted[1:], now)] if head is not None else self._claim_all(wanted, now)
        )
        storm_first = first[-1] if storm_key is not None else None

        subjects: list[str] = []
        for key, claim in zip(candidate.subject_keys, first, strict=False):
            if not claim.won and self._orphaned(claim.existing):
                # It joined a storm whose investigation never started (its claims were released).
                self.dedup.release(key)
                claim = self.dedup.claim(key, records[key], ttl_seconds=candidate.subject_ttl, now=now)
            elif not claim.won and claim.existing is not None and self._lost(claim.existing, now):
                # Its investigation was lost (the master stopped): this trigger starts anew. Only
                # the lost one's record is released: of two triggers, one claims it.
                self.dedup.release(key, owner=claim.existing.investigation_id)
                claim = self.dedup.claim(key, records[key], ttl_seconds=candidate.subject_ttl, now=now)
            if claim.won:
                subjects.append(key)
                won.append(key)
                continue
            release_all(self.dedup, subjects)
            if storm_key is not None and storm_first is not None and storm_first.won:
                release_all(self.dedup, (storm_key,))
            del won[len(delivery) :]
            if merged:
                # The record that held the delivery is released: it takes a claim of its own, so
                # its retries are dropped rather than answered again.
                if not self.first_delivery(candidate.delivery_key, alert.investigation_id):
                    logger.info("key=<%s> | duplicate delivery dropped", candidate.delivery_key)
                    return Outcome.DUPLICATE_DELIVERY
                delivery = (str(candidate.delivery_key),)
                won[:] = list(delivery)
            note = candidate.duplicate_reply or (candidate.repost_note if key.startswith("repost:") else None)
            if note and claim.existing is not None:
                self._note_in_thread(key, claim.existing, note, job.chat, claims=delivery)
            logger.info("key=<%s> | already under investigation", key)
            return Outcome.DUPLICATE

        if storm_key is not None and storm_record is not None and storm_first is not None:
            storm = storm_first
            if not storm.won and storm.existing is not None and self._lost(storm.existing, now):
                self.dedup.release(storm_key, owner=storm.existing.investigation_id)
                storm = self.dedup.claim(
                    storm_key, storm_record, ttl_seconds=self.settings.storm_window_seconds, now=now
                )
            if not storm.won and storm.existing is not None:
                self._join(storm_key, storm.existing, subjects, candidate, claims=tuple(won))
                return Outcome.JOINED
            if storm.won:
                subjects.append(storm_key)
                won.append(storm_key)

        claims = tuple(won)
        self.submit(job.model_copy(update={"claims": claims, "records": tuple(subjects)}), claims)
        logger.info(
            "investigation=<%s>, platform=<%s> | investigation accepted",
            alert.investigation_id,
            alert.platform.value,
        )
        return Outcome.STARTED

    def _claim_all(self, wanted: list[tuple[str, Record, float]], now: float) -> list[Claim]:
        return claim_all(self.dedup, wanted, now)

    def _lost(self, existing: Record, now: float) -> bool:
        """Whether the investigation holding a key was lost (marked replaced now, or already
        replaced or given up), so the key may be taken over."""
        if isinstance(self.ledger, NoLedger):
            return False
        try:
            if self.ledger.supersede(existing.investigation_id, now=now):
                logger.warning(
                    "investigation=<%s> | it was lost (no report, no heartbeat); a new one replaces it",
                    existing.investigation_id,
                )
                return True
            entry = self.ledger.get(existing.investigation_id)
        except Exception as e:  # unknown: the investigation is taken to be alive
            logger.error("error=<%s> | could not read the hand-off ledger", type(e).__name__)
            return False
        return entry is not None and entry.state in (SUPERSEDED, GIVEN_UP)

    def _orphaned(self, existing: Record | None) -> bool:
        return existing is not None and existing.lead is not None and self.dedup.get(existing.lead) is None

    def _join(
        self, storm_key: str, lead: Record, won: list[str], candidate: Candidate, claims: tuple[str, ...]
    ) -> None:
        """Point this alert's records at the storm's investigation and note it in that thread."""
        lead_key = lead.lead or storm_key
        for key in won:
            self.dedup.update(
                key,
                Record(lead.investigation_id, lead.platform, lead.channel, lead.thread_id, lead=lead_key),
                now=self.clock(),
            )
        note = candidate.storm_and_note[1] or "Another alert for this service joined this investigation."
        reply = ReplyJob(
            chat=_chat_name(lead.platform, candidate.job.chat),
            channel=lead.channel or candidate.job.alert.channel,
            text=note,
            thread_id=lead.thread_id,
            thread_from=None if lead.thread_id else lead_key,
            records=tuple(won),
        )
        self.submit(reply, claims)
        logger.info("investigation=<%s> | alert joined the storm's investigation", lead.investigation_id)

    def _note_in_thread(
        self, key: str, existing: Record, text: str, chat: ChatName, claims: tuple[str, ...]
    ) -> None:
        reply = ReplyJob(
            chat=_chat_name(existing.platform, chat),
            channel=existing.channel,
            text=text,
            thread_id=existing.thread_id,
            thread_from=None if existing.thread_id else existing.lead or key,
        )
        self.submit(reply, claims)


def _chat_name(platform: str, default: ChatName) -> ChatName:
    return "discord" if platform == "discord" else "slack" if platform == "slack" else default
