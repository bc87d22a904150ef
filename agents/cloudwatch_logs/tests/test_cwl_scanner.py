"""The scanner end to end over a scripted `logs` client: bounded reads, budget, fallback, statuses."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from cwl_support import GROUP, HIKARI_LINE, NOW, ScriptedLogs, client_error, events, rows_of

from agents.cloudwatch_logs.agent import CloudWatchLogsScanner
from agents.cloudwatch_logs.reader import LogsReader, parse_insights_time
from agents.common.base import Budget
from shared.config import load_config
from shared.contracts import AgentStatus, AlertContext, CauseCategory, Hints, Platform, Trigger
from shared.errors import SourceError


def context(**hints: object) -> AlertContext:
    return AlertContext(
        investigation_id="test-investigation-1",
        platform=Platform.ALERTMANAGER,
        channel="C0",
        received_at=NOW - timedelta(minutes=1),
        alert_started_at=NOW - timedelta(minutes=3),
        window_start=NOW - timedelta(minutes=60),
        window_end=NOW,
        hints=Hints(**hints),
    )


def scanner(client: ScriptedLogs) -> CloudWatchLogsScanner:
    return CloudWatchLogsScanner(load_config(), "cloudwatch_logs", client=client)


RECENT = events(
    HIKARI_LINE, start=12, every_s=10, count=30, stream="payments-api-84c6d9b7f-t4w9z_payments_api"
)
MARKER = events(
    "INFO config reloaded: DB_POOL_MAX=8",
    start=48,
    every_s=1,
    count=1,
    stream="payments-api-84c6d9b7f-t4w9z_payments_api",
)


def test_insights_path_finds_the_template_and_the_config_change() -> None:
    client = ScriptedLogs(
        groups=[GROUP, "/aws/containerinsights/prod-eks/performance"],
        rows=[rows_of(RECENT), [], rows_of(MARKER)],
    )
    result = scanner(client).run(
        context(cluster="prod-eks", namespace="payments", service="payments-api"), Budget.of(10)
    )
    assert result.status is AgentStatus.OK
    causes = {f.cause_hint for f in result.findings}
    assert CauseCategory.RESOURCE_POOL_EXHAUSTION in causes
    assert any(f.change is Trigger.CONFIG_CHANGE and "DB_POOL_MAX=8" in f.title for f in result.findings)
    [started] = client.called("start_query")[:1]
    assert started["logGroupNames"] == [GROUP]  # performance events are never read
    assert all(q["limit"] <= 2000 for q in client.called("start_query"))
    assert client.called("filter_log_events") == []


def test_no_matching_group_is_said_plainly() -> None:
    result = scanner(ScriptedLogs(groups=["/aws/lambda/other"])).run(
        context(workload="checkout"), Budget.of(5)
    )
    assert result.status is AgentStatus.NO_DATA and result.findings == ()
    assert "No CloudWatch log group matched the alert" in result.notes[0]
    assert "names containing 'checkout'" in result.notes[0]


def test_insights_refused_falls_back_to_filter_log_events() -> None:
    raw = [
        {
            "timestamp": int(e.at.timestamp() * 1000),
            "message": e.message,
            "logStreamName": e.stream,
            "eventId": str(i),
        }
        for i, e in enumerate(RECENT + MARKER)
    ]
    raw.sort(key=lambda e: e["timestamp"])
    client = ScriptedLogs(
        groups=[GROUP], events=raw, fail={"start_query": client_error("AccessDeniedException", "StartQuery")}
    )
    result = scanner(client).run(context(cluster="prod-eks", service="payments-api"), Budget.of(10))
    assert result.status is AgentStatus.OK
    assert any("filter_log_events instead" in n for n in result.notes)
    assert {f.cause_hint for f in result.findings} >= {CauseCategory.RESOURCE_POOL_EXHAUSTION}
    assert all(call["limit"] <= 1000 for call in client.called("filter_log_events"))


def test_every_listing_failing_is_an_error_not_no_data() -> None:
    client = ScriptedLogs(
        fail={"describe_log_groups": client_error("AccessDeniedException", "DescribeLogGroups")}
    )
    result = scanner(client).run(context(cluster="prod-eks"), Budget.of(5))
    assert result.status is AgentStatus.ERROR and "AccessDeniedException" in result.errors[0]


def test_a_slow_query_is_stopped_at_the_budget_and_keeps_partial_rows() -> None:
    client = ScriptedLogs(rows=[rows_of(RECENT[:5])], status="Running")
    reader = LogsReader(client, poll_interval=0.05)
    budget = Budget.of(0.6)
    started = time.monotonic()
    spec = ("fields @message", [GROUP], NOW - timedelta(minutes=10), NOW, 100)
    [result] = reader.wait(budget, reader.start_queries(budget, [spec]), reserve_s=0.2)
    assert time.monotonic() - started < 1.0
    assert result.status == "Running" and len(result.rows) == 5
    assert client.called("stop_query") == [{"queryId": "q0"}]


def test_filter_events_is_bounded_and_says_so() -> None:
    raw = [
        {
            "timestamp": int((NOW - timedelta(seconds=i)).timestamp() * 1000),
            "message": f"m{i}",
            "logStreamName": "s",
        }
        for i in range(50)
    ]
    reader = LogsReader(ScriptedLogs(events=sorted(raw, key=lambda e: e["timestamp"])))
    got, truncated = reader.filter_events(
        Budget.of(5), GROUP, NOW - timedelta(minutes=5), NOW + timedelta(seconds=1), max_events=20
    )
    assert len(got) == 20 and truncated


def test_expired_budget_makes_no_call() -> None:
    client = ScriptedLogs(groups=[GROUP])
    with pytest.raises(SourceError, match="budget"):
        LogsReader(client).list_groups(Budget.of(0))
    assert client.calls == []


def test_insights_timestamps_in_both_spellings() -> None:
    assert parse_insights_time("2026-11-22 21:40:00.123") == datetime(
        2026, 11, 22, 21, 40, 0, 123000, tzinfo=UTC
    )
    assert parse_insights_time("1795297200000") == datetime.fromtimestamp(1795297200, tz=UTC)
    assert parse_insights_time("not a time") is None


def test_snapshot_ranks_groups_by_stored_bytes_with_error_counts() -> None:
    groups = ["/a", "/b", "/c"]
    client = ScriptedLogs(groups=groups, rows=[[{"@log": "123456789012:/c", "errors": "340"}]])
    result = scanner(client).run(context().model_copy(update={"mode": "snapshot"}), Budget.of(5))
    titles = [f.title for f in result.findings]
    assert titles[0].startswith("Log group /c") and "340 error lines" in titles[0]
    assert "error count unknown" in titles[1]


def test_tools_are_read_only_strands_tools_with_documented_arguments() -> None:
    tools = scanner(ScriptedLogs()).tools()
    names = {t.tool_name for t in tools}
    assert names == {"find_log_groups", "error_templates", "run_insights_query", "filter_log_events"}
    for tool in tools:
        spec = tool.tool_spec
        assert spec["description"] and spec["inputSchema"]["json"]["properties"]
    result = next(t for t in tools if t.tool_name == "find_log_groups")(cluster="prod-eks")
    assert result["status"] == "no_data" and result["groups"] == []


def test_skill_matches_config_and_names_real_tools() -> None:
    from strands import Skill

    config = load_config()
    the_scanner = scanner(ScriptedLogs())
    [name] = config.agents["cloudwatch_logs"].skills
    skill = Skill.from_file(the_scanner.skills_dir / name)
    assert skill.name == name and skill.description
    assert set(skill.allowed_tools or []) <= {t.tool_name for t in the_scanner.tools()}
