"""Give moto's CloudWatch Logs real Logs Insights answers, through the sandbox's own engine.

moto 5 parses only `fields`, `sort` and `limit` and ignores the rest (a filter returns every
event). `install()` replaces the four query actions of moto's Logs *response* class, the seam
where every request parameter is visible, for the moto server running in this process:
StartQuery (with logGroupName / logGroupNames / logGroupIdentifiers, limit, and
MalformedQueryException for what the engine cannot run), GetQueryResults (rows as AWS returns
them, with statistics), StopQuery and DescribeQueries.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.logs.exceptions import InvalidParameterException, LogsClientError, ResourceNotFoundException
from moto.logs.responses import LogsResponse

from sandbox.insights import InsightsResult, LogRecord, execute_insights
from sandbox.insights_parser import InsightsSyntaxError, parse_insights

logger = logging.getLogger(__name__)

_INSTALLED = False
_LOCK = threading.Lock()


class MalformedQueryException(LogsClientError):
    def __init__(self, message: str) -> None:
        self.code = 400
        super().__init__("MalformedQueryException", message)


@dataclass
class _Query:
    query_id: str
    query: str
    log_group_names: list[str]
    result: InsightsResult
    create_time: int = field(default_factory=lambda: int(datetime.now(UTC).timestamp() * 1000))
    status: str = "Complete"

    # moto's own describe_queries/export code reads these names
    def to_json(self, log_group_name: str | None = None) -> dict[str, Any]:
        return {
            "queryId": self.query_id,
            "queryString": self.query,
            "status": self.status,
            "createTime": self.create_time,
            "logGroupName": log_group_name or (self.log_group_names[0] if self.log_group_names else ""),
        }

    def to_result_json(self) -> dict[str, Any]:
        rows = [[{"field": k, "value": v} for k, v in row.items()] for row in self.result.rows]
        return {
            "results": rows,
            "statistics": {
                "recordsMatched": float(self.result.records_matched),
                "recordsScanned": float(self.result.records_scanned),
                "bytesScanned": float(self.result.bytes_scanned),
            },
            "status": self.status,
        }


def _group_name(identifier: str) -> str:
    """A log group name from a name or an ARN (`arn:aws:logs:r:acct:log-group:NAME[:*]`)."""
    if identifier.startswith("arn:"):
        name = identifier.split(":log-group:", 1)[-1]
        return name.removesuffix(":*")
    return identifier


def _records(group: Any, account_id: str, start_ms: int, end_ms: int) -> list[LogRecord]:
    records = []
    for stream_name, stream in group.streams.items():
        for event in stream.events:
            if start_ms <= event.timestamp <= end_ms:
                records.append(
                    LogRecord(
                        timestamp=datetime.fromtimestamp(event.timestamp / 1000, UTC),
                        message=event.message,
                        log_stream=stream_name,
                        log_group=f"{account_id}:{group.name}",
                        ptr=f"{group.name}/{stream_name}/{event.event_id}",
                        ingestion_time=datetime.fromtimestamp(event.ingestion_time / 1000, UTC),
                    )
                )
    return records


def _start_query(self: Any) -> str:
    names = [self._get_param("logGroupName")] if self._get_param("logGroupName") else []
    given = [p for p in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if self._get_param(p)]
    if len(given) != 1:
        raise InvalidParameterException(
            "Specify exactly one of logGroupName, logGroupNames, logGroupIdentifiers"
        )
    names = names or [_group_name(i) for i in self._get_param(given[0])]
    start = self._get_int_param("startTime")
    end = self._get_int_param("endTime")
    if start is None or end is None or end < start:
        raise InvalidParameterException("startTime and endTime (epoch seconds) are required, end >= start")
    query_string = self._get_param("queryString") or ""
    try:
        parsed = parse_insights(query_string)
    except InsightsSyntaxError as e:
        raise MalformedQueryException(str(e)) from e
    backend = self.logs_backend
    records: list[LogRecord] = []
    for name in names:
        if name not in backend.groups:
            raise ResourceNotFoundException(
                f"Log group '{name}' does not exist for account ID '{backend.account_id}'"
            )
        # endTime is inclusive to the second: an event at end+0.5 s is still in range
        records.extend(_records(backend.groups[name], backend.account_id, start * 1000, end * 1000 + 999))
    result = execute_insights(parsed, records, limit=self._get_int_param("limit"))
    query_id = str(uuid.uuid4())
    backend.queries[query_id] = _Query(query_id, query_string, names, result)
    logger.debug(
        "query_id=<%s>, groups=<%s>, rows=<%d> | insights query run", query_id, names, len(result.rows)
    )
    return json.dumps({"queryId": query_id})


def _get_query_results(self: Any) -> str:
    query = self.logs_backend.queries.get(self._get_param("queryId"))
    if query is None:
        raise ResourceNotFoundException("Query does not exist.")
    return json.dumps(query.to_result_json())


def _stop_query(self: Any) -> str:
    query = self.logs_backend.queries.get(self._get_param("queryId"))
    if query is None:
        raise ResourceNotFoundException("Query does not exist.")
    # Queries complete as they start, so there is never a running one to stop (AWS says false).
    return json.dumps({"success": False})


def _describe_queries(self: Any) -> str:
    group = self._get_param("logGroupName")
    status = self._get_param("status")
    limit = self._get_int_param("maxResults") or 1000
    queries = [
        q.to_json(group)
        for q in reversed(list(self.logs_backend.queries.values()))
        if (not group or group in q.log_group_names) and (not status or q.status == status)
    ]
    return json.dumps({"queries": queries[:limit]})


def install() -> None:
    """Route moto's Logs Insights actions through the sandbox engine (idempotent, process-wide)."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        LogsResponse.start_query = _start_query  # type: ignore[method-assign]
        LogsResponse.get_query_results = _get_query_results  # type: ignore[method-assign]
        LogsResponse.stop_query = _stop_query  # type: ignore[attr-defined]
        LogsResponse.describe_queries = _describe_queries  # type: ignore[method-assign]
        _INSTALLED = True
