"""The investigation ledger: where an investigation stands, kept where the intake and the master
both see it (the dedup table, under `inv:<investigation id>`), so that a master that dies is noticed.

States, and who writes them:
- `handed_off` (the intake, when it hands off a retry: attempt 2 and later): held by a lease; a
  master that never starts lets it run out. The first attempt has no such write (one DynamoDB call
  fewer a delivery): until the master's first heartbeat there is no entry, and the intake's watch
  takes an entry still missing when the first lease has run out for a master that never started.
- `running` (the master, every few seconds while it works: a heartbeat that renews the lease);
- `reported` (the master, once the report is in the thread): the investigation is done;
- `failed` (the master, when it could not finish or post): the intake retries at once (never over
  `reported`: a report another attempt of the same investigation posted stands);
- `given_up` (the intake, after its last attempt), `superseded` (the intake, when someone
  re-triggered an investigation that was lost: a new one took its place).

After the report, what follows it (late updates, the graph) is held by a lease of its own,
`followups_until` (the master renews it while it posts them; 0: nothing left): a master that dies
with updates written to the outbox but not posted lets it run out, and the intake hands the
investigation off again (`redeliver`, attempt + 1, the state stays `reported`) to a master that
posts them from the outbox.

Fencing: each hand-off carries its attempt number (`AlertContext.attempt`). A master's heartbeat and
its `failed` are refused when a later attempt holds the investigation, and its posts check it first
(`agents.master.delivery`): a master that stalled past its lease cannot undo or duplicate its retry.

An investigation is *lost* when it is `failed`, or not done and its lease ran out. The intake's watch
retries a lost investigation (`retry`: attempt + 1), a re-trigger replaces it (`supersede`); both are
conditional writes, so of two that race exactly one wins. boto3 is imported by the caller.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

logger = logging.getLogger(__name__)

HANDED_OFF = "handed_off"
RUNNING = "running"
REPORTED = "reported"
FAILED = "failed"
GIVEN_UP = "given_up"
SUPERSEDED = "superseded"
DONE = frozenset({REPORTED, GIVEN_UP, SUPERSEDED})
# How long the master's heartbeat keeps its lease when config does not say
# (`intake.handoff_lease_seconds`); it renews it four times as often.
RUNNING_LEASE_SECONDS = 30.0
# Ledger records are kept this long (the table's TTL removes them).
KEEP_SECONDS = 24 * 3600


def ledger_key(investigation_id: str) -> str:
    return f"inv:{investigation_id}"


@dataclass(frozen=True)
class Entry:
    investigation_id: str
    state: str
    lease_until: float
    attempt: int = 1
    reason: str = ""
    followups_until: float = 0.0  # what follows the report is being posted until then (0: nothing)

    def lost(self, now: float) -> bool:
        """Neither done nor alive: failed, or its lease ran out before it reported."""
        return self.state == FAILED or (self.state not in DONE and self.lease_until < now)

    def followups_lost(self, now: float) -> bool:
        """Reported, with updates still to post whose master stopped renewing their lease."""
        return self.state == REPORTED and 0 < self.followups_until < now


class Ledger(Protocol):
    def get(self, investigation_id: str) -> Entry | None: ...

    def handed_off(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        """Attempt `attempt` is being handed to the master. The first attempt creates the entry (or
        renews it while the master has not started); a later one takes it only while it is lost at
        attempt - 1, the second also while there is no entry (the first one's master never wrote
        one) (False: someone else moved it first)."""
        ...

    def running(self, investigation_id: str, *, lease_until: float, attempt: int | None = None) -> None:
        """The master's heartbeat: it works on it until `lease_until` at least (refused when a later
        attempt than `attempt` holds it)."""
        ...

    def finish(
        self,
        investigation_id: str,
        state: str,
        reason: str = "",
        *,
        attempt: int | None = None,
        followups_until: float = 0.0,
    ) -> None:
        """The master's last word (`reported`, `failed`: refused when a later attempt than `attempt`
        holds it), or the intake's (`given_up`). `followups_until`: with `reported`, what follows the
        report is still to post, under a lease until then."""
        ...

    def following(self, investigation_id: str, *, lease_until: float) -> None:
        """The master's heartbeat while it posts what follows the report."""
        ...

    def followed(self, investigation_id: str) -> None:
        """Everything that follows the report is posted."""
        ...

    def redeliver(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        """Attempt `attempt` takes over the posting of what follows the report, while the lease of
        attempt - 1 on it ran out (False: someone else moved it first)."""
        ...

    def supersede(self, investigation_id: str, *, now: float, state: str = SUPERSEDED) -> bool:
        """Mark a lost investigation as replaced by a new one (`given_up`: abandoned); False when it
        is not lost (any more)."""
        ...


class NoLedger:
    """No shared ledger: hand-offs are not watched (the behaviour without a dedup table)."""

    def get(self, investigation_id: str) -> Entry | None:
        return None

    def handed_off(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        return True

    def running(self, investigation_id: str, *, lease_until: float, attempt: int | None = None) -> None:
        return None

    def finish(
        self,
        investigation_id: str,
        state: str,
        reason: str = "",
        *,
        attempt: int | None = None,
        followups_until: float = 0.0,
    ) -> None:
        return None

    def following(self, investigation_id: str, *, lease_until: float) -> None:
        return None

    def followed(self, investigation_id: str) -> None:
        return None

    def redeliver(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        return False

    def supersede(self, investigation_id: str, *, now: float, state: str = SUPERSEDED) -> bool:
        return False


@dataclass
class InMemoryLedger:
    """The same semantics in a dict: tests, and an intake that runs the master in its own process."""

    entries: dict[str, Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, investigation_id: str) -> Entry | None:
        with self._lock:
            return self.entries.get(investigation_id)

    def handed_off(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is None and attempt == 2:
                pass  # the first attempt's master never started
            elif attempt > 1 and (held is None or held.attempt != attempt - 1 or not held.lost(now)):
                return False
            if attempt == 1 and held is not None and held.state != HANDED_OFF:
                return False
            self.entries[investigation_id] = Entry(investigation_id, HANDED_OFF, lease_until, attempt)
            return True

    def running(self, investigation_id: str, *, lease_until: float, attempt: int | None = None) -> None:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is None:
                self.entries[investigation_id] = Entry(investigation_id, RUNNING, lease_until)
            elif held.state not in DONE and not _later(held, attempt):
                self.entries[investigation_id] = replace(held, state=RUNNING, lease_until=lease_until)

    def finish(
        self,
        investigation_id: str,
        state: str,
        reason: str = "",
        *,
        attempt: int | None = None,
        followups_until: float = 0.0,
    ) -> None:
        with self._lock:
            held = self.entries.get(investigation_id) or Entry(investigation_id, state, 0.0)
            if state == FAILED and (held.state in DONE or _later(held, attempt)):
                return
            following = followups_until if state == REPORTED else 0.0
            self.entries[investigation_id] = replace(
                held, state=state, reason=reason, followups_until=following
            )

    def following(self, investigation_id: str, *, lease_until: float) -> None:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is not None and held.state == REPORTED:
                self.entries[investigation_id] = replace(held, followups_until=lease_until)

    def followed(self, investigation_id: str) -> None:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is not None:
                self.entries[investigation_id] = replace(held, followups_until=0.0)

    def redeliver(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is None or held.attempt != attempt - 1 or not held.followups_lost(now):
                return False
            self.entries[investigation_id] = replace(held, attempt=attempt, followups_until=lease_until)
            return True

    def supersede(self, investigation_id: str, *, now: float, state: str = SUPERSEDED) -> bool:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is None or not held.lost(now):
                return False
            self.entries[investigation_id] = replace(held, state=state)
            return True


class DynamoLedger:
    """The ledger in the dedup table (hash key `pk`, TTL attribute `expires_at`). Every write is one
    `UpdateItem`, conditional where two writers may race."""

    def __init__(self, client: Any, table: str, clock: Callable[[], float] | None = None) -> None:
        import time

        self._client = client
        self.table = table
        self._clock = clock or time.time

    def get(self, investigation_id: str) -> Entry | None:
        found = self._client.get_item(
            TableName=self.table, Key=self._key(investigation_id), ConsistentRead=True
        )
        item = found.get("Item")
        if not item or "state" not in item:
            return None
        return Entry(
            investigation_id=investigation_id,
            state=item["state"]["S"],
            lease_until=float(item.get("lease_until", {}).get("N", "0")),
            attempt=int(item.get("attempt", {}).get("N", "1")),
            reason=item.get("reason", {}).get("S", ""),
            followups_until=float(item.get("followups_until", {}).get("N", "0")),
        )

    def handed_off(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        if attempt == 1:  # a new entry, or the same job run again before the master started
            condition = "attribute_not_exists(#state) OR #state = :state"
            values: dict[str, Any] = {}
        else:
            condition = (
                "attempt = :previous AND (#state = :failed OR "
                "(NOT #state IN (:reported, :given_up, :superseded) AND lease_until < :now))"
            )
            if attempt == 2:  # the first attempt's master may never have written an entry
                condition = f"attribute_not_exists(#state) OR ({condition})"
            values = {
                ":previous": {"N": str(attempt - 1)},
                ":failed": {"S": FAILED},
                ":reported": {"S": REPORTED},
                ":given_up": {"S": GIVEN_UP},
                ":superseded": {"S": SUPERSEDED},
                ":now": {"N": _num(now)},
            }
        return self._update(
            investigation_id,
            "SET #state = :state, lease_until = :lease, attempt = :attempt, expires_at = :expires",
            {
                **values,
                ":state": {"S": HANDED_OFF},
                ":lease": {"N": _num(lease_until)},
                ":attempt": {"N": str(attempt)},
                ":expires": {"N": str(math.ceil(now + KEEP_SECONDS))},
            },
            condition,
        )

    def running(self, investigation_id: str, *, lease_until: float, attempt: int | None = None) -> None:
        values: dict[str, Any] = {
            ":state": {"S": RUNNING},
            ":lease": {"N": _num(lease_until)},
            ":expires": {"N": str(math.ceil(self._clock() + KEEP_SECONDS))},
            ":reported": {"S": REPORTED},
            ":given_up": {"S": GIVEN_UP},
            ":superseded": {"S": SUPERSEDED},
        }
        condition = "(attribute_not_exists(#state) OR NOT #state IN (:reported, :given_up, :superseded))"
        if attempt is not None:  # fenced: not over a later attempt
            condition += " AND (attribute_not_exists(attempt) OR attempt <= :attempt)"
            values[":attempt"] = {"N": str(attempt)}
        self._update(
            investigation_id,
            "SET #state = :state, lease_until = :lease, attempt = if_not_exists(attempt, :one), "
            "expires_at = if_not_exists(expires_at, :expires)",
            {**values, ":one": {"N": "1"}},
            condition,
        )

    def finish(
        self,
        investigation_id: str,
        state: str,
        reason: str = "",
        *,
        attempt: int | None = None,
        followups_until: float = 0.0,
    ) -> None:
        values: dict[str, Any] = {
            ":state": {"S": state},
            ":reason": {"S": reason or "-"},
            ":expires": {"N": str(math.ceil(self._clock() + KEEP_SECONDS))},
            ":following": {"N": _num(followups_until if state == REPORTED else 0.0)},
        }
        condition = None
        if state == FAILED:  # the intake's verdict, or a report another attempt posted, stands
            condition = "(attribute_not_exists(#state) OR NOT #state IN (:reported, :given_up, :superseded))"
            values.update(
                {":reported": {"S": REPORTED}, ":given_up": {"S": GIVEN_UP}, ":superseded": {"S": SUPERSEDED}}
            )
            if attempt is not None:  # fenced: a later attempt's investigation is not failed by this one
                condition += " AND (attribute_not_exists(attempt) OR attempt <= :attempt)"
                values[":attempt"] = {"N": str(attempt)}
        self._update(
            investigation_id,
            "SET #state = :state, reason = :reason, followups_until = :following, "
            "attempt = if_not_exists(attempt, :one), expires_at = if_not_exists(expires_at, :expires)",
            {**values, ":one": {"N": "1"}},
            condition,
        )

    def following(self, investigation_id: str, *, lease_until: float) -> None:
        self._update(
            investigation_id,
            "SET followups_until = :lease",
            {":lease": {"N": _num(lease_until)}, ":reported": {"S": REPORTED}},
            "#state = :reported",
        )

    def followed(self, investigation_id: str) -> None:
        self._update(
            investigation_id,
            "SET followups_until = :none",
            {":none": {"N": "0"}, ":reported": {"S": REPORTED}},
            "#state = :reported",
        )

    def redeliver(self, investigation_id: str, *, attempt: int, lease_until: float, now: float) -> bool:
        return self._update(
            investigation_id,
            "SET attempt = :attempt, followups_until = :lease",
            {
                ":attempt": {"N": str(attempt)},
                ":previous": {"N": str(attempt - 1)},
                ":lease": {"N": _num(lease_until)},
                ":reported": {"S": REPORTED},
                ":zero": {"N": "0"},
                ":now": {"N": _num(now)},
            },
            "#state = :reported AND attempt = :previous "
            "AND followups_until > :zero AND followups_until < :now",
        )

    def supersede(self, investigation_id: str, *, now: float, state: str = SUPERSEDED) -> bool:
        return self._update(
            investigation_id,
            "SET #state = :new",
            {
                ":new": {"S": state},
                ":superseded": {"S": SUPERSEDED},
                ":failed": {"S": FAILED},
                ":reported": {"S": REPORTED},
                ":given_up": {"S": GIVEN_UP},
                ":now": {"N": _num(now)},
            },
            "#state = :failed OR (NOT #state IN (:reported, :given_up, :superseded) AND lease_until < :now)",
        )

    def _update(
        self, investigation_id: str, expression: str, values: Mapping[str, Any], condition: str | None
    ) -> bool:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._key(investigation_id),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": dict(values),
        }
        token = None
        if condition:
            # This call's own mark: when the client retries an update whose answer was lost (a read
            # timeout after the write), the refusal it gets holds this mark: the write was ours.
            token = uuid.uuid4().hex
            kwargs["UpdateExpression"] += ", writer = :writer"
            kwargs["ExpressionAttributeValues"][":writer"] = {"S": token}
            kwargs["ConditionExpression"] = condition
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            self._client.update_item(**kwargs)
        except self._client.exceptions.ConditionalCheckFailedException as e:
            held = e.response.get("Item") or {}
            return token is not None and held.get("writer", {}).get("S") == token
        return True

    @staticmethod
    def _key(investigation_id: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": ledger_key(investigation_id)}}


def _later(held: Entry, attempt: int | None) -> bool:
    """Whether a later hand-off attempt than `attempt` holds the investigation (fencing)."""
    return attempt is not None and held.attempt > attempt


def _num(value: float) -> str:
    return f"{value:.3f}"


def ledger_from_env(config: Any, environ: Mapping[str, str] | None = None) -> Ledger:
    """The ledger in the dedup table `intake.dedup_table_env` names (the same table the intake
    uses), else none: without a shared table nobody could tell a dead master from a slow one."""
    import os

    env = os.environ if environ is None else environ
    table = env.get(config.intake.dedup_table_env)
    if not table:
        return NoLedger()
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "region_name": env.get("AWS_REGION") or config.sources.aws.region,
        "config": Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=3),
    }
    endpoint = env.get(config.sources.aws.endpoint_url_env)
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    return DynamoLedger(boto3.client("dynamodb", **kwargs), table)
