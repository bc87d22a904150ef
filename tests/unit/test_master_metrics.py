"""The master's health metrics: what the module's alarms watch (see modules/sre-on-call/alarms.tf)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from agents.master.metrics import CloudWatchMetrics, NoMetrics, datapoints, metrics_from_env
from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import AgentResult, AgentStatus, IncidentReport

REGION = "us-east-1"
NAMESPACE = "SreOnCall"


def a_report() -> IncidentReport:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        thread_id="1795383600.000100",
        received_at=datetime.now(UTC),
        text="[FIRING:1] KubePodCrashLooping namespace=shop",
    )
    results = [
        AgentResult(agent="eks", status=AgentStatus.OK, duration_ms=800),
        AgentResult(agent="prometheus", status=AgentStatus.ERROR, errors=("connection refused",)),
        AgentResult(agent="cloudwatch_logs", status=AgentStatus.TIMEOUT, errors=("deadline",)),
    ]
    return synthesize(ctx, results, elapsed_ms=4200)


def by_name(points: list[dict], name: str) -> dict[str, float]:  # type: ignore[type-arg]
    return {
        (p["Dimensions"][0]["Value"] if "Dimensions" in p else ""): p["Value"]
        for p in points
        if p["MetricName"] == name
    }


def test_every_scanner_gets_an_error_and_a_timeout_point_even_when_healthy() -> None:
    points = datapoints(a_report(), posted=True)
    assert by_name(points, "AgentErrors") == {"eks": 0, "prometheus": 1, "cloudwatch_logs": 0}
    assert by_name(points, "AgentTimeouts") == {"eks": 0, "prometheus": 0, "cloudwatch_logs": 1}
    assert by_name(points, "ReportPostFailures") == {"": 0}
    assert by_name(points, "TimeToReport") == {"": 4200}
    assert by_name(datapoints(a_report(), posted=False), "ReportPostFailures") == {"": 1}


def statistic(cloudwatch, name: str, agent: str | None = None) -> float:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": "Agent", "Value": agent}] if agent else [],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )
    return sum(point["Sum"] for point in answer["Datapoints"])


def test_a_deployed_master_publishes_what_the_alarms_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        metrics = metrics_from_env({"SRE_METRICS_NAMESPACE": NAMESPACE})
        assert isinstance(metrics, CloudWatchMetrics)
        metrics.record(a_report(), posted=True)
        metrics.record(a_report(), posted=False)

        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        assert statistic(cloudwatch, "Investigations") == 2
        assert statistic(cloudwatch, "ReportPostFailures") == 1
        assert statistic(cloudwatch, "AgentErrors", "prometheus") == 2
        assert statistic(cloudwatch, "AgentErrors", "eks") == 0
        assert statistic(cloudwatch, "AgentTimeouts", "cloudwatch_logs") == 2


def test_a_metrics_outage_is_logged_and_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Down:
        def put_metric_data(self, **_kwargs: object) -> None:
            raise ConnectionError("cloudwatch unreachable")

    CloudWatchMetrics(NAMESPACE, client=Down()).record(a_report(), posted=True)
    assert "could not publish metrics" in caplog.text and "cloudwatch unreachable" in caplog.text


def test_without_a_namespace_nothing_is_published() -> None:
    assert isinstance(metrics_from_env({}), NoMetrics)
