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

from agents.common.base import Budget
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
