"""What the scanner reads, in order and within its budget: the log groups, then the window's error
lines and change markers (Logs Insights, or `filter_log_events` when Insights is unavailable)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agents.cloudwatch_logs.analyzers import AGENT, Windows
from agents.cloudwatch_logs.fallback import filter_patterns, signature_terms
from agents.cloudwatch_logs.groups import ScoredGroup, lookups, select_groups
from agents.cloudwatch_logs.queries import (
    MARKER_RE,
    error_count_query,
    errors_query,
    insights_console_url,
    markers_query,
)
from agents.cloudwatch_logs.reader import LogEvent, LogGroupInfo, LogsReader, QueryResult, row_to_event
from agents.common.base import Budget
from agents.common.scope import Scope
from agents.common.signatures import Signatures, load_signatures
from shared.contracts import MAX_REFERENCE, Evidence, EvidenceKind, Finding, Severity
from shared.errors import SourceError

logger = logging.getLogger(__name__)

ERROR_LIMIT = 2000  # rows per window (Insights allows 10,000; this keeps a scan to seconds)
MARKER_LIMIT = 300
FALLBACK_EVENTS = 1000  # per group and window, shared by the fallback's filter patterns


@dataclass
class GroupSearch:
    groups: list[ScoredGroup] = field(default_factory=list)
    looked_for: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Fetched:
    error_lines: list[LogEvent] = field(default_factory=list)
    markers: list[LogEvent] = field(default_factory=list)
    baseline_complete: bool = True
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # calls that failed, for AgentResult.errors


def find_groups(
    reader: LogsReader, scope: Scope, configured: list[str], max_groups: int, budget: Budget
) -> GroupSearch:
    """List the groups each lookup can find (bounded), then keep the best `max_groups`."""
    search = GroupSearch()
    found: dict[str, int] = {}
    for lookup in lookups(scope, configured):
        search.looked_for.append(lookup.describe())
        if budget.remaining() < 2.0:
            search.errors.append("budget nearly spent: stopped listing log groups")
            break
        try:
            groups, _ = reader.list_groups(
                budget, prefix=lookup.prefix, pattern=lookup.pattern, max_groups=50
            )
        except SourceError as e:
            search.errors.append(str(e))
            continue
        for group in groups:
            found[group.name] = group.stored_bytes
    search.groups = select_groups(found, scope, configured, max_groups)
    if not search.groups and search.errors and not found:
        # Every listing failed: this is the source being unreachable, not "no match".
        raise SourceError("; ".join(dict.fromkeys(search.errors)))
    return search


def fetch_window(
    reader: LogsReader,
    groups: list[str],
    windows: Windows,
    budget: Budget,
    signatures: Signatures | None = None,
) -> Fetched:
    """Error lines of the recent and baseline windows and the window's change markers.
    `signatures` (the built-in file when None) widen the error filter with their own words and
    shape the fallback's filter patterns."""
    signatures = signatures or load_signatures()
    errors = errors_query(ERROR_LIMIT, signature_terms(signatures))
    specs = [
        (errors, groups, windows.recent_start, windows.end, ERROR_LIMIT),
        (errors, groups, windows.baseline_start, windows.recent_start, ERROR_LIMIT),
        (markers_query(MARKER_LIMIT), groups, windows.baseline_start, windows.end, MARKER_LIMIT),
    ]
    fetched = Fetched()
    results = reader.wait(budget, reader.start_queries(budget, specs), reserve_s=1.5)
    if any(r.status == "Failed" for r in results):
        reasons = "; ".join(dict.fromkeys(r.error or r.status for r in results if r.status == "Failed"))
        fetched.notes.append(
            f"Logs Insights failed ({reasons}); read the groups with filter_log_events instead."
        )
        return _fallback(reader, groups, windows, budget, fetched, signatures)
    recent, baseline, markers = results
    fetched.error_lines = _events(recent, groups) + _events(baseline, groups)
    fetched.markers = [e for e in _events(markers, groups) if MARKER_RE.search(e.message)]
    fetched.baseline_complete = baseline.complete and len(baseline.rows) < ERROR_LIMIT
    for name, result in (("recent", recent), ("baseline", baseline), ("markers", markers)):
        if not result.complete:
            fetched.notes.append(
                f"The {name} query was stopped at the budget ({len(result.rows)} rows kept)."
            )
        elif len(result.rows) >= ERROR_LIMIT:
            fetched.notes.append(
                f"The {name} query hit its {ERROR_LIMIT}-row limit: counts are lower bounds."
            )
    return fetched


