"""The report outbox keeps what a master wrote across a restart, whichever store holds it: the first
entry written for an investigation stands, intents and posted messages are recorded per part."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from agents.master.outbox import DynamoOutbox, Entry, MemoryOutbox, Outbox, Part, SqliteOutbox, Upload
from tests.support.dynamo import dedup_table, dynamodb_client, moto_server


def an_entry(text: str = "*Likely cause*: the deploy") -> Entry:
    return Entry(
        investigation_id="slack-abc",
        channel="C0ALERTS",
        thread_id=None,
        parts=(Part(text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]), Part("2/2")),
        report_json='{"investigation_id": "slack-abc"}',
        created_at=1_800_000_000.0,
    )


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Outbox, Outbox]]:
    """Two handles on one outbox: what one master wrote and what the next one reads."""
    if request.param == "memory":
        memory = MemoryOutbox()
        yield memory, memory
    elif request.param == "sqlite":
        yield SqliteOutbox(tmp_path / "o.sqlite3"), SqliteOutbox(tmp_path / "o.sqlite3")
    else:
        with moto_server() as url:
            table = dedup_table(url)
            yield DynamoOutbox(dynamodb_client(url), table), DynamoOutbox(dynamodb_client(url), table)


def test_what_one_master_wrote_the_next_one_reads(stores: tuple[Outbox, Outbox]) -> None:
    first, second = stores
    assert second.get("slack-abc") is None
    first.put(an_entry())
    first.intent("slack-abc", 0, 1_800_000_001.5)
    first.posted("slack-abc", 0, "1800000001.000100")
    first.intent("slack-abc", 1, 1_800_000_002.0)

    read = second.get("slack-abc")
    assert read is not None
    assert read.parts == an_entry().parts and read.channel == "C0ALERTS"
    assert read.posted == {0: "1800000001.000100"} and read.intents == {
        0: 1_800_000_001.5,
        1: 1_800_000_002.0,
    }
    assert read.thread() == "1800000001.000100"  # the first part started the thread
    assert not read.delivered


def test_the_first_report_written_stands(stores: tuple[Outbox, Outbox]) -> None:
    first, second = stores
    first.put(an_entry("the first report"))
    kept = second.put(an_entry("a second report"))
    assert kept.parts[0].text == "the first report"


def test_a_process_memory_keeps_the_newest_entries_only() -> None:
    memory = MemoryOutbox(max_entries=2)
    for n in range(3):
        memory.put(replace(an_entry(), investigation_id=f"inv-{n}"))
    assert memory.get("inv-0") is None
    assert memory.get("inv-1") is not None and memory.get("inv-2") is not None


def test_one_attempt_at_a_time_holds_a_parts_post(stores: tuple[Outbox, Outbox]) -> None:
    first, second = stores
    first.put(an_entry())
    now = 1_800_000_000.0
    assert first.claim("slack-abc", 0, "attempt-1", until=now + 30, now=now)
    # Another attempt alive at the same time is refused while the claim holds; its holder renews it.
    assert not second.claim("slack-abc", 0, "attempt-2", until=now + 35, now=now + 5)
    assert first.claim("slack-abc", 0, "attempt-1", until=now + 40, now=now + 10)
    assert not second.claim("slack-abc", 0, "attempt-2", until=now + 65, now=now + 35)
    # Another part is claimed on its own.
    assert second.claim("slack-abc", 1, "attempt-2", until=now + 30, now=now)
    # A holder that stopped renewing (it died) loses it once it lapses.
    assert second.claim("slack-abc", 0, "attempt-2", until=now + 71, now=now + 41)
    assert not first.claim("slack-abc", 0, "attempt-1", until=now + 72, now=now + 42)


def test_a_posted_part_cannot_be_claimed_and_a_claim_given_back_is_free(
    stores: tuple[Outbox, Outbox],
) -> None:
    first, second = stores
    first.put(an_entry())
    now = 1_800_000_000.0
    assert first.claim("slack-abc", 0, "attempt-1", until=now + 30, now=now)
    first.posted("slack-abc", 0, "1800000001.000100")
    assert not second.claim("slack-abc", 0, "attempt-2", until=now + 99, now=now + 99)
    assert first.claim("slack-abc", 1, "attempt-1", until=now + 30, now=now)
    assert first.claim("slack-abc", 1, "attempt-1", until=0.0, now=now + 1)  # given back
    assert second.claim("slack-abc", 1, "attempt-2", until=now + 32, now=now + 2)
    read = second.get("slack-abc")
    assert read is not None and read.claims[1].owner == "attempt-2"


def test_an_uploaded_file_is_kept_whole(stores: tuple[Outbox, Outbox]) -> None:
    first, second = stores
    png = bytes(range(256)) * 40
    upload = Upload("what-moved.png", png, title="What moved", alt_text="errors; alert at 05:16 UTC")
    first.put(replace(an_entry(), investigation_id="slack-abc/graph", parts=(Part("", file=upload),)))
    read = second.get("slack-abc/graph")
    assert read is not None and read.parts[0].file == upload


def test_a_local_outbox_file_from_before_claims_is_still_used(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(str(tmp_path / "o.sqlite3"))
    db.execute(
        "CREATE TABLE outbox (investigation TEXT PRIMARY KEY, payload TEXT NOT NULL, "
        "intents TEXT NOT NULL DEFAULT '{}', posted TEXT NOT NULL DEFAULT '{}', expires_at REAL NOT NULL)"
    )
    db.execute(
        "INSERT INTO outbox (investigation, payload, expires_at) VALUES (?, ?, ?)",
        ("slack-abc", an_entry().payload(), 4e9),
    )
    db.commit()
    db.close()
    outbox = SqliteOutbox(tmp_path / "o.sqlite3")
    assert outbox.claim("slack-abc", 0, "attempt-1", until=1_800_000_030.0, now=1_800_000_000.0)
    read = outbox.get("slack-abc")
    assert read is not None and read.parts == an_entry().parts


def test_a_graph_larger_than_a_dynamodb_item_is_kept_whole(stores: tuple[Outbox, Outbox]) -> None:
    """A picture of 600 KB that does not compress (past DynamoDB's 400 KB item limit) is written
    to the outbox and read back whole by the next master, claims and posted ids kept with it."""
    import os

    first, second = stores
    png = b"\x89PNG" + os.urandom(600 * 1024)
    upload = Upload("what-moved.png", png, title="What moved", alt_text="errors")
    entry = replace(an_entry(), investigation_id="slack-abc/graph", parts=(Part("", file=upload),))
    assert first.put(entry) == entry
    now = 1_800_000_000.0
    assert first.claim("slack-abc/graph", 0, "attempt-1", until=now + 30, now=now)
    first.intent("slack-abc/graph", 0, now)
    read = second.get("slack-abc/graph")
    assert read is not None and read.parts[0].file == upload and read.intents == {0: now}
    # A second attempt's different picture does not replace (nor mix with) the one written first.
    other = replace(entry, parts=(Part("", file=replace(upload, data=b"\x89PNG" + os.urandom(500 * 1024))),))
    assert second.put(other).parts[0].file == upload
    assert second.get("slack-abc/graph").parts[0].file == upload  # type: ignore[union-attr]


def test_a_later_attempt_s_claim_is_never_taken_by_an_earlier_one(stores: tuple[Outbox, Outbox]) -> None:
    """Fencing: attempt 1 stalled past its lease; attempt 2 took the part over. Attempt 1, awake
    again, cannot renew nor take it back, even once attempt 2's claim has lapsed."""
    first, second = stores
    first.put(an_entry())
    now = 1_800_000_000.0
    assert first.claim("slack-abc", 0, "stalled", until=now + 30, now=now, attempt=1)
    assert second.claim("slack-abc", 0, "retry", until=now + 61, now=now + 31, attempt=2)
    assert not first.claim("slack-abc", 0, "stalled", until=now + 62, now=now + 32, attempt=1)
    assert not first.claim("slack-abc", 0, "stalled", until=now + 200, now=now + 100, attempt=1)
    # A third attempt takes over a lapsed claim of the second.
    assert second.claim("slack-abc", 0, "third", until=now + 130, now=now + 100, attempt=3)


def test_what_follows_the_report_is_listed_once_in_order(stores: tuple[Outbox, Outbox]) -> None:
    first, second = stores
    first.follow("slack-abc", "late-cloudwatch")  # no report written: nothing to list it in
    first.put(an_entry())
    for name in ("late-cloudwatch", "graph", "late-cloudwatch", "late-eks"):
        first.follow("slack-abc", name)
    read = second.get("slack-abc")
    assert read is not None and read.followups == ("late-cloudwatch", "graph", "late-eks")
