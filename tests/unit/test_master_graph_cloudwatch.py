"""CloudWatch metrics in the graph of what moved: a finding whose evidence is a CloudWatch metric
(its dashboard metric array) is read back with GetMetricData and drawn beside the Prometheus ones;
the reference round-trips and is never mistaken for PromQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from agents.master.graph import Curve, graph_png, metrics_query, moved_metrics
from shared.cloudwatch_metric import cloudwatch_reference, parse_cloudwatch_reference
from shared.config import load_config
from shared.contracts import (
    AlertContext,
    Cause,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    IncidentReport,
    Platform,
    Severity,
)

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
ERRORS = cloudwatch_reference("AWS/Lambda", "Errors", {"FunctionName": "invoice-exporter"}, "Sum")
PROMQL = 'sum(rate(http_requests_total{status=~"5.."}[5m]))'


def finding(fid: str, agent: str, title: str, reference: str) -> Finding:
    evidence = (Evidence(kind=EvidenceKind.METRIC, reference=reference, at=NOW - timedelta(minutes=5)),)
    return Finding(
        id=fid, agent=agent, severity=Severity.WARNING, title=title, evidence=evidence, relevance=0.9
    )


def report() -> IncidentReport:
    ctx = AlertContext(
        investigation_id="slack-graph-cw-0001",
        platform=Platform.SLACK,
        channel="C0ALERTS",
        received_at=NOW,
        window_start=NOW - timedelta(hours=1),
        window_end=NOW,
    )
    findings = (
        finding("cloudwatch:errors:1", "cloudwatch_metrics", "Errors of invoice-exporter rose", ERRORS),
        finding("prometheus:5xx:2", "prometheus", "5xx of checkout rose", PROMQL),
    )
    cause = Cause(
        category=CauseCategory.UNKNOWN,
        summary="s",
        confidence=0.5,
        evidence=("cloudwatch:errors:1", "prometheus:5xx:2"),
    )
    return IncidentReport(
        investigation_id=ctx.investigation_id, alert=ctx, title="t", cause=cause, findings=findings
    )


def test_the_reference_is_a_dashboard_metric_array_that_reads_back() -> None:
    assert ERRORS == '["AWS/Lambda", "Errors", "FunctionName", "invoice-exporter", {"stat": "Sum"}]'
    metric = parse_cloudwatch_reference(ERRORS)
    assert metric is not None
    assert (metric.namespace, metric.name, metric.dimensions, metric.stat) == (
        "AWS/Lambda",
        "Errors",
        (("FunctionName", "invoice-exporter"),),
        "Sum",
    )
    for promql in (
        PROMQL,
        "up",
        'cloudwatch:errors{a="b"}',
        "[not json",
        '["AWS/Lambda"]',
        '["A", "B", "dim"]',
    ):
        assert parse_cloudwatch_reference(promql) is None, promql


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        # Quiet for 40 minutes, then the function fails more and more.
        data = [
            {
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": "invoice-exporter"}],
                "Timestamp": NOW - timedelta(minutes=minute),
                "Value": 0.0 if minute > 20 else float(40 - 2 * minute),
                "Unit": "Count",
            }
            for minute in range(59, 0, -1)
        ]
        client.put_metric_data(Namespace="AWS/Lambda", MetricData=data)
        yield client


def test_a_cloudwatch_metric_is_read_with_get_metric_data_and_drawn_with_the_promql_one(
    cloudwatch: Any,
) -> None:
    pytest.importorskip("matplotlib")
    image_module = pytest.importorskip("PIL.Image")
    assert [m.expr for m in moved_metrics(report())] == [ERRORS, PROMQL]
    prometheus_read: list[str] = []
    routed = metrics_query(load_config(), cloudwatch=cloudwatch)

    def query(expr: str, start: datetime, end: datetime, step: timedelta) -> Any:
        if parse_cloudwatch_reference(expr) is None:  # Prometheus: a ramp, not read from a server
            prometheus_read.append(expr)
            return [Curve("job=checkout", ((start, 1.0), (end, 5.0)))]
        return routed(expr, start, end, step)

    made = graph_png(report(), query)
    assert made is not None
    png, alt = made
    assert "Errors of invoice-exporter rose" in alt and "5xx of checkout rose" in alt
    assert prometheus_read == [PROMQL]
    image = image_module.open(io.BytesIO(png))
    assert image.size[0] == 600 and image.size[1] >= 250  # two panels


def test_the_cloudwatch_series_is_the_metrics_points_over_the_window(cloudwatch: Any) -> None:
    [curve] = metrics_query(load_config(), cloudwatch=cloudwatch)(
        ERRORS, NOW - timedelta(hours=1), NOW, timedelta(seconds=30)
    )
    assert curve.label == "FunctionName=invoice-exporter"
    values = [v for _, v in curve.points]
    assert len(values) >= 50 and values[0] == 0.0 and max(values) == 38.0
    assert [t for t, _ in curve.points] == sorted(t for t, _ in curve.points)
