"""The report outbox keeps what a master wrote across a restart, whichever store holds it: the first
entry written for an investigation stands, intents and posted messages are recorded per part."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from agents.master.outbox import DynamoOutbox, Entry, MemoryOutbox, Outbox, Part, SqliteOutbox
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