def _events(result: QueryResult, groups: list[str]) -> list[LogEvent]:
    default = groups[0] if len(groups) == 1 else ""
    events = [e for row in result.rows if (e := row_to_event(row, default)) is not None]
    # Re-check the window locally: an engine may answer with a wider range than asked.
    return [e for e in events if result.start <= e.at <= result.end]


def _fallback(
    reader: LogsReader,
    groups: list[str],
    windows: Windows,
    budget: Budget,
    fetched: Fetched,
    signatures: Signatures,
) -> Fetched:
    patterns = filter_patterns(signatures)
    per_pattern = max(200, FALLBACK_EVENTS // len(patterns))
    for group in groups:
        for start, end, is_baseline in (
            (windows.recent_start, windows.end, False),
            (windows.baseline_start, windows.recent_start, True),
        ):
            seen: set[tuple[object, str, str]] = set()
            capped = 0
            for pattern in patterns:
                if budget.remaining() < 1.5:
                    fetched.notes.append("Budget spent before every group was read.")
                    fetched.baseline_complete = False
                    return fetched
                try:
                    events, truncated = reader.filter_events(
                        budget, group, start, end, pattern=pattern, max_events=per_pattern
                    )
                except SourceError as e:
                    fetched.problems.append(str(e))
                    continue
                capped += truncated
                # A line holding terms of two patterns comes back twice.
                fresh = [e for e in events if (e.at, e.stream, e.message) not in seen]
                seen.update((e.at, e.stream, e.message) for e in fresh)
                fetched.error_lines += [e for e in fresh if signatures.is_error_line(e.message)]
                fetched.markers += [e for e in fresh if MARKER_RE.search(e.message)]
            if capped:
                fetched.notes.append(
                    f"{group}: {capped} of {len(patterns)} filter patterns hit their {per_pattern}-event "
                    f"cap in the {'baseline' if is_baseline else 'recent'} window; counts are lower bounds."
                )
                if is_baseline:
                    fetched.baseline_complete = False
    return fetched


def snapshot_findings(
    reader: LogsReader,
    region: str,
    scope: Scope,
    budget: Budget,
    top: int = 8,
    metrics: Any | None = None,
    signatures: Signatures | None = None,
) -> tuple[list[Finding], list[str], list[str]]:
    """The log groups ingesting the most in the last hour (CloudWatch's `AWS/Logs IncomingBytes`,
    through `metrics`, a CloudWatch client, by default one beside the logs client), with their
    error lines of the last 15 minutes. When the metric cannot be read, the largest groups by
    stored bytes instead, and a note says so."""
    groups, truncated = reader.list_groups(budget, max_groups=150)
    listed = f"Listed {len(groups)} log groups{' (first 150 only)' if truncated else ''}"
    if metrics is None:
        metrics = metrics_client_for(reader.client)
    ingested, why_not = ingestion_bytes(metrics, [g.name for g in groups], scope.window_end, budget)
    if ingested is not None:
        notes = [f"{listed}; ranked by bytes ingested in the last hour (CloudWatch IncomingBytes)."]
        groups.sort(key=lambda g: (-ingested.get(g.name, 0.0), -g.stored_bytes, g.name))
    else:
        notes = [f"{listed}; ranked by stored bytes: ingestion (IncomingBytes) unavailable: {why_not}."]
        groups.sort(key=lambda g: (-g.stored_bytes, g.name))
    chosen = groups[:top]
    if not chosen:
        return [], [*notes, f"No log groups in {region}."], []
    end = scope.window_end
    start = end - timedelta(minutes=15)
    count_query = error_count_query(signature_terms(signatures or load_signatures()))
    counts: dict[str, int] = {}
    errors: list[str] = []
    results = reader.wait(
        budget,
        reader.start_queries(budget, [(count_query, [g.name for g in chosen], start, end, 100)]),
    )
    for row in results[0].rows:
        name = row.get("@log", "").split(":", 1)[-1]
        if name and row.get("errors", "").isdigit():
            counts[name] = int(row["errors"])
    if results[0].status != "Complete" or (results[0].rows and not counts):
        errors.append(f"error counts unavailable: {results[0].error or results[0].status}")
    findings = []
    for group in chosen:
        n = counts.get(group.name)
        errors_text = f"{n} error lines in the last 15 min" if n is not None else "error count unknown"
        url = insights_console_url(region, [group.name], count_query, start, end)
        if len(url) > MAX_REFERENCE:
            # Every signature's terms make the count query too long for a link: the link counts the
            # generic error words instead (the count above is still the full query's).
            url = insights_console_url(region, [group.name], error_count_query(), start, end)
        findings.append(
            Finding(
                id=f"{AGENT}:snapshot:{group.name.strip('/') or 'group'}"[:200],
                agent=AGENT,
                severity=Severity.WARNING if (n or 0) >= 100 else Severity.INFO,
                title=f"Log group {group.name}: {_volume(group, ingested)}, {errors_text}",
                resources=(group.name,),
                evidence=(Evidence(kind=EvidenceKind.QUERY, reference=url, excerpt=count_query, url=url),),
                relevance=0.5,
            )
        )
    return findings, notes, errors


INGESTION_WINDOW = timedelta(hours=1)
METRIC_QUERIES_PER_CALL = 500  # GetMetricData's limit


def _volume(group: LogGroupInfo, ingested: dict[str, float] | None) -> str:
    stored = f"{group.stored_bytes / 2**20:.1f} MiB stored"
    if ingested is None:
        return stored
    return f"{ingested.get(group.name, 0.0) / 2**20:.1f} MiB ingested in the last hour ({stored})"


def ingestion_bytes(
    metrics: Any | None, names: list[str], end: datetime, budget: Budget
) -> tuple[dict[str, float] | None, str]:
    """Bytes each group ingested in the hour before `end`: `AWS/Logs IncomingBytes` (Sum), one
    GetMetricData call per 500 groups. None with the reason when it cannot be read (no client, no
    permission, no datapoint for any group, the budget nearly spent)."""
    if metrics is None:
        return None, "no CloudWatch metrics client"
    if not names:
        return {}, ""
    if budget.remaining() < 3.0:
        return None, "budget nearly spent"
    ids = {f"g{i}": name for i, name in enumerate(names)}
    totals: dict[str, float] = {}
    try:
        for first in range(0, len(names), METRIC_QUERIES_PER_CALL):
            batch = list(ids.items())[first : first + METRIC_QUERIES_PER_CALL]
            answer = metrics.get_metric_data(
                MetricDataQueries=[_incoming_bytes(query_id, name) for query_id, name in batch],
                StartTime=end - INGESTION_WINDOW,
                EndTime=end,
            )
            for series in answer.get("MetricDataResults", []):
                name = ids.get(series.get("Id", ""))
                if name is not None:
                    totals[name] = totals.get(name, 0.0) + float(sum(series.get("Values") or []))
    except Exception as e:  # AccessDenied, throttling, a timeout: rank by what describe gave
        return None, _reason(e)
    if not any(totals.values()):
        return None, "no IncomingBytes datapoint for any group in the last hour"
    return totals, ""


def _incoming_bytes(query_id: str, name: str) -> dict[str, Any]:
    metric = {
        "Namespace": "AWS/Logs",
        "MetricName": "IncomingBytes",
        "Dimensions": [{"Name": "LogGroupName", "Value": name}],
    }
    period = int(INGESTION_WINDOW.total_seconds())
    return {
        "Id": query_id,
        "MetricStat": {"Metric": metric, "Period": period, "Stat": "Sum"},
        "ReturnData": True,
    }


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return f"GetMetricData: {code or type(error).__name__}"


def metrics_client_for(logs_client: Any) -> Any | None:
    """A CloudWatch client beside `logs_client`: the same region, and its endpoint when that is
    not AWS's own (the sandbox's moto serves both); a client that answers GetMetricData itself
    (a test double) is used as it is. None when neither applies."""
    if hasattr(logs_client, "get_metric_data"):
        return logs_client
    meta = getattr(logs_client, "meta", None)
    if meta is None:
        return None
    import boto3
    from botocore.config import Config

    endpoint = getattr(meta, "endpoint_url", None) or ""
    return boto3.client(
        "cloudwatch",
        region_name=meta.region_name,
        endpoint_url=None if "amazonaws.com" in endpoint else endpoint or None,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
