"""A fixed clock, scopes, the error findings of some events, and a scripted boto3 `logs` client for
the CloudWatch Logs tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from agents.cloudwatch_logs.analyzers import error_findings, windows_for
from agents.cloudwatch_logs.markers import deploy_times
from agents.cloudwatch_logs.reader import LogEvent
from agents.common.scope import Scope
from agents.common.signatures import load_signatures

NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
GROUP = "/aws/containerinsights/prod-eks/application"
HIKARI_LINE = (
    "ERROR HikariPool-1 - Connection is not available, request timed out after 30000ms (total=8, active=8)"
)


def scope(**targets: Any) -> Scope:
    return Scope(
        anchor=NOW - timedelta(minutes=3), window_start=NOW - timedelta(minutes=60), window_end=NOW, **targets
    )


def events(
    message: str,
    *,
    start: float,
    every_s: float,
    count: int,
    stream: str = "api-5d4c3b2a1-qwert_shop_api",
    group: str = GROUP,
) -> list[LogEvent]:
    """`count` copies of `message` from `start` minutes before NOW, `every_s` seconds apart."""
    first = NOW - timedelta(minutes=start)
    return [LogEvent(first + timedelta(seconds=every_s * i), message, group, stream) for i in range(count)]


def findings_for(evts: list[LogEvent], **targets: str) -> list[Any]:
    """The error findings of `evts` for a scope of `targets`, with the deploys the events mark."""
    the_scope = scope(**targets)
    signatures = load_signatures()
    return error_findings(
        evts,
        windows=windows_for(the_scope),
        scope=the_scope,
        signatures=signatures,
        region="eu-west-1",
        deploys=deploy_times(evts, signatures),
    )


def client_error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} for test"}}, operation)


class ScriptedLogs:
    """Answers like a boto3 `logs` client from canned data, and records every call."""

    def __init__(
        self,
        groups: list[str] | None = None,
        rows: list[list[dict[str, str]]] | None = None,
        status: str = "Complete",
        events: list[dict[str, Any]] | None = None,
        fail: dict[str, ClientError] | None = None,
    ) -> None:
        self.groups = groups or []
        self.rows = list(rows or [])
        self.status = status
        self.events = events or []
        self.fail = fail or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.queries: dict[str, list[dict[str, str]]] = {}

    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((name, kwargs))
        if name in self.fail:
            raise self.fail[name]

    def describe_log_groups(self, **kwargs: Any) -> dict[str, Any]:
        self._record("describe_log_groups", kwargs)
        prefix = kwargs.get("logGroupNamePrefix", "")
        pattern = kwargs.get("logGroupNamePattern", "")
        found = [g for g in self.groups if g.startswith(prefix) and pattern.lower() in g.lower()]
        return {
            "logGroups": [{"logGroupName": g, "storedBytes": 1024 * (i + 1)} for i, g in enumerate(found)]
        }

    def start_query(self, **kwargs: Any) -> dict[str, Any]:
        self._record("start_query", kwargs)
        query_id = f"q{len(self.queries)}"
        self.queries[query_id] = self.rows.pop(0) if self.rows else []
        return {"queryId": query_id}

    def get_query_results(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_query_results", kwargs)
        rows = self.queries[kwargs["queryId"]]
        return {
            "status": self.status,
            "results": [[{"field": k, "value": v} for k, v in r.items()] for r in rows],
        }

    def stop_query(self, **kwargs: Any) -> dict[str, Any]:
        self._record("stop_query", kwargs)
        return {"success": True}

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self._record("filter_log_events", kwargs)
        start, end = kwargs["startTime"], kwargs["endTime"]
        inside = [e for e in self.events if start <= e["timestamp"] < end]
        # CloudWatch's OR of quoted terms: case-sensitive, anywhere in the message.
        pattern = kwargs.get("filterPattern", "")
        terms = [q or bare for q, bare in re.findall(r'\?"([^"]*)"|\?(\S+)', pattern)]
        if terms:
            inside = [e for e in inside if any(t in e["message"] for t in terms)]
        offset = int(kwargs.get("nextToken", "0"))
        page = inside[offset : offset + kwargs["limit"]]
        token = str(offset + len(page)) if offset + len(page) < len(inside) else None
        return {"events": page, **({"nextToken": token} if token else {})}

    def called(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]


def rows_of(evts: list[LogEvent]) -> list[dict[str, str]]:
    """Insights rows as real CloudWatch returns them (timestamp text, account-prefixed @log)."""
    return [
        {
            "@timestamp": e.at.strftime("%Y-%m-%d %H:%M:%S.000"),
            "@message": e.message,
            "@logStream": e.stream,
            "@log": f"123456789012:{e.log_group}",
        }
        for e in evts
    ]


Factory = Callable[..., ScriptedLogs]
