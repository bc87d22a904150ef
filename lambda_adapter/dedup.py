"""Exactly once: a conditional put per key decides which delivery starts the investigation.

A key is claimed when no record holds it, or when the record's claim has expired
(`attribute_not_exists(pk) OR expires_at < :now`; `expires_at` is also the table's TTL attribute,
so DynamoDB deletes old records by itself). Records keep where the investigation lives (platform,
channel, thread) so a resolved notice, a re-post or a storm member can find its thread.

Keys (built in `keys.py`) make Slack retries, duplicate deliveries and re-posts of the same alert
collapse. When the hand-off fails, the claims are released so the sender's retry investigates.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

# The attribute that marks which claim call wrote a record (see `DynamoDedupStore.claim`).
CLAIM_TOKEN = "claim"


@dataclass(frozen=True)
class Record:
    """Where an investigation lives. `lead` names the record of the investigation this one joined;
    `run`: the investigation's job has started (see `start_run`); `delivery`: the delivery that
    claimed it, whose retries it answers until `delivery_until` (no claim of its own needed)."""

    investigation_id: str
    platform: str = ""
    channel: str = ""
    thread_id: str | None = None
    lead: str | None = None
    expires_at: float = 0.0
    run: bool = False
    delivery: str | None = None
    delivery_until: float = 0.0

    def delivered_by(self, delivery: str | None, now: float) -> bool:
        """Whether `delivery` claimed this record and its retries are still answered by it."""
        return delivery is not None and self.delivery == delivery and self.delivery_until >= now

    def to_item(self) -> dict[str, str]:
        item = {"investigation_id": self.investigation_id, "platform": self.platform, "channel": self.channel}
        if self.thread_id:
            item["thread_id"] = self.thread_id
        if self.lead:
            item["lead"] = self.lead
        if self.run:
            item["run"] = "1"
        if self.delivery:
            item["delivery"] = self.delivery
            item["delivery_until"] = str(int(self.delivery_until))
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any], expires_at: float = 0.0) -> Record:
        return cls(
            investigation_id=str(item.get("investigation_id", "")),
            platform=str(item.get("platform", "")),
            channel=str(item.get("channel", "")),
            thread_id=item.get("thread_id") or None,
            lead=item.get("lead") or None,
            expires_at=expires_at,
            run=bool(item.get("run")),
            delivery=item.get("delivery") or None,
            delivery_until=float(item.get("delivery_until") or 0),
        )


# What `start_run` found under the claim it marks:
STARTED = "started"  # the investigation's live claim, not run before: marked now
RAN = "ran"  # the investigation's live claim, marked already: its job ran (or runs)
NOT_HELD = "not_held"  # no live claim of this investigation (released, expired, another's)


@dataclass(frozen=True)
class Claim:
    won: bool
    key: str
    existing: Record | None = None  # the record that holds the key, when the claim was lost


class DedupStore(Protocol):
    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        """Atomically take `key` unless a live claim holds it."""
        ...

    def update(self, key: str, record: Record, *, now: float) -> None:
        """Rewrite the record under `key` (e.g. once the thread id is known), keeping its claim."""
        ...

    def get(self, key: str) -> Record | None:
        """The record under `key`, claim expired or not (None when there is none)."""
        ...

    def release(self, key: str, *, owner: str | None = None) -> None:
        """Forget `key`, so the next delivery claims it; with `owner`, only while the record under
        it belongs to that investigation (a claim whose answer was lost may or may not be ours)."""
        ...


@dataclass
class InMemoryDedupStore:
    """The same semantics in a dict, for unit tests and the local server."""

    _items: dict[str, Record] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        with self._lock:
            held = self._items.get(key)
            if held is not None and held.expires_at >= now:
                return Claim(False, key, held)
            self._items[key] = replace(record, expires_at=now + ttl_seconds)
            return Claim(True, key)

    def update(self, key: str, record: Record, *, now: float) -> None:
        with self._lock:
            held = self._items.get(key)
            # As DynamoDB's UpdateItem: what the record does not set is kept.
            if held is not None and not record.delivery:
                record = replace(record, delivery=held.delivery, delivery_until=held.delivery_until)
            self._items[key] = replace(
                record, expires_at=held.expires_at if held else now, run=record.run or bool(held and held.run)
            )

    def start_run(self, key: str, investigation_id: str, *, now: float) -> str:
        with self._lock:
            held = self._items.get(key)
            if held is None or held.investigation_id != investigation_id or held.expires_at < now:
                return NOT_HELD
            if held.run:
                return RAN
            self._items[key] = replace(held, run=True)
            return STARTED

    def get(self, key: str) -> Record | None:
        with self._lock:
            return self._items.get(key)

    def release(self, key: str, *, owner: str | None = None) -> None:
        with self._lock:
            held = self._items.get(key)
            if held is not None and (owner is None or held.investigation_id == owner):
                del self._items[key]


class DynamoDedupStore:
    """DynamoDB: string hash key `pk`, claim expiry and TTL attribute `expires_at` (epoch seconds).

    `client` is a boto3 DynamoDB client (built by the caller: the handler imports boto3 lazily).
    """

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    @property
    def client(self) -> Any:
        """The boto3 client (the ledger shares it: one connection pool, one table)."""
        return self._client

    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        # Whole seconds: the TTL attribute is an epoch-seconds Number.
        expires_at = float(math.ceil(now + ttl_seconds))
        item = self._item(key, record, expires_at)
        # This call's own mark: when the client retries a put whose answer was lost (a read
        # timeout after the write), the refusal it gets holds this mark: the claim is ours.
        token = uuid.uuid4().hex
        item[CLAIM_TOKEN] = {"S": token}
        try:
            self._client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": _num(now)}},
                # The holder comes back with the refusal: no second call to read it.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as e:
            held = e.response.get("Item")
            if held and held.get(CLAIM_TOKEN, {}).get("S") == token:
                return Claim(True, key)
            return Claim(False, key, _record(held) if held else self.get(key))
        return Claim(True, key)

    def update(self, key: str, record: Record, *, now: float) -> None:
        # One UpdateItem, not a read then a put: the claim's expiry stays as it is (or is now, for
        # a record that was not there), the record's fields are replaced.
        self._update(key, record, now=now, lead=True)

    def set_thread(self, key: str, record: Record, *, now: float) -> None:
        """`update`, keeping the record's `lead` as it is (one call: no read first)."""
        self._update(key, record, now=now, lead=False)

    def _update(self, key: str, record: Record, *, now: float, lead: bool) -> None:
        fields = record.to_item()
        if not lead:
            fields.pop("lead", None)
        gone = [name for name in ("thread_id", "lead") if name not in fields and (lead or name != "lead")]
        names = {f"#{name}": name for name in (*fields, *gone)}
        values: dict[str, Any] = {f":{name}": {"S": value} for name, value in fields.items()}
        values[":now"] = {"N": str(int(now))}
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in fields)
        expression += ", expires_at = if_not_exists(expires_at, :now)"
        if gone:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in gone)
        self._client.update_item(
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def start_run(self, key: str, investigation_id: str, *, now: float) -> str:
        """Mark the claim under `key` as run by `investigation_id`'s job: one conditional UpdateItem
        that also says whether the claim is still this investigation's (see `start_run` below).
        The mark is this call's own token: a retried update whose answer was lost finds it."""
        token = uuid.uuid4().hex
        try:
            self._client.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET #run = :yes",
                ConditionExpression=(
                    "investigation_id = :inv AND expires_at >= :now AND attribute_not_exists(#run)"
                ),
                ExpressionAttributeNames={"#run": "run"},
                ExpressionAttributeValues={
                    ":yes": {"S": token},
                    ":inv": {"S": investigation_id},
                    ":now": {"N": _num(now)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as e:
            item = e.response.get("Item")
            held = _record(item) if item else None
            if held is not None and held.investigation_id == investigation_id and held.expires_at >= now:
                if item and item.get("run", {}).get("S") == token:
                    return STARTED
                return RAN if held.run else NOT_HELD
            return NOT_HELD
        return STARTED

    def get(self, key: str) -> Record | None:
        found = self._client.get_item(TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True)
        item = found.get("Item")
        return _record(item) if item else None

    def get_many(self, keys: Iterable[str]) -> dict[str, Record | None]:
        """The records under `keys` (None where there is none) in one consistent BatchGetItem
        (keys it leaves unprocessed are read one by one)."""
        wanted = list(dict.fromkeys(keys))[:100]
        found: dict[str, Record | None] = dict.fromkeys(wanted)
        answer = self._client.batch_get_item(
            RequestItems={
                self.table: {"Keys": [{"pk": {"S": key}} for key in wanted], "ConsistentRead": True}
            }
        )
        for item in answer.get("Responses", {}).get(self.table, []):
            found[item["pk"]["S"]] = _record(item)
        for left in answer.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", []):
            found[left["pk"]["S"]] = self.get(left["pk"]["S"])
        return found

    def release(self, key: str, *, owner: str | None = None) -> None:
        if owner is None:
            self._client.delete_item(TableName=self.table, Key={"pk": {"S": key}})
            return
        # Another delivery holds it (or nothing does): not ours to release.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                ConditionExpression="investigation_id = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )

    @staticmethod
    def _item(key: str, record: Record, expires_at: float) -> dict[str, dict[str, str]]:
        item: dict[str, dict[str, str]] = {name: {"S": value} for name, value in record.to_item().items()}
        item["pk"] = {"S": key}
        item["expires_at"] = {"N": str(int(expires_at))}
        return item


def get_many(store: DedupStore, keys: Iterable[str]) -> dict[str, Record | None]:
    """The records under `keys`: in one call where the store can (`get_many`), else one by one."""
    many = getattr(store, "get_many", None)
    if many is not None:
        found: dict[str, Record | None] = many(keys)
        return found
    return {key: store.get(key) for key in keys}


def start_run(store: DedupStore, key: str, investigation_id: str, *, now: float) -> str | None:
    """Mark the job of `investigation_id` as started on its claim under `key`, in one call:
    `STARTED` (the claim is still live and this investigation's, and no run had marked it), `RAN`
    (a run marked it before: a redrive of a job that ran), `NOT_HELD` (the claim was released or
    taken since the ack); None where the store cannot (the caller claims a run key instead)."""
    marker = getattr(store, "start_run", None)
    if marker is None:
        return None
    found: str = marker(key, investigation_id, now=now)
    return found


def remember_thread(store: DedupStore, key: str, record: Record, *, now: float) -> None:
    """Rewrite the record under `key` with `record`'s investigation, channel and thread, keeping
    its `lead`: in one call where the store can (`set_thread`), else a read and an update."""
    setter = getattr(store, "set_thread", None)
    if setter is not None:
        setter(key, record, now=now)
        return
    held = store.get(key)
    store.update(key, replace(record, lead=held.lead if held else None), now=now)


def _record(item: Mapping[str, Any]) -> Record:
    plain = {name: value.get("S", value.get("N")) for name, value in item.items()}
    return Record.from_item(plain, expires_at=float(plain.get("expires_at") or 0))


def _num(value: float) -> str:
    return f"{value:.3f}"


def release_all(store: DedupStore, keys: Iterable[str], *, owner: str | None = None) -> None:
    """Release every key (only those `owner` holds, when given), logging (not raising) what could
    not be released."""
    for key in keys:
        try:
            store.release(key, owner=owner)
        except Exception as e:
            logger.error("key=<%s>, error=<%s> | could not release a dedup claim", key, type(e).__name__)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _claim_pool() -> ThreadPoolExecutor:
    """Threads for concurrent claims (made on first use: the cold start does not pay for them)."""
    from concurrent.futures import ThreadPoolExecutor

    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="dedup-claim")
        return _POOL


def claim_all(store: DedupStore, wanted: list[tuple[str, Record, float]], now: float) -> list[Claim]:
    """Each `(key, record, ttl)` claimed, concurrently when there are several (one round trip's
    time instead of one per key). Raises the first error once every claim has finished."""
    if len(wanted) <= 1:
        return [store.claim(key, rec, ttl_seconds=ttl, now=now) for key, rec, ttl in wanted]
    futures = [
        _claim_pool().submit(store.claim, key, rec, ttl_seconds=ttl, now=now) for key, rec, ttl in wanted
    ]
    errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def dynamo_store_from_env(
    table: str,
    region: str,
    endpoint_url: str | None = None,
    client_factory: Callable[..., Any] | None = None,
) -> DynamoDedupStore:
    """A DynamoDB store for `table`; boto3 is imported here, not at module import."""
    if client_factory is None:
        return DynamoDedupStore(dynamodb_client(region, endpoint_url), table)
    kwargs: dict[str, Any] = {"region_name": region}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return DynamoDedupStore(client_factory(**kwargs), table)


def dynamodb_client(
    region: str,
    endpoint_url: str | None = None,
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 3.0,
) -> Any:
    """The intake's DynamoDB client. An ack answers within Slack's 3 s: a call waits at most
    `connect_timeout` + `read_timeout` an attempt."""
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {"region_name": region}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return boto3.session.Session().client(
        "dynamodb",
        # As many pooled connections as calls in flight (the ack threads and the claim pool): with
        # urllib3's default of 10, the rest would open a connection (and a TLS handshake) per call
        # and throw it away. The requests are our own, built from typed records: botocore need not
        # validate them again.
        config=Config(
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=64,
            parameter_validation=False,
        ),
        **kwargs,
    )
