"""The report outbox: a report is written here before it is posted, so that it outlives the master
that made it and is posted once.

One entry per investigation (`out:<investigation id>` in the dedup table deployed; a SQLite file
locally, `SRE_OUTBOX_PATH`; in memory otherwise): where it goes (channel, thread), the rendered parts
as they are posted, the report as archived (redacted JSON), and per part the intent to post it (when)
and, once the platform took it, the posted message's id.

A master that is handed an investigation whose entry exists does not investigate again: it delivers
what is left of the entry. A part with an intent but no message id may have been posted by a master
that died before recording it: it is looked for in the thread first (`agents.master.delivery`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

ENV_OUTBOX_PATH = "SRE_OUTBOX_PATH"
# Entries are kept this long (the table's TTL removes them; SQLite rows are pruned on open).
KEEP_SECONDS = 24 * 3600


def outbox_key(investigation_id: str) -> str:
    return f"out:{investigation_id}"


@dataclass(frozen=True)
class Part:
    text: str
    blocks: list[dict[str, Any]] | None = None


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
                "parts": [{"text": p.text, "blocks": p.blocks} for p in self.parts],
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
    ) -> Entry:
        data = json.loads(payload)
        return cls(
            investigation_id=investigation_id,
            channel=data["channel"],
            thread_id=data.get("thread_id"),
            parts=tuple(Part(p["text"], p.get("blocks")) for p in data["parts"]),
            report_json=data["report"],
            created_at=float(data.get("created_at", 0.0)),
            intents=dict(intents or {}),
            posted=dict(posted or {}),
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
            "intents TEXT NOT NULL DEFAULT '{}', posted TEXT NOT NULL DEFAULT '{}', expires_at REAL NOT NULL)"
        )
        self._db.execute("DELETE FROM outbox WHERE expires_at < ?", (clock(),))
        self._clock = clock

    def get(self, investigation_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT payload, intents, posted FROM outbox WHERE investigation = ?", (investigation_id,)
            ).fetchone()
        if row is None:
            return None
        intents = {int(k): float(v) for k, v in json.loads(row[1]).items()}
        posted = {int(k): str(v) for k, v in json.loads(row[2]).items()}
        return Entry.from_payload(investigation_id, row[0], intents, posted)

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
    Every write is one `UpdateItem` (the master's role has GetItem and UpdateItem on the table)."""

    def __init__(self, client: Any, table: str, clock: Any = time.time) -> None:
        self._client = client
        self.table = table
        self._clock = clock

    def get(self, investigation_id: str) -> Entry | None:
        item = self._client.get_item(
            TableName=self.table, Key=self._key(investigation_id), ConsistentRead=True
        ).get("Item")
        if not item or "payload" not in item:
            return None
        intents = {int(k): float(v["N"]) for k, v in item.get("intents", {}).get("M", {}).items()}
        posted = {int(k): str(v["S"]) for k, v in item.get("posted", {}).get("M", {}).items()}
        return Entry.from_payload(investigation_id, item["payload"]["S"], intents, posted)

    def put(self, entry: Entry) -> Entry:
        try:
            self._client.update_item(
                TableName=self.table,
                Key=self._key(entry.investigation_id),
                UpdateExpression="SET payload = :p, intents = :m, posted = :m, expires_at = :e",
                ConditionExpression="attribute_not_exists(payload)",
                ExpressionAttributeValues={
                    ":p": {"S": entry.payload()},
                    ":m": {"M": {}},
                    ":e": {"N": str(math.ceil(self._clock() + KEEP_SECONDS))},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return self.get(entry.investigation_id) or entry
        return entry

    def intent(self, investigation_id: str, part: int, at: float) -> None:
        self._set(investigation_id, "intents", part, {"N": f"{at:.3f}"})

    def posted(self, investigation_id: str, part: int, message_id: str) -> None:
        self._set(investigation_id, "posted", part, {"S": message_id})

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
