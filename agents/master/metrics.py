"""The master's own health, as CloudWatch metrics the module's alarms watch.

AgentCore's service metrics say whether a runtime answered; they cannot say whether the report
reached the channel or which scanner keeps failing. So after each investigation the master
publishes, in its own namespace (`SRE_METRICS_NAMESPACE`, set by the module):

- `Investigations` (Count) and `ReportPostFailures` (Count): a report that never reached the thread;
- `TimeToReport` (Milliseconds): alert received to report ready;
- `AgentErrors` and `AgentTimeouts` (Count, dimension `Agent`): per scanner.

Publishing is best effort: the report is already posted, so a metrics failure is only logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any, Protocol

from shared.contracts import AgentStatus, IncidentReport

logger = logging.getLogger(__name__)

ENV_METRICS_NAMESPACE = "SRE_METRICS_NAMESPACE"

INVESTIGATIONS = "Investigations"
REPORT_POST_FAILURES = "ReportPostFailures"
TIME_TO_REPORT = "TimeToReport"
AGENT_ERRORS = "AgentErrors"
AGENT_TIMEOUTS = "AgentTimeouts"
AGENT_DIMENSION = "Agent"

_PER_AGENT = {AgentStatus.ERROR: AGENT_ERRORS, AgentStatus.TIMEOUT: AGENT_TIMEOUTS}


class Metrics(Protocol):
    def record(self, report: IncidentReport, *, posted: bool) -> None:
        """Count one finished investigation; `posted` is whether the report reached the thread."""
        ...


def datapoints(report: IncidentReport, *, posted: bool) -> list[dict[str, Any]]:
    """The `MetricData` of one investigation. Every scanner gets a point for both per-agent
    metrics (zero when it answered), so an alarm sees a healthy agent as 0, not as missing data."""
    points: list[dict[str, Any]] = [
        {"MetricName": INVESTIGATIONS, "Value": 1, "Unit": "Count"},
        {"MetricName": REPORT_POST_FAILURES, "Value": 0 if posted else 1, "Unit": "Count"},
        {"MetricName": TIME_TO_REPORT, "Value": report.telemetry.elapsed_ms, "Unit": "Milliseconds"},
    ]
    for run in report.agents:
        for status, name in _PER_AGENT.items():
            points.append(
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": AGENT_DIMENSION, "Value": run.name}],
                    "Value": 1 if run.status is status else 0,
                    "Unit": "Count",
                }
            )
    return points


class CloudWatchMetrics:
    # PutMetricData takes at most 1000 points per call; five scanners make 13.
    BATCH = 1000

    def __init__(self, namespace: str, client: Any = None) -> None:
        self.namespace = namespace
        self._client = client

    def record(self, report: IncidentReport, *, posted: bool) -> None:
        points = datapoints(report, posted=posted)
        try:
            for start in range(0, len(points), self.BATCH):
                self._cloudwatch().put_metric_data(
                    Namespace=self.namespace, MetricData=points[start : start + self.BATCH]
                )
        except Exception as e:
            logger.warning(
                "investigation=<%s>, error=<%s> | could not publish metrics", report.investigation_id, e
            )

    def _cloudwatch(self) -> Any:
        if self._client is None:
            import boto3  # deferred: only deployed masters publish metrics

            self._client = boto3.client("cloudwatch")
        return self._client


class NoMetrics:
    def record(self, report: IncidentReport, *, posted: bool) -> None:
        return None


def metrics_from_env(env: Mapping[str, str] = os.environ) -> Metrics:
    namespace = env.get(ENV_METRICS_NAMESPACE, "")
    return CloudWatchMetrics(namespace) if namespace else NoMetrics()
