"""Calls the workload makes to what it depends on, from its client-side metrics (Micrometer's
`http_client_requests_seconds_count{clientName=...}`, OpenTelemetry's `http_client_*{server_address=...}`,
gRPC's `grpc_client_handled_total{grpc_service=...}`): the share of calls to each remote that fail,
and when it rose. A remote whose calls began to fail is a dependency failing, named by its host. Pure.
"""

from __future__ import annotations

from agents.prometheus.changepoint import detect_change
from agents.prometheus.common import RELEVANT, Frame, fmt_pct, hhmm, values_at
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

CLIENT_COUNTERS = (
    "http_client_requests_seconds_count",
    "http_client_requests_total",
    "http_client_request_duration_seconds_count",
    "http_client_duration_milliseconds_count",
    "grpc_client_handled_total",
)
# Labels that name the remote a client call went to.
REMOTE_LABELS = (
    "clientName",
    "client_name",
    "server_address",
    "net_peer_name",
    "peer_service",
    "peer",
    "host",
    "target",
    "upstream",
    "remote",
    "destination_service",
    "grpc_service",
)
CLIENT_STATUS_LABELS = (
    "status",
    "code",
    "status_code",
    "http_status_code",
    "http_response_status_code",
    "grpc_code",
)
FAILING = 0.05  # a remote whose calls fail at least this share is failing
PREFIX = "client_errors:"


def plan_client_errors(
    plan: dict[str, str], names: set[str], labels_of: dict[str, set[str]], selector_of: dict[str, str]
) -> None:
    """One query per client counter found: the failing share of calls, per remote."""
    for name in (n for n in CLIENT_COUNTERS if n in names):
        labels = labels_of.get(name, set())
        remote = next((r for r in REMOTE_LABELS if r in labels), None)
        status = next((s for s in CLIENT_STATUS_LABELS if s in labels), None)
        if remote is None or status is None:
            continue
        bad = (
            f'{status}=~"Unknown|DeadlineExceeded|Internal|Unavailable|DataLoss"'
            if status == "grpc_code"
            else f'{status}=~"5..|CLIENT_ERROR|SERVER_ERROR|IO_ERROR"'
        )
        sel = selector_of.get(name, "")
        failing = ",".join(p for p in (sel, bad) if p)
        plan[f"{PREFIX}{remote}:{name}"] = (
            f"sum by ({remote}) (rate({name}{{{failing}}}[5m]))"
            f" / sum by ({remote}) (rate({name}{{{sel}}}[5m]))"
        )
        return  # one counter is enough


def client_errors(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    for key in readings.keys(PREFIX):
        remote_label = key[len(PREFIX) :].split(":", 1)[0]
        for series in readings.get(key):
            remote = series.labels.get(remote_label)
            if not remote or len(series.points) < 3:
                continue
            points = series.points
            recent = values_at(series, frame.ctx.anchor - frame.window / 12) or [v for _, v in points[-3:]]
            now = sum(recent) / len(recent)
            change = detect_change(points, min_relative=0.5)
            if now < FAILING or change is None or not change.rising:
                continue
            what = f"rose from {fmt_pct(change.before)} to {fmt_pct(now)} at {hhmm(change.onset)}"
            findings.append(
                frame.finding(
                    f"client-errors:{frame.workload_slug}:{remote}",
                    severity=Severity.CRITICAL if now >= 4 * FAILING else Severity.WARNING,
                    title=f"Calls from {frame.name} to {remote} failing: the failed share {what}",
                    detail=(
                        f"The {frame.name} client's own count of calls to {remote}: the share answered with "
                        "a server error or not answered at all. Its dependency is failing, not the workload."
                    ),
                    resources=(remote, *frame.workload_resources),
                    first_seen=change.onset,
                    last_seen=points[-1][0],
                    evidence=(
                        frame.evidence(readings.expr(key), f"{fmt_pct(now)} of calls fail now", change.onset),
                    ),
                    cause_hint=CauseCategory.DEPENDENCY_FAILURE,
                    relevance=RELEVANT,
                )
            )
    return findings
