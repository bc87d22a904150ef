"""The report outbox: a report is written here before it is posted, so that it outlives the master
that made it and is posted once.

One entry per investigation (`out:<investigation id>` in the dedup table deployed; a SQLite file
locally, `SRE_OUTBOX_PATH`; in memory otherwise): where it goes (channel, thread), the rendered parts
as they are posted, the report as archived (redacted JSON), and per part the intent to post it (when)
and, once the platform took it, the posted message's id.

A master that is handed an investigation whose entry exists does not investigate again: it delivers
what is left of the entry. A part with an intent but no message id may have been posted by a master
that died before recording it: it is looked for in the thread first (`agents.master.delivery`).

What the master posts after the report (late updates, the graph of what moved) has an entry of its
own, `followup_id(investigation, name)`: retried the same way, and posted once per name.

Posted once, even by two attempts alive at the same time (a master slowed past its lease while the
intake handed the investigation to another): a part is posted only by the attempt that holds its
claim, a conditional write (`claim`) that succeeds when the part is not posted and nobody else holds
an unexpired claim on it. The holder renews it while it posts; the other waits for the part to be
posted, or for the claim to lapse (its holder died) and takes it over. A claim carries the hand-off
attempt of its holder (`shared.ledger`): it is never given to an earlier attempt than the one that
holds (or held) it, so a master that stalled past its lease and wakes after its retry took the part
over cannot take it back (fencing).

The report's entry lists what follows it (`follow`: the names of the late updates and the graph, in
the order they were written), so that whoever picks the investigation up again (the intake's retry,
after a master died with updates not yet posted) posts them.

Size: DynamoDB keeps at most 400 KB in an item. The entry's content is stored compressed (zlib), and
when it is still larger than `CHUNK_BYTES` (a graph's picture), split: the first chunk in the entry,
the rest in items of their own (`out:<investigation>#<digest>-<n>`, named by the content's digest so
that two attempts writing different content never mix their chunks), written before the entry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

ENV_OUTBOX_PATH = "SRE_OUTBOX_PATH"
# Entries are kept this long (the table's TTL removes them; SQLite rows are pruned on open).
KEEP_SECONDS = 24 * 3600
# The most of an entry's compressed content one DynamoDB item holds (the item's limit is 400 KB,
# binary counted as stored; the rest of the item, the claims and the posted ids, is small).
CHUNK_BYTES = 256 * 1024


def outbox_key(investigation_id: str) -> str:
    return f"out:{investigation_id}"


def followup_id(investigation_id: str, name: str) -> str:
    """The outbox id of what the master posts after the report under `name` (`late-<agent>`,
    `graph`): one entry, posted once, per investigation and name."""
    return f"{investigation_id}/{name}"


@dataclass(frozen=True)
class Upload:
    """A file posted into the thread (the graph of what moved)."""

    filename: str
    data: bytes
    title: str | None = None
    alt_text: str | None = None


@dataclass(frozen=True)
class Part:
    text: str
    blocks: list[dict[str, Any]] | None = None
    file: Upload | None = None


@dataclass(frozen=True)
class Claim:
    """Who posts a part (an attempt's token) and until when, unless renewed (a Unix time)."""

    owner: str
    until: float
    attempt: int = 1  # the hand-off attempt of its holder

    def held_against(self, owner: str, now: float, attempt: int = 1) -> bool:
        """Whether it keeps `owner` (of hand-off attempt `attempt`) from posting: a later attempt's
        (fenced: expired or not), or someone else's not expired."""
        return self.attempt > attempt or (self.owner != owner and self.until >= now)


def _part_data(part: Part) -> dict[str, Any]:
    data: dict[str, Any] = {"text": part.text, "blocks": part.blocks}
    if part.file is not None:
        data["file"] = {
            "filename": part.file.filename,
            "data": base64.b64encode(part.file.data).decode(),
            "title": part.file.title,
            "alt_text": part.file.alt_text,
        }
    return data


def _part_of(data: Mapping[str, Any]) -> Part:
    file = data.get("file")
    upload = None
    if isinstance(file, dict):
        upload = Upload(
            file["filename"], base64.b64decode(file["data"]), file.get("title"), file.get("alt_text")
        )
    return Part(data["text"], data.get("blocks"), upload)


@dataclass(frozen=True)
class Entry:
    investigation_id: str
    channel: str
    thread_id: str | None  # the thread when the report was written; None: its first part starts one
    parts: tuple[Part, ...]
    report_json: str  # the report as archived (render_json: redacted)
    created_at: float
    intents: Mapping[int, float] = field(default_factory=dict)  # part -> when its post was begun
    posted: Mapping[int, str] = field(default_factory=dict)  # part -> the posted message's id
    claims: Mapping[int, Claim] = field(default_factory=dict)  # part -> who posts it
    followups: tuple[str, ...] = ()  # what follows the report (`follow`), in the order written

    @property
    def delivered(self) -> bool:
        return all(i in self.posted for i in range(len(self.parts)))

    def thread(self) -> str | None:
        """The thread the parts go to: the alert's, else the one the first part started."""
        return self.thread_id or self.posted.get(0) or None

    def payload(self) -> str:
        return json.dumps(
            {
                "channel": self.channel,
                "thread_id": self.thread_id,
                "parts": [_part_data(p) for p in self.parts],
                "report": self.report_json,
                "created_at": self.created_at,
            }
        )

    @classmethod
    def from_payload(
        cls,
        investigation_id: str,
        payload: str,
        intents: Mapping[int, float] | None = None,
        posted: Mapping[int, str] | None = None,
        claims: Mapping[int, Claim] | None = None,
        followups: tuple[str, ...] = (),
    ) -> Entry:
        data = json.loads(payload)
        return cls(
            investigation_id=investigation_id,
            channel=data["channel"],
            thread_id=data.get("thread_id"),
            parts=tuple(_part_of(p) for p in data["parts"]),
            report_json=data["report"],
            created_at=float(data.get("created_at", 0.0)),
            intents=dict(intents or {}),
            posted=dict(posted or {}),
            claims=dict(claims or {}),
            followups=tuple(followups),
        )


class Outbox(Protocol):
    def get(self, investigation_id: str) -> Entry | None: ...

    def put(self, entry: Entry) -> Entry:
        """Write the entry unless one exists for its investigation; return the one that is kept."""
        ...

    def intent(self, investigation_id: str, part: int, at: float) -> None:
        """Part `part` is about to be posted (recorded before the post)."""
        ...

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        """Part `part` is in the thread as `message_id`."""
        ...

    def claim(
        self, investigation_id: str, part: int, owner: str, *, until: float, now: float, attempt: int = 1
    ) -> bool:
        """Take (or renew) the right to post part `part` until `until`: True when it is not posted, no
        other owner holds an unexpired claim on it, and no later hand-off attempt than `attempt`
        claimed it (one conditional write: of two racing, one wins)."""
        ...

    def follow(self, investigation_id: str, name: str) -> None:
        """List `name` (a `followup_id` name) among what follows the report of `investigation_id`,
        once (before its own entry is written: a name without an entry is skipped)."""
        ...


# A process's memory keeps this many entries, the oldest dropped first (a long-running local master
# must not grow without end; a retry comes within minutes).
MEMORY_ENTRIES = 256


@dataclass
class MemoryOutbox:
    """The outbox of one process: retries within it, nothing across a restart."""

    entries: dict[str, Entry] = field(default_factory=dict)
    max_entries: int = MEMORY_ENTRIES
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, investigation_id: str) -> Entry | None:
        with self._lock:
            return self.entries.get(investigation_id)

    def put(self, entry: Entry) -> Entry:
        with self._lock:
            kept = self.entries.setdefault(entry.investigation_id, entry)
            while len(self.entries) > self.max_entries:
                del self.entries[next(iter(self.entries))]
            return kept

    def intent(self, investigation_id: str, part: int, at: float) -> None:
        with self._lock:
            held = self.entries[investigation_id]
            self.entries[investigation_id] = replace(held, intents={**held.intents, part: at})

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        with self._lock:
            held = self.entries[investigation_id]
            self.entries[investigation_id] = replace(held, posted={**held.posted, part: message_id})

    def claim(
        self, investigation_id: str, part: int, owner: str, *, until: float, now: float, attempt: int = 1
    ) -> bool:
        with self._lock:
            held = self.entries[investigation_id]
            other = held.claims.get(part)
            if part in held.posted or (other is not None and other.held_against(owner, now, attempt)):
                return False
            claims = {**held.claims, part: Claim(owner, until, attempt)}
            self.entries[investigation_id] = replace(held, claims=claims)
            return True

    def follow(self, investigation_id: str, name: str) -> None:
        with self._lock:
            held = self.entries.get(investigation_id)
            if held is not None and name not in held.followups:
                self.entries[investigation_id] = replace(held, followups=(*held.followups, name))


