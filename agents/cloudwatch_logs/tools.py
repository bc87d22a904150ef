"""Thin, bounded fetchers over an injected boto3 `logs` client. Read-only.

Every call checks the budget first and is capped in size: a fetcher returns what it got and says
whether it was cut short, and never pulls unbounded data.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agents.base import Budget
from shared.errors import SourceError
from shared.timeutil import parse_time

logger = logging.getLogger(__name__)

_ACCOUNT_PREFIX = re.compile(r"^\d{12}:")
_RETRYABLE_POLL = {"Scheduled", "Running"}


@dataclass(frozen=True)
class LogEvent:
    at: datetime
    message: str
    log_group: str
    stream: str


@dataclass
class LogGroupInfo:
    name: str
    stored_bytes: int = 0
    retention_days: int | None = None


@dataclass
class QueryResult:
    """Rows of one Insights query; `status` Complete, Running (cut short by the budget), Failed..."""

    query: str
    log_groups: list[str]
    start: datetime
    end: datetime
    status: str = "Complete"
    rows: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.status == "Complete"


def _epoch_s(dt: datetime) -> int:
    return int(dt.timestamp())


def parse_insights_time(value: str) -> datetime | None:
    """`@timestamp` as real Insights writes it (`2026-11-22 21:40:00.123`, UTC) or as epoch ms."""
    value = value.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        return parse_time(value.replace(" ", "T") + ("" if value.endswith("Z") else "Z"))
    except ValueError:
        return None


def row_to_event(row: dict[str, str], default_group: str = "") -> LogEvent | None:
    at = parse_insights_time(row.get("@timestamp", ""))
    message = row.get("@message")
    if at is None or message is None:
        return None
    group = _ACCOUNT_PREFIX.sub("", row.get("@log", "")) or default_group
    return LogEvent(at=at, message=message.rstrip("\n"), log_group=group, stream=row.get("@logStream", ""))


class LogsReader:
    """Bounded reads from CloudWatch Logs through `client` (a boto3 `logs` client)."""

    def __init__(self, client: Any, *, poll_interval: float = 0.25) -> None:
        self.client = client
        self.poll_interval = poll_interval

    def _call(self, name: str, budget: Budget, **kwargs: Any) -> dict[str, Any]:
        if budget.expired():
            raise SourceError(f"CloudWatch Logs: budget exhausted before {name}")
        try:
            response: dict[str, Any] = getattr(self.client, name)(**kwargs)
            return response
        except ClientError as e:
            error = e.response.get("Error", {})
            raise SourceError(
                f"CloudWatch Logs {name}: {error.get('Code', 'error')}: {error.get('Message', e)}"
            ) from e
        except BotoCoreError as e:
            raise SourceError(f"CloudWatch Logs {name}: {e}") from e

    def list_groups(
        self, budget: Budget, *, prefix: str | None = None, pattern: str | None = None, max_groups: int = 100
    ) -> tuple[list[LogGroupInfo], bool]:
        """Log groups by name prefix or substring pattern (at most `max_groups`); the bool says the
        listing was cut at that bound."""
        kwargs: dict[str, Any] = {"limit": min(50, max_groups)}
        if prefix:
            kwargs["logGroupNamePrefix"] = prefix
        elif pattern:
            kwargs["logGroupNamePattern"] = pattern
        groups: list[LogGroupInfo] = []
        while True:
            page = self._call("describe_log_groups", budget, **kwargs)
            for group in page.get("logGroups", []):
                groups.append(
                    LogGroupInfo(
                        group["logGroupName"],
                        int(group.get("storedBytes") or 0),
                        group.get("retentionInDays"),
                    )
                )
            token = page.get("nextToken")
            if not token or len(groups) >= max_groups:
                return groups[:max_groups], bool(token) or len(groups) > max_groups
            kwargs["nextToken"] = token

    def start_queries(
        self,
        budget: Budget,
        specs: list[tuple[str, list[str], datetime, datetime, int]],
    ) -> list[tuple[QueryResult, str | None]]:
        """Start each (query, groups, start, end, limit); a query that fails to start is returned
        with status Failed and its error, not raised."""
        started: list[tuple[QueryResult, str | None]] = []
        for query, groups, start, end, limit in specs:
            result = QueryResult(query=query, log_groups=groups, start=start, end=end, status="Scheduled")
            try:
                response = self._call(
                    "start_query",
                    budget,
                    logGroupNames=groups,
                    queryString=query,
                    startTime=_epoch_s(start),
                    endTime=_epoch_s(end),
                    limit=limit,
                )
                started.append((result, response["queryId"]))
            except SourceError as e:
                result.status, result.error = "Failed", str(e)
                started.append((result, None))
        return started

    def wait(
        self, budget: Budget, started: list[tuple[QueryResult, str | None]], reserve_s: float = 1.0
    ) -> list[QueryResult]:
        """Poll until every query is done or only `reserve_s` of the budget is left; a query still
        running then is stopped (`stop_query`) and keeps the partial rows it had."""
        pending = {qid: result for result, qid in started if qid is not None}
        interval = self.poll_interval
        while pending:
            for qid, result in list(pending.items()):
                try:
                    response = self._call("get_query_results", budget, queryId=qid)
                except SourceError as e:
                    result.status, result.error = "Failed", str(e)
                    del pending[qid]
                    continue
                result.status = response.get("status", "Unknown")
                result.rows = [
                    {c["field"]: c.get("value", "") for c in row} for row in response.get("results", [])
                ]
                if result.status not in _RETRYABLE_POLL:
                    del pending[qid]
            if not pending:
                break
            if budget.remaining() <= reserve_s + interval:
                for qid, result in pending.items():
                    self._stop(qid)
                    logger.info(
                        "query_id=<%s>, rows=<%d> | query stopped at the budget", qid, len(result.rows)
                    )
                break
            time.sleep(interval)
            interval = min(1.0, interval * 1.5)
        return [result for result, _ in started]

    def _stop(self, query_id: str) -> None:
        try:
            self.client.stop_query(queryId=query_id)
        except (ClientError, BotoCoreError) as e:  # already finished, or not stoppable: nothing to do
            logger.debug("query_id=<%s>, error=<%s> | stop_query failed", query_id, e)

    def filter_events(
        self,
        budget: Budget,
        log_group: str,
        start: datetime,
        end: datetime,
        *,
        pattern: str | None = None,
        max_events: int = 2000,
    ) -> tuple[list[LogEvent], bool]:
        """Events of one group in [start, end) (oldest first), at most `max_events`; the bool says
        more were left unread."""
        kwargs: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": int(start.timestamp() * 1000),
            "endTime": int(end.timestamp() * 1000),
            "limit": min(1000, max_events),
        }
        if pattern:
            kwargs["filterPattern"] = pattern
        events: list[LogEvent] = []
        while True:
            page = self._call("filter_log_events", budget, **kwargs)
            for raw in page.get("events", []):
                events.append(
                    LogEvent(
                        at=datetime.fromtimestamp(raw["timestamp"] / 1000, tz=UTC),
                        message=str(raw.get("message", "")).rstrip("\n"),
                        log_group=log_group,
                        stream=raw.get("logStreamName", ""),
                    )
                )
            token = page.get("nextToken")
            if not token or len(events) >= max_events or budget.remaining() < 1.0:
                return events[:max_events], bool(token) or len(events) > max_events
            kwargs["nextToken"] = token


# ---------------------------------------------------------------- Strands tools (LLM mode)

_TOOL_BUDGET_S = 20.0
_MAX_TOOL_ROWS = 500
_MAX_TOOL_MINUTES = 24 * 60


def make_tools(scanner: Any) -> list[Any]:
    """The read-only Strands tools of a `CloudWatchLogsScanner`, over the same fetchers and analyzers
    as its deterministic scan. Each call has its own 20 s budget and bounded output."""
    from datetime import timedelta

    from strands import tool

    from agents.cloudwatch_logs.analyzers import error_findings, windows_for
    from agents.cloudwatch_logs.fetch import fetch_window, find_groups
    from agents.cloudwatch_logs.signatures import load_signatures
    from agents.eks.scope import Scope

    def scope_for(minutes: int, **targets: Any) -> Scope:
        now = datetime.now(UTC)
        minutes = max(5, min(int(minutes), _MAX_TOOL_MINUTES))
        return Scope(
            anchor=now,
            window_start=now - timedelta(minutes=minutes),
            window_end=now,
            region=scanner.config.sources.aws.region,
            **targets,
        )

    def reader() -> LogsReader:
        return scanner.reader(scanner.config.sources.aws.region)  # type: ignore[no-any-return]

    @tool
    def find_log_groups(
        cluster: str = "", namespace: str = "", workload: str = "", log_group: str = ""
    ) -> dict:
        """Find the CloudWatch log groups that fit an alert, best first, with a score (0..1) and why.

        Looks under /aws/containerinsights/<cluster>/ and /aws/eks/<cluster>/, /aws/lambda/<workload>,
        groups whose name contains the workload, and the groups configured for the scanner. Returns at
        most `sources.cloudwatch_logs.max_groups` groups; an empty list means nothing matched.

        Args:
            cluster: EKS cluster name, e.g. "prod-eks".
            namespace: Kubernetes namespace of the alert, e.g. "payments".
            workload: Deployment, service or Lambda function name, e.g. "payments-api".
            log_group: an exact log group name (or prefix) the alert names.
        """
        scope = scope_for(
            60,
            cluster=cluster or None,
            namespace=namespace or None,
            workload=workload or None,
            log_groups=(log_group,) if log_group else (),
        )
        try:
            search = find_groups(
                reader(),
                scope,
                list(scanner.source.log_groups),
                scanner.source.max_groups,
                Budget.of(_TOOL_BUDGET_S),
            )
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        return {
            "status": "ok" if search.groups else "no_data",
            "looked_for": search.looked_for,
            "groups": [
                {"name": g.name, "score": g.score, "reason": g.reason, "stored_bytes": g.stored_bytes}
                for g in search.groups
            ],
            "errors": search.errors,
        }

    @tool
    def error_templates(log_groups: list[str], minutes: int = 60) -> dict:
        """Cluster the error lines of the last `minutes` in `log_groups` into templates.

        Each template has its count in the last 15 minutes vs the window before (new / spiking /
        steady), first and last seen (UTC), an exact example line, a cause hint from the signature
        file (oom, disk_full, resource_pool_exhaustion, rate_limited, permission_denied ...) and a
        Logs Insights console link. Reads at most 2,000 lines per window.

        Args:
            log_groups: up to 10 log group names (from find_log_groups).
            minutes: how far back to look, 20 to 1440 (default 60).
        """
        scope = scope_for(max(20, minutes))
        windows = windows_for(scope)
        budget = Budget.of(_TOOL_BUDGET_S)
        try:
            fetched = fetch_window(reader(), list(log_groups)[:10], windows, budget)
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        findings = error_findings(
            fetched.error_lines,
            windows=windows,
            scope=scope,
            signatures=load_signatures(scanner.source.signatures_file),
            region=scope.region or "us-east-1",
            baseline_complete=fetched.baseline_complete,
            max_findings=15,
        )
        return {
            "status": "ok" if findings else "no_data",
            "notes": fetched.notes,
            "templates": [f.model_dump(mode="json", exclude_none=True) for f in findings],
        }

    @tool
    def run_insights_query(log_groups: list[str], query: str, minutes: int = 60, limit: int = 100) -> dict:
        """Run one CloudWatch Logs Insights query (read-only) and return its rows.

        Use after error_templates to narrow down, e.g.
        `fields @timestamp, @message | filter @message like /timeout/ | sort @timestamp desc | limit 50`
        or `filter @message like /ERROR/ | stats count(*) by bin(5m)`. Polling stops at a 20 s budget
        (the query is then stopped and partial rows returned).

        Args:
            log_groups: up to 10 log group names.
            query: the Logs Insights query text.
            minutes: time range ending now, 5 to 1440 (default 60).
            limit: at most this many rows, 1 to 500 (default 100).
        """
        scope = scope_for(minutes)
        limit = max(1, min(int(limit), _MAX_TOOL_ROWS))
        budget = Budget.of(_TOOL_BUDGET_S)
        spec = (query, list(log_groups)[:10], scope.window_start, scope.window_end, limit)
        result = reader().wait(budget, reader().start_queries(budget, [spec]))[0]
        return {"status": result.status, "error": result.error, "rows": result.rows[:limit]}

    @tool
    def filter_log_events(
        log_group: str, filter_pattern: str = "", minutes: int = 30, limit: int = 100
    ) -> dict:
        """Read raw events of one log group, oldest first, optionally with a CloudWatch filter pattern.

        Args:
            log_group: the log group name.
            filter_pattern: a CloudWatch Logs filter pattern such as `ERROR` or `"connection refused"`
                (case-sensitive); empty for every event.
            minutes: time range ending now, 5 to 1440 (default 30).
            limit: at most this many events, 1 to 500 (default 100).
        """
        scope = scope_for(minutes)
        try:
            events, truncated = reader().filter_events(
                Budget.of(_TOOL_BUDGET_S),
                log_group,
                scope.window_start,
                scope.window_end,
                pattern=filter_pattern or None,
                max_events=max(1, min(int(limit), _MAX_TOOL_ROWS)),
            )
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        return {
            "status": "ok" if events else "no_data",
            "truncated": truncated,
            "events": [
                {"at": e.at.isoformat(), "stream": e.stream, "message": e.message[:2000]} for e in events
            ],
        }

    return [find_log_groups, error_templates, run_insights_query, filter_log_events]
