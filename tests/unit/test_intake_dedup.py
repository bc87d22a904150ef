"""Dedup semantics (in memory; the DynamoDB store is proven against moto in tests/functional),
the keys that decide "the same", and storm groups."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lambda_adapter import keys
from lambda_adapter.dedup import InMemoryDedupStore, Record
from lambda_adapter.storm import storm_group, storm_note
from shared.contracts import Hints

REC = Record("slack-0123456789abcdef", "slack", "C1", "1712345600.000100")


def test_claim_is_exclusive_until_it_expires() -> None:
    store = InMemoryDedupStore()
    assert store.claim("k", REC, ttl_seconds=60, now=1000).won
    lost = store.claim("k", REC, ttl_seconds=60, now=1059)
    assert not lost.won and lost.existing is not None and lost.existing.thread_id == REC.thread_id
    assert store.claim("k", REC, ttl_seconds=60, now=1061).won


def test_release_frees_the_key_and_update_keeps_the_claim() -> None:
    store = InMemoryDedupStore()
    store.claim("k", REC, ttl_seconds=60, now=1000)
    store.update("k", Record(REC.investigation_id, "slack", "C1", "999.1"), now=1010)
    record = store.get("k")
    assert record is not None and record.thread_id == "999.1" and record.expires_at == 1060
    assert not store.claim("k", REC, ttl_seconds=60, now=1020).won
    store.release("k")
    assert store.get("k") is None and store.claim("k", REC, ttl_seconds=60, now=1020).won


@given(deliveries=st.lists(st.sampled_from(["a", "b", "c"]), max_size=40), ttl=st.integers(1, 100))
def test_exactly_one_claim_per_key_within_the_window(deliveries: list[str], ttl: int) -> None:
    store = InMemoryDedupStore()
    won = [key for key in deliveries if store.claim(key, REC, ttl_seconds=ttl, now=0).won]
    assert sorted(won) == sorted(set(deliveries))


@given(text=st.text(min_size=12, max_size=200))
def test_repost_key_is_deterministic(text: str) -> None:
    assert keys.repost("slack", "C1", text) == keys.repost("slack", "C1", text)


def test_repost_key_ignores_times_and_counters_but_not_the_alert() -> None:
    a = keys.repost("slack", "C1", "[FIRING:1] DiskFull ip-10-0-1-12 at 2024-04-05T19:30:00Z")
    b = keys.repost("slack", "C1", "[FIRING:3]  diskfull IP-10-0-1-12 at 2024-04-05T19:45:10Z")
    c = keys.repost("slack", "C1", "[FIRING:1] DiskFull ip-10-0-1-13 at 2024-04-05T19:30:00Z")
    assert a == b and a != c
    assert keys.repost("slack", "C2", "[FIRING:1] DiskFull ip-10-0-1-12") != a
    assert keys.repost("slack", "C1", "hi") is None


def test_investigation_ids_fit_the_contract_and_differ_per_claim() -> None:
    first = keys.investigation_id("slack", "msg:slack:C1:1.2", 1000.0)
    assert first.startswith("slack-") and 8 <= len(first) <= 128
    assert first == keys.investigation_id("slack", "msg:slack:C1:1.2", 1000.0)
    assert first != keys.investigation_id("slack", "msg:slack:C1:1.2", 2000.0)


def test_storm_group_prefers_labels_then_hints() -> None:
    assert (
        storm_group({"namespace": "shop", "service": "checkout", "cluster": "prod"}) == "prod|shop|checkout"
    )
    assert storm_group({"namespace": "shop"}) == "|shop|*"
    assert storm_group({}, Hints(namespace="shop", workload="checkout")) == "|shop|checkout"
    assert storm_group({"app": "Checkout"}, Hints(service="other")) == "|*|checkout"
    assert storm_group({"alertname": "Watchdog"}) is None


def test_storm_note_is_one_short_line() -> None:
    note = storm_note("HighErrorRate", "critical", "5xx above 5%\nfor 10 minutes " + "x" * 400)
    assert (
        "\n" not in note and len(note) <= 300 and note.startswith("Also firing: *HighErrorRate* (critical)")
    )
