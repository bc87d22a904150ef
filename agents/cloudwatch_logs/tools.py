"""The CloudWatch Logs scanner's Strands tools (LLM mode): read-only, bounded, over the same
fetchers (`reader.LogsReader`) and analyzers as the deterministic scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strands import tool

from agents.cloudwatch_logs.analyzers import error_findings, windows_for
from agents.cloudwatch_logs.fetch import fetch_window, find_groups
from agents.cloudwatch_logs.reader import LogsReader
from agents.common.base import Budget
from agents.common.scope import Scope
from agents.common.signatures import load_signatures, resolve_user_file
from shared.errors import SourceError

_TOOL_BUDGET_S = 20.0
_MAX_TOOL_ROWS = 500
_MAX_TOOL_MINUTES = 24 * 60


def make_tools(scanner: Any) -> list[Any]:
    """The read-only Strands tools of a `CloudWatchLogsScanner`, over the same fetchers and analyzers
    as its deterministic scan. Each call has its own 20 s budget and bounded output."""

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
        signatures = load_signatures(resolve_user_file(scanner.source.signatures_file))
        try:
            fetched = fetch_window(reader(), list(log_groups)[:10], windows, budget, signatures)
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        findings = error_findings(
            fetched.error_lines,
            windows=windows,
            scope=scope,
            signatures=signatures,
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
