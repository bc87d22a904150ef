"""The template miner: masking, merging look-alikes, keeping distinct messages apart, bounds."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.common import templates as templates_module
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


# ---------------------------------------------------------------- the kinds of failure real logs show


def _groups(lines: list[str]) -> tuple[TemplateMiner, list[int]]:
    miner = TemplateMiner()
    return miner, miner.assign(lines)


def test_a_word_with_digits_in_a_name_is_a_constant() -> None:
    # `SOCKS5` is a protocol like `HTTPS`, not a number: the two must not share a template.
    lines = [f"app{i}.example.org:{400 + i} open through proxy gw.example.net:8080 HTTPS" for i in range(30)]
    lines += [f"10.9.8.{i}:22 open through proxy socks.example.net:1080 SOCKS5" for i in range(3)]
    miner, ids = _groups(lines)
    assert len(set(ids[:30])) == 1 and len(set(ids[30:])) == 1 and ids[0] != ids[30]
    assert {c.template for c in miner.clusters()} == {
        "<*> open through proxy <*> HTTPS",
        "<*> open through proxy <*> SOCKS5",
    }
    # Names differing only in their digits (the miner's memo is blind to digits) stay apart too,
    # over several chunks.
    lines = [f"10.0.{i % 250}.{i % 7}:22 open through proxy gw:1080 SOCKS{4 + i % 2}" for i in range(3_000)]
    miner, ids = _groups(lines)
    assert sorted((c.template, c.count) for c in miner.clusters()) == [
        ("<*> open through proxy <*> SOCKS4", 1_500),
        ("<*> open through proxy <*> SOCKS5", 1_500),
    ]
    assert all(ids[i] == ids[i % 2] for i in range(3_000))
    for word in ("eth0", "IPv6", "log4j", "ssh2", "(utf8)"):
        assert word in mask(f"link {word} up after 30 ms")
    # ...but digits inside a path or a longer id are values.
    assert mask("open /data/run7/part-00012 for blk_123456") == "open /data/<*> for <*>"


def test_dates_spelled_with_month_and_day_names_do_not_split_a_template() -> None:
    stamps = [
        "Sun Jul 17 15:09:52 2005",
        "Mon Jun 6 01:02:03 2005",
        "Fri Dec 16 23:59:59 EST 2005",
        "Thu Aug 14 08:00:00 2025",
    ]
    lines = [f"connection from 10.0.0.{i} (host-{i}.example.org) at {at}" for i, at in enumerate(stamps)]
    miner, ids = _groups(lines * 5)
    assert len(set(ids)) == 1
    assert miner.clusters()[0].template == "connection from <*> at <*>"
    dates = ["22/Nov/2026:21:10:10 +0000", "3/Jan/2025:01:02:03 +0000", "Nov 22, 2026", "March 9th, 2024"]
    forms = {mask(f"request at {d} done") for d in dates}
    assert forms == {"request at <*> done"}
    # A month name that is a word stays a word.
    assert mask("May the job retry later") == "May the job retry later"


def test_variables_joined_by_commas_are_one_variable() -> None:
    request = '"GET /v2/servers/detail HTTP/1.1" status: 200 len: 1910'
    lines = [f"10.11.10.{i} {request}" for i in range(10)]
    lines += [f"10.11.10.{i},10.11.21.{i} {request}" for i in range(5)]
    lines += [f"10.0.0.1, 10.0.0.2, 10.0.0.3 {request}"]
    _, ids = _groups(lines)
    assert len(set(ids)) == 1
    assert mask("hosts 10.0.0.1,10.0.0.2;10.0.0.3 down") == "hosts <*> down"


def test_values_with_units_and_their_restatements_are_one_variable() -> None:
    lines = [
        "gw.example.net:443 close, 0 bytes sent, 0 bytes received, lifetime 00:01",
        "gw.example.net:443 close, 451 bytes sent, 18846 bytes (18.4 KB) received, lifetime <1 sec",
        "gw.example.net:443 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02",
        "gw.example.net:443 close, 9 bytes sent, 5242880 bytes (5.00 MB) received, lifetime 01:02:03",
    ]
    miner, ids = _groups(lines)
    assert len(set(ids)) == 1
    assert miner.clusters()[0].template == "<*> close, <*> bytes sent, <*> bytes received, lifetime <*>"
    assert mask("took 1.5 seconds (limit 30 s)") == "took <*> (limit <*>)"


def test_lines_differing_in_one_constant_word_stay_apart() -> None:
    # An enumeration: a few words, each seen many times. Interleaved, as a stream shows them.
    states = ["Resumed", "Paused", "Stopped", "Started"]
    lines = [
        f"[instance: 4f0e{i:04x}-aaaa-bbbb-cccc-0123456789ab] VM {states[i % 4]} (Lifecycle Event)"
        for i in range(80)
    ]
    lines += [f"Session: 3054617{i}_334758052{i} initialized by client UpdateAgent." for i in range(40)]
    lines += ["Session: 30546180_3347580530 initialized by client SPP."]
    miner, ids = _groups(lines)
    assert len(set(ids[:80])) == 4 and all(ids[i] == ids[i % 4] for i in range(80))
    assert ids[-1] != ids[-2]
    templates = {c.template for c in miner.clusters()}
    assert "[instance: <*>] VM Paused (Lifecycle Event)" in templates
    assert "Session: <*> initialized by client SPP." in templates


def test_names_merge_where_words_would_not() -> None:
    # Values that read as names (after a naming noun, dotted, paths) are variables even when few.
    lines = [f"session opened for user {u} by (uid=0)" for u in ["cyrus", "news", "test"] * 20]
    lines += [f"dns lookup for {h} failed: no such host" for h in ["db.internal", "cache.internal"] * 10]
    lines += [f"GET {p} returned 503" for p in ["/api/cart", "/api/orders"] * 10]
    miner, ids = _groups(lines)
    assert len(set(ids)) == 3
    assert {c.template for c in miner.clusters()} == {
        "session opened for user <*> by (uid=<*>)",
        "dns lookup for <*> failed: no such host",
        "GET <*> returned <*>",
    }


def test_one_and_two_word_messages_never_merge() -> None:
    lines = ["normal", "warning", "running", "critical", "blocked", "idle", "ambient=28"] * 3
    commands = ["boot", "wait", "halt", "sync", "kill", "reap"] * 3
    lines += [f"{cmd}  (command {i})" for i, cmd in enumerate(commands)]
    _, ids = _groups(lines)
    assert len(set(ids)) == 7 + 6


def test_a_key_keeps_its_name_when_its_values_merge() -> None:
    lines = [f"authentication failure; ruser= rhost={h} user=root" for h in ["10.1.1.1", "mail.example.org"]]
    lines += ["authentication failure; ruser= rhost=10.2.2.2 user=root"] * 5
    miner, ids = _groups(lines)
    assert len(set(ids)) == 1
    assert miner.clusters()[0].template == "authentication failure; ruser= rhost=<*> user=root"


def test_merges_carry_over_calls_and_ids_follow_them() -> None:
    miner = TemplateMiner()
    [first] = miner.assign(["WARN user alice failed login from 10.0.0.1"])
    later = miner.assign([f"WARN user {u} failed login from 10.0.0.2" for u in ["bob", "carol", "dave"]])
    assert len(set(later)) == 1
    [cluster] = miner.clusters()
    assert cluster.id == first == later[0] and cluster.count == 4
    assert cluster.template == "WARN user <*> failed login from <*>"


def test_a_message_seen_before_a_merge_gets_the_merged_id_after_it() -> None:
    miner = TemplateMiner()
    [alice] = miner.assign(["WARN login for alice failed from 10.0.0.1"])
    [bob] = miner.assign(["WARN login for bob failed from 10.0.0.2"])
    miner.assign([f"WARN login for {u} failed from 10.0.0.3" for u in ["carol", "dave"]])
    assert [c.id for c in miner.clusters()] == [alice]
    assert miner.assign(["WARN login for bob failed from 10.0.0.9"]) == [alice] != [bob]
    assert miner.clusters()[0].count == 5


def test_the_template_line_is_capped() -> None:
    line = "ERROR " + " ".join(f"word{chr(97 + i % 26)}x" for i in range(600))
    miner, _ = _groups([line])
    template = miner.clusters()[0].template
    assert len(template) <= 510 and template.endswith("…") and template.startswith("ERROR wordax wordbx")


def test_memory_is_bounded_by_the_templates_not_the_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    # 200,000 lines of three templates whose values never repeat (numbers, ids, then user names,
    # 13,520 distinct), with the memo of masked forms capped low to see it cleared and refilled.
    monkeypatch.setattr(templates_module, "_MAX_CACHED_FORMS", 2_000)
    monkeypatch.setattr(templates_module, "_MAX_CACHED_KEYS", 2_000)
    miner = TemplateMiner()
    for batch in range(20):
        miner.assign(
            [
                f"GET /api/items/{batch * 10_000 + i} 200 {i % 977}ms"
                if i % 3 == 0
                else f"job {batch}-{i:x} failed after {i} retries"
                if i % 3 == 1
                else f"login failed for user u{chr(97 + i % 26)}{chr(97 + (i // 26) % 26)}{chr(97 + batch)}"
                for i in range(10_000)
            ]
        )
    assert {c.template for c in miner.clusters()} == {
        "GET /api/items/<*> <*> <*>",
        "job <*> failed after <*> retries",
        "login failed for user <*>",
    }
    assert sum(c.count for c in miner.clusters()) == 200_000 and miner.overflow == 0
    # What the miner holds: the live templates and their index entries, the capped memos, and one
    # int per template id ever given out (user names seen before their template merged).
    assert max(len(miner._by_key), len(miner._by_masked), len(miner._by_form)) <= 2_000
    assert len(miner._holes) == 3 and sum(map(len, miner._siblings.values())) < 50
    assert len(miner._parent) < 800


_PIECES = [*"ab AZ09_.:-,;/()[]=<>\"'", "Jul", "Mon", " 17 ", "SOCKS5", "eth0", "KB", " ms", "12:34:56"]


@given(st.lists(st.sampled_from(_PIECES), max_size=30), st.randoms(use_true_random=False))
def test_messages_that_differ_only_in_digits_mask_alike_when_no_digit_is_kept(
    pieces: list[str], rnd: random.Random
) -> None:
    # The memo is keyed by the message with its digits zeroed, and a key stands for a form only
    # when the form kept no digit: then any message with that key must mask alike.
    message = "".join(pieces)
    other = "".join(rnd.choice("0123456789") if c.isdigit() else c for c in message)
    if not any(c.isdigit() for c in mask(message)):
        assert mask(message) == mask(other)
    ids = TemplateMiner().assign([message, other, message])
    assert ids[0] == ids[2] and (ids[0] == ids[1] or mask(message) != mask(other))