class SqliteOutbox:
    """The outbox in a SQLite file: a local master restarted picks up what it had not posted."""

    def __init__(self, path: Path, clock: Any = time.time) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (investigation TEXT PRIMARY KEY, payload TEXT NOT NULL, "
            "intents TEXT NOT NULL DEFAULT '{}', posted TEXT NOT NULL DEFAULT '{}', "
            "expires_at REAL NOT NULL, claims TEXT NOT NULL DEFAULT '{}')"
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "claims" not in columns:  # a file written before claims were kept
            self._db.execute("ALTER TABLE outbox ADD COLUMN claims TEXT NOT NULL DEFAULT '{}'")
        if "followups" not in columns:  # a file written before follow-ups were listed
            self._db.execute("ALTER TABLE outbox ADD COLUMN followups TEXT NOT NULL DEFAULT '[]'")
        self._db.execute("DELETE FROM outbox WHERE expires_at < ?", (clock(),))
        self._clock = clock

    def get(self, investigation_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT payload, intents, posted, claims, followups FROM outbox WHERE investigation = ?",
                (investigation_id,),
            ).fetchone()
        if row is None:
            return None
        intents = {int(k): float(v) for k, v in json.loads(row[1]).items()}
        posted = {int(k): str(v) for k, v in json.loads(row[2]).items()}
        claims = {
            int(k): Claim(str(v[0]), float(v[1]), int(v[2]) if len(v) > 2 else 1)
            for k, v in json.loads(row[3]).items()
        }
        followups = tuple(str(name) for name in json.loads(row[4]))
        return Entry.from_payload(investigation_id, row[0], intents, posted, claims, followups)

    def put(self, entry: Entry) -> Entry:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (investigation, payload, expires_at) VALUES (?, ?, ?)",
                (entry.investigation_id, entry.payload(), self._clock() + KEEP_SECONDS),
            )
        return self.get(entry.investigation_id) or entry

    def intent(self, investigation_id: str, part: int, at: float) -> None:
        self._set(investigation_id, "intents", part, at)

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        self._set(investigation_id, "posted", part, message_id)

    def claim(
        self, investigation_id: str, part: int, owner: str, *, until: float, now: float, attempt: int = 1
    ) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT posted, claims FROM outbox WHERE investigation = ?", (investigation_id,)
                ).fetchone()
                won = False
                if row is not None:
                    claims = json.loads(row[1])
                    other = claims.get(str(part))
                    held = other is not None and Claim(
                        other[0], float(other[1]), int(other[2]) if len(other) > 2 else 1
                    ).held_against(owner, now, attempt)
                    if str(part) not in json.loads(row[0]) and not held:
                        claims[str(part)] = [owner, until, attempt]
                        self._db.execute(
                            "UPDATE outbox SET claims = ? WHERE investigation = ?",
                            (json.dumps(claims), investigation_id),
                        )
                        won = True
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return won

    def follow(self, investigation_id: str, name: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT followups FROM outbox WHERE investigation = ?", (investigation_id,)
                ).fetchone()
                if row is not None and name not in json.loads(row[0]):
                    self._db.execute(
                        "UPDATE outbox SET followups = ? WHERE investigation = ?",
                        (json.dumps([*json.loads(row[0]), name]), investigation_id),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _set(self, investigation_id: str, column: str, part: int, value: Any) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT {column} FROM outbox WHERE investigation = ?", (investigation_id,)
                ).fetchone()
                if row is not None:
                    values = json.loads(row[0])
                    values[str(part)] = value
                    self._db.execute(
                        f"UPDATE outbox SET {column} = ? WHERE investigation = ?",
                        (json.dumps(values), investigation_id),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise


class DynamoOutbox:
    """The outbox in the dedup table (hash key `pk`, TTL `expires_at`), under `out:<investigation>`.
    Every write is one `UpdateItem` (the master's role has GetItem and UpdateItem on the table). The
    content is stored compressed, split over items of `CHUNK_BYTES` when larger (module docstring);
    an entry written before compression (`payload` a string) is still read."""

    def __init__(
        self, client: Any, table: str, clock: Any = time.time, chunk_bytes: int = CHUNK_BYTES
    ) -> None:
        self._client = client
        self.table = table
        self._clock = clock
        self._chunk_bytes = chunk_bytes

    def get(self, investigation_id: str) -> Entry | None:
        item = self._client.get_item(
            TableName=self.table, Key=self._key(investigation_id), ConsistentRead=True
        ).get("Item")
        if not item or "payload" not in item:
            return None
        payload = self._payload(investigation_id, item)
        if payload is None:
            return None
        intents = {int(k): float(v["N"]) for k, v in item.get("intents", {}).get("M", {}).items()}
        posted = {int(k): str(v["S"]) for k, v in item.get("posted", {}).get("M", {}).items()}
        claims = {
            int(k): Claim(
                v["M"]["owner"]["S"],
                float(v["M"]["until"]["N"]),
                int(v["M"].get("attempt", {}).get("N", "1")),
            )
            for k, v in item.get("claims", {}).get("M", {}).items()
        }
        followups = tuple(str(v["S"]) for v in item.get("followups", {}).get("L", []))
        return Entry.from_payload(investigation_id, payload, intents, posted, claims, followups)

    def _payload(self, investigation_id: str, item: Mapping[str, Any]) -> str | None:
        stored = item["payload"]
        if "S" in stored:  # written before compression
            return str(stored["S"])
        data = bytes(stored["B"])
        digest = item.get("chunk_digest", {}).get("S", "")
        for n in range(1, int(item.get("chunks", {}).get("N", "1"))):
            chunk = self._client.get_item(
                TableName=self.table, Key=self._chunk_key(investigation_id, digest, n), ConsistentRead=True
            ).get("Item")
            if not chunk or "data" not in chunk:  # expired with its entry
                logger.warning(
                    "investigation=<%s>, chunk=<%d> | a chunk of the entry is gone", investigation_id, n
                )
                return None
            data += bytes(chunk["data"]["B"])
        return zlib.decompress(data).decode()

    def put(self, entry: Entry) -> Entry:
        data = zlib.compress(entry.payload().encode(), 6)
        chunks = [data[i : i + self._chunk_bytes] for i in range(0, len(data), self._chunk_bytes)] or [b""]
        digest = hashlib.sha256(data).hexdigest()[:16]
        expires = {"N": str(math.ceil(self._clock() + KEEP_SECONDS))}
        for n, chunk in enumerate(chunks[1:], start=1):  # the rest first: the entry, once seen, is whole
            self._client.update_item(
                TableName=self.table,
                Key=self._chunk_key(entry.investigation_id, digest, n),
                UpdateExpression="SET #data = :d, expires_at = :e",
                ExpressionAttributeNames={"#data": "data"},
                ExpressionAttributeValues={":d": {"B": chunk}, ":e": expires},
            )
        try:
            self._client.update_item(
                TableName=self.table,
                Key=self._key(entry.investigation_id),
                UpdateExpression=(
                    "SET payload = :p, chunks = :n, chunk_digest = :h, intents = :m, posted = :m, "
                    "claims = :m, followups = if_not_exists(followups, :l), expires_at = :e"
                ),
                ConditionExpression="attribute_not_exists(payload)",
                ExpressionAttributeValues={
                    ":p": {"B": chunks[0]},
                    ":n": {"N": str(len(chunks))},
                    ":h": {"S": digest},
                    ":m": {"M": {}},
                    ":l": {"L": []},
                    ":e": expires,
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return self.get(entry.investigation_id) or entry
        return entry

    def intent(self, investigation_id: str, part: int, at: float) -> None:
        self._set(investigation_id, "intents", part, {"N": f"{at:.3f}"})

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        self._set(investigation_id, "posted", part, {"S": message_id})

    def claim(
        self, investigation_id: str, part: int, owner: str, *, until: float, now: float, attempt: int = 1
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self.table,
                Key=self._key(investigation_id),
                UpdateExpression="SET claims.#part = :claim",
                ConditionExpression=(
                    "attribute_exists(payload) AND attribute_not_exists(posted.#part) AND "
                    "(attribute_not_exists(claims.#part.#attempt) OR claims.#part.#attempt <= :attempt) AND "
                    "(attribute_not_exists(claims.#part) OR claims.#part.#owner = :owner "
                    "OR claims.#part.#until < :now)"
                ),
                ExpressionAttributeNames={
                    "#part": str(part),
                    "#owner": "owner",
                    "#until": "until",
                    "#attempt": "attempt",
                },
                ExpressionAttributeValues={
                    ":claim": {
                        "M": {
                            "owner": {"S": owner},
                            "until": {"N": f"{until:.3f}"},
                            "attempt": {"N": str(attempt)},
                        }
                    },
                    ":owner": {"S": owner},
                    ":now": {"N": f"{now:.3f}"},
                    ":attempt": {"N": str(attempt)},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def follow(self, investigation_id: str, name: str) -> None:
        try:
            self._client.update_item(
                TableName=self.table,
                Key=self._key(investigation_id),
                UpdateExpression="SET followups = list_append(if_not_exists(followups, :empty), :name)",
                ConditionExpression="attribute_exists(payload) AND NOT contains(followups, :one)",
                ExpressionAttributeValues={
                    ":empty": {"L": []},
                    ":name": {"L": [{"S": name}]},
                    ":one": {"S": name},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # listed already (or no report written: nothing to list it in)

    def _set(self, investigation_id: str, attribute: str, part: int, value: dict[str, str]) -> None:
        self._client.update_item(
            TableName=self.table,
            Key=self._key(investigation_id),
            UpdateExpression=f"SET {attribute}.#part = :v",
            ConditionExpression="attribute_exists(payload)",
            ExpressionAttributeNames={"#part": str(part)},
            ExpressionAttributeValues={":v": value},
        )

    @staticmethod
    def _key(investigation_id: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": outbox_key(investigation_id)}}

    @staticmethod
    def _chunk_key(investigation_id: str, digest: str, n: int) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"{outbox_key(investigation_id)}#{digest}-{n}"}}


def outbox_from_env(config: Any, environ: Mapping[str, str] | None = None) -> Outbox:
    """The dedup table `intake.dedup_table_env` names (deployed: the outbox outlives the runtime),
    else the SQLite file `SRE_OUTBOX_PATH` names, else memory (retries within the process only)."""
    env = os.environ if environ is None else environ
    table = env.get(config.intake.dedup_table_env)
    if table:
        import boto3
        from botocore.config import Config

        kwargs: dict[str, Any] = {
            "region_name": env.get("AWS_REGION") or config.sources.aws.region,
            "config": Config(
                retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=3
            ),
        }
        endpoint = env.get(config.sources.aws.endpoint_url_env)
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        return DynamoOutbox(boto3.client("dynamodb", **kwargs), table)
    path = env.get(ENV_OUTBOX_PATH)
    if path:
        return SqliteOutbox(Path(path))
    return MemoryOutbox()
