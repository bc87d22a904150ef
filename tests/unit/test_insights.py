"""The sandbox's Logs Insights engine against the documented semantics of each command."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.insights import LogRecord, execute_insights, run_insights
from sandbox.insights_parser import InsightsSyntaxError

T0 = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)


def rec(
    minutes: float, message: str, stream: str = "api-1", group: str = "123456789012:/app/api"
) -> LogRecord:
    return LogRecord(T0 + timedelta(minutes=minutes), message, stream, group)


EVENTS = [
    rec(0, "INFO  started api v1.2.0"),
    rec(1, "ERROR db timeout after 30000ms user=alice"),
    rec(2, "error: lowercase failure"),
    rec(4.99, "WARN  slow request 812ms user=bob"),
    rec(5, "ERROR db timeout after 31000ms user=bob", stream="api-2"),
    rec(9, "ERROR HTTP 503 upstream user=alice", stream="api-2"),
    rec(12, '{"level": "ERROR", "latency": 250, "kubernetes": {"pod_name": "api-7d9f"}}', stream="api-2"),
]


def messages(rows: list[dict[str, str]]) -> list[str]:
    return [r["@message"] for r in rows]


def test_events_come_newest_first_with_timestamp_text_and_ptr() -> None:
    rows = run_insights("fields @timestamp, @message, @logStream, @log", EVENTS[:2])
    assert rows == [
        {
            "@timestamp": "2026-11-22 21:01:00.000",
            "@message": "ERROR db timeout after 30000ms user=alice",
            "@logStream": "api-1",
            "@log": "123456789012:/app/api",
            "@ptr": "1",
        },
        {
            "@timestamp": "2026-11-22 21:00:00.000",
            "@message": "INFO  started api v1.2.0",
            "@logStream": "api-1",
            "@log": "123456789012:/app/api",
            "@ptr": "0",
        },
    ]


def test_filter_like_regex_is_case_sensitive_unless_asked() -> None:
    rows = run_insights("fields @message | filter @message like /ERROR/ | sort @timestamp asc", EVENTS)
    assert len(rows) == 4 and "lowercase" not in " ".join(messages(rows))
    rows = run_insights("fields @message | filter @message like /(?i)error/", EVENTS)
    assert len(rows) == 5


def test_filter_like_string_is_a_substring_and_not_like_negates() -> None:
    rows = run_insights('fields @message | filter @message like "db timeout"', EVENTS)
    assert len(rows) == 2
    rows = run_insights(
        'fields @message | filter @message not like "ERROR" and @message not like "error"', EVENTS
    )
    assert messages(rows) == ["WARN  slow request 812ms user=bob", "INFO  started api v1.2.0"]


def test_boolean_logic_parentheses_and_in() -> None:
    query = (
        'fields @message | filter (@logStream = "api-2" or @message like /WARN/) and not @message like /503/'
    )
    assert len(run_insights(query, EVENTS)) == 3
    assert len(run_insights('fields @message | filter @logStream in ["api-2"]', EVENTS)) == 3
    assert len(run_insights('fields @message | filter @logStream not in ["api-2"]', EVENTS)) == 4
    assert len(run_insights('fields @message | filter @logStream != "api-2"', EVENTS)) == 4


def test_json_events_have_discovered_fields_and_numeric_comparisons() -> None:
    rows = run_insights(
        "filter latency > 200 and level = 'ERROR' | fields kubernetes.pod_name as pod, latency", EVENTS
    )
    assert rows == [{"pod": "api-7d9f", "latency": "250", "@ptr": "6"}]
    assert run_insights("filter latency > 300 | fields latency", EVENTS) == []
    assert len(run_insights("filter ispresent(kubernetes.pod_name) | fields @message", EVENTS)) == 1


def test_stats_count_by_bin_uses_aligned_buckets() -> None:
    rows = run_insights("filter @message like /ERROR/ | stats count(*) as errors by bin(5m)", EVENTS)
    # 21:01 falls in [21:00, 21:05); 21:05 starts the next bucket; 21:09 joins it; 21:12 in [21:10, 21:15)
    assert rows == [
        {"bin(5m)": "2026-11-22 21:00:00.000", "errors": "1"},
        {"bin(5m)": "2026-11-22 21:05:00.000", "errors": "2"},
        {"bin(5m)": "2026-11-22 21:10:00.000", "errors": "1"},
    ]


def test_stats_by_fields_with_sort_and_limit() -> None:
    query = "filter @message like /ERROR/ | stats count(*) as n by @logStream | sort n desc | limit 1"
    assert run_insights(query, EVENTS) == [{"@logStream": "api-2", "n": "3"}]
    rows = run_insights("stats count(*) by @logStream, @log | sort @logStream asc", EVENTS)
    assert rows == [
        {"@logStream": "api-1", "@log": "123456789012:/app/api", "count(*)": "4"},
        {"@logStream": "api-2", "@log": "123456789012:/app/api", "count(*)": "3"},
    ]


def test_stats_aggregates() -> None:
    query = (
        'parse @message "after *ms" as ms | filter ispresent(ms) '
        "| stats count_distinct(@logStream) as streams, min(ms) as lo, max(ms) as hi, avg(ms) as mean, "
        "sum(ms) as total, max(@timestamp) as last"
    )
    assert run_insights(query, EVENTS) == [
        {
            "streams": "2",
            "lo": "30000",
            "hi": "31000",
            "mean": "30500",
            "total": "61000",
            "last": "2026-11-22 21:05:00.000",
        }
    ]
    assert run_insights("filter @message like /nothing/ | stats count(*) as n", EVENTS) == [{"n": "0"}]


def test_parse_glob_extracts_and_keeps_unmatched_events() -> None:
    rows = run_insights(
        'parse @message "* db timeout after *ms user=*" as level, ms, user | sort @timestamp asc', EVENTS
    )
    assert len(rows) == len(EVENTS)  # parse never filters
    matched = [r for r in rows if "user" in r]
    assert [(r["level"], r["ms"], r["user"]) for r in matched] == [
        ("ERROR", "30000", "alice"),
        ("ERROR", "31000", "bob"),
    ]
    assert list(matched[0]) == ["@timestamp", "@message", "@logStream", "@log", "level", "ms", "user", "@ptr"]


def test_parse_regex_named_groups_then_stats_by_extracted_field() -> None:
    query = r"parse @message /user=(?<user>\w+)/ | filter ispresent(user) | stats count(*) as n by user"
    query += " | sort n desc"
    assert run_insights(query, EVENTS) == [{"user": "alice", "n": "2"}, {"user": "bob", "n": "2"}]


def test_sort_asc_limit_display_and_dedup() -> None:
    rows = run_insights(
        r"parse @message /user=(?<user>\w+)/ | filter ispresent(user) | sort @timestamp asc "
        "| dedup user | display user, @timestamp",
        EVENTS,
    )
    assert rows == [
        {"user": "alice", "@timestamp": "2026-11-22 21:01:00.000", "@ptr": "1"},
        {"user": "bob", "@timestamp": "2026-11-22 21:04:59.400", "@ptr": "3"},
    ]
    assert messages(run_insights("fields @message | limit 2", EVENTS))[0].startswith('{"level"')


def test_sort_is_natural_numbers_after_text() -> None:
    records = [rec(i, m) for i, m in enumerate(["10", "9", "a10", "a9", "B"])]
    rows = run_insights("fields @message | sort @message asc", records)
    assert messages(rows) == ["B", "a9", "a10", "9", "10"]


# The ascending example of the `sort` page (CWL_QuerySyntax-Sort): non-numbers by Unicode chunks,
# digit runs by length then value, then the number values.
DOCUMENTED_ASCENDING = [
    "!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh",
    "0", "01", "1", "2", "3",
]  # fmt: skip


def test_sort_reproduces_the_documented_example_and_ties_keep_input_order() -> None:
    shuffled = ["3", "A", "01", "@_", "5A", "#", "1", "111A", "0", "a12345hfh", "*%04", "2345_", "!:", "@"]
    shuffled += ["A9876fghj", "0#", "2"]
    records = [rec(i, m) for i, m in enumerate(shuffled)]
    assert messages(run_insights("fields @message | sort @message asc", records)) == DOCUMENTED_ASCENDING
    # descending is the reverse, except that "01" and "1" (both the number 1) stay in input order
    descending = messages(run_insights("fields @message | sort @message desc", records))
    assert descending == ["3", "2", "01", "1", "0", *reversed(DOCUMENTED_ASCENDING[:12])]
    swapped = [rec(i, m) for i, m in enumerate(["1", "2", "01"])]
    assert messages(run_insights("fields @message | sort @message asc", swapped)) == ["1", "01", "2"]
    assert messages(run_insights("fields @message | sort @message desc", swapped)) == ["2", "1", "01"]


def test_limit_parameter_and_statistics() -> None:
    result = execute_insights("fields @message | filter @message like /ERROR/", EVENTS, limit=2)
    assert len(result.rows) == 2
    assert result.records_scanned == 7
    assert result.records_matched == 4
    assert result.bytes_scanned == sum(len(e.message) for e in EVENTS)


def test_comments_and_quoted_fields() -> None:
    rows = run_insights("# errors only\nfields `@message` | filter @message like /503/ # upstream", EVENTS)
    assert messages(rows) == ["ERROR HTTP 503 upstream user=alice"]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("pattern @message", "`pattern` is not supported"),
        ("fields @message | unmask @message", "`unmask` is not supported"),
        ("frobnicate", "unknown command"),
        ("fields concat(@message, 'x')", "concat() is not supported"),
        ("stats pct(latency, 95)", "pct() is not supported"),
        ("stats count(*) by bin(5x)", "bin(5x)"),
        ("filter @message like", "unexpected end"),
        ("filter @message like /(unclosed/", "invalid regular expression"),
        ('parse @message "* *" as one', "2 wildcards but 1 names"),
        ("parse @message /no groups/", "named groups"),
        ("fields @message | | limit 1", "empty command"),
        ("limit 0", "positive whole number"),
        ("filter @message", "unexpected end"),
        ("", "empty"),
        ("fields @message extra", "unexpected 'extra'"),
    ],
)
def test_unsupported_or_malformed_queries_fail_loudly(query: str, problem: str) -> None:
    with pytest.raises(InsightsSyntaxError, match=re.escape(problem)):
        run_insights(query, EVENTS)


def test_regex_alternation_is_not_a_pipe() -> None:
    query = "fields @message | filter @message like /(?i)(timeout|upstream)/ | stats count(*) as n"
    assert run_insights(query, EVENTS) == [{"n": "3"}]
    assert (
        len(run_insights('fields @message | filter @message like "a|b" or @message like /#x/', EVENTS)) == 0
    )


def test_earliest_and_latest() -> None:
    query = "filter @message like /ERROR/ | stats earliest(@message) as first, latest(@message) as last"
    query += " by @logStream"
    rows = run_insights(query + " | sort @logStream asc", EVENTS)
    assert rows[0] == {"@logStream": "api-1", "first": EVENTS[1].message, "last": EVENTS[1].message}
    assert rows[1]["first"] == EVENTS[4].message
    assert rows[1]["last"] == EVENTS[6].message
