"""The work left after the ack, as data: it crosses the Lambda self-invoke as JSON.

The ack path decides (verify, parse, classify, dedup); a `Job` carries what remains (reading a
message, posting a thread root or a one-line reply, building the `AlertContext`, handing it to
the master). `Scheduler.submit` runs a job later without delaying the ack: a background task
locally, an asynchronous self-invocation on Lambda.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.contracts import Platform

ChatName = Literal["slack", "discord"]


class JobModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class InteractionRef(JobModel):
    """A Discord interaction answered with a deferred response, to be completed by the job."""

    application_id: str
    token: str = Field(repr=False)


class AlertInputs(JobModel):
    """The arguments of `build_alert_context`, gathered by the ack path."""

    platform: Platform
    channel: str
    text: str = ""
    thread_id: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    received_at: AwareDatetime
    starts_at: AwareDatetime | None = None
    generator_url: str | None = None
    operator_notes: tuple[str, ...] = ()
    investigation_id: str
    mode: Literal["investigate", "snapshot"] = "investigate"


class InvestigateJob(JobModel):
    kind: Literal["investigate"] = "investigate"
    alert: AlertInputs
    chat: ChatName
    addressed: bool = False
    # The alert is a message to read first: a reacted-to message, a thread's parent.
    fetch_message: str | None = None
    # Discord `/investigate` with no text: the newest alert-looking message in the channel.
    latest_alert: bool = False
    # Alertmanager: post this as the thread's root message; the investigation replies under it.
    root_text: str | None = None
    # The verdict was unsure and a model tier exists: ask it before investigating.
    recheck: bool = False
    # Slack slash command: where the snapshot goes when the bot cannot post in the channel.
    response_url: str | None = Field(default=None, repr=False)
    # Released if the hand-off fails, so the next delivery investigates.
    claims: tuple[str, ...] = ()
    # Records that learn the thread id once it is known.
    records: tuple[str, ...] = ()
    interaction: InteractionRef | None = None


class ReplyJob(JobModel):
    """One line in a thread: chatter replies, storm notes, re-posts, resolved updates."""

    kind: Literal["reply"] = "reply"
    chat: ChatName
    channel: str
    text: str
    thread_id: str | None = None
    # When the thread is not known yet: the dedup record (or its lead) that will hold it.
    thread_from: str | None = None
    records: tuple[str, ...] = ()
    release: tuple[str, ...] = ()
    interaction: InteractionRef | None = None


class WatchJob(JobModel):
    """Looks, at `due`, whether the master is still on an investigation it was handed: done, alive
    (look again when its lease ends), or lost (hand it off again, or give up after the last attempt)."""

    kind: Literal["watch"] = "watch"
    chat: ChatName
    # The `AlertContext` handed off, as JSON (handed off again as it is).
    context: dict[str, Any]
    attempt: int = 1
    due: float  # epoch seconds
    claims: tuple[str, ...] = ()
    interaction: InteractionRef | None = None
    # Looks in a row that could not read the ledger (the table unavailable).
    misses: int = 0


AnyJob = InvestigateJob | ReplyJob | WatchJob
Job = Annotated[AnyJob, Field(discriminator="kind")]
# Built on first use: the ack path never reads a job, so a cold start need not build its schema.
JOB_ADAPTER: TypeAdapter[AnyJob] = TypeAdapter(Job, config=ConfigDict(defer_build=True))


class Scheduler(Protocol):
    def submit(self, job: AnyJob) -> None:
        """Run `job` after the ack. Raises when it cannot be handed off."""
        ...


def received(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)
