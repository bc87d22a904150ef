"""The template miner: masking, merging look-alikes, keeping distinct messages apart, bounds."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from agents.common.templates import WILDCARD, TemplateMiner, mask

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)


def test_mask_replaces_numbers_ids_ips_durations_but_keeps_keys() -> None:
    line = (
        "2026-11-22T21:40:00.123Z ERROR HikariPool-1 - Connection is not available, request timed out after "
        "30000ms (total=8, active=8, idle=0) from 10.0.3.17:5432 req 550e8400-e29b-41d4-a716-446655440000 "
        "pod checkout-7d9f8c6b5-x2k4p sha 9f86d081884c7d659a2feaa0c55ad015"
    )
    masked = mask(line)
    for variable in ("2026", "30000ms", "10.0.3.17", "550e8400", "7d9f8c6b5", "9f86d081"):
        assert variable not in masked
    for literal in ("ERROR", "Connection is not available", "total=", "active=", "idle="):
        assert literal in masked


def test_same_template_with_different_values_is_one_cluster() -> None:
    miner = TemplateMiner()
    ids = miner.assign([f"ERROR upstream 10.0.{i}.{i + 1}:8080 timed out after {i * 7}ms" for i in range(50)])
    assert len(set(ids)) == 1
    [cluster] = miner.clusters()
    assert cluster.count == 50 and WILDCARD in cluster.template and "timed out after" in cluster.template


def test_word_variables_merge_and_different_messages_stay_apart() -> None:
    users = ["alice", "bob", "carol", "dave"]
    lines = [f"WARN user {u} failed login from 10.1.2.{i}" for i, u in enumerate(users)]
    lines += ["ERROR connection refused by db", "ERROR disk quota exceeded on volume"]
    lines += [f"INFO GET /api/cart 200 {i}ms" for i in range(3)] + [
        f"INFO POST /v1/charges 201 {i}ms" for i in range(3)
    ]
    miner = TemplateMiner()
    ids = miner.assign(lines)
    assert len(set(ids[:4])) == 1
    assert len(set(ids)) == 5
    assert "user <*> failed login" in miner.clusters()[0].template


def test_observe_keeps_counts_times_exemplars_and_sources() -> None:
    miner = TemplateMiner()
    miner.observe(
        [(f"ERROR job {i} failed", T0 + timedelta(minutes=i), f"stream-{i % 2}") for i in (5, 1, 9)]
    )
    [cluster] = miner.clusters()
    assert cluster.count == 3
    assert cluster.first_seen == T0 + timedelta(minutes=1) and cluster.exemplar == "ERROR job 1 failed"
    assert cluster.last_seen == T0 + timedelta(minutes=9) and cluster.last_exemplar == "ERROR job 9 failed"
    assert cluster.sources == {"stream-1": 3}


def test_cluster_bound_drops_and_counts_overflow() -> None:
    miner = TemplateMiner(max_clusters=2)
    ids = miner.assign(["alpha one", "beta two three", "gamma four five six", "alpha one"])
    assert ids[2] == -1 and miner.overflow == 1 and ids[3] == ids[0]


def test_masking_stays_linear_on_long_words_without_digits() -> None:
    line = "x" * 200_000 + " 1"
    started = time.perf_counter()
    mask(line)
    assert time.perf_counter() - started < 1.0  # quadratic backtracking would take minutes


@given(st.lists(st.text(max_size=80), max_size=40))
def test_every_message_gets_a_cluster_and_counts_add_up(messages: list[str]) -> None:
    miner = TemplateMiner()
    ids = miner.assign(messages)
    assert len(ids) == len(messages) and all(i >= 0 for i in ids)
    assert sum(c.count for c in miner.clusters()) == len(messages)
    # The same message always lands in the same cluster.
    first: dict[str, int] = {}
    for message, cid in zip(messages, ids, strict=True):
        assert first.setdefault(message, cid) == cid
