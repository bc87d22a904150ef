"""/sre-snapshot's "top log groups by ingestion": ranked by what each group ingested in the last
hour (CloudWatch `AWS/Logs IncomingBytes`), not by what it has stored; when the metric cannot be
read, by stored bytes, and the snapshot says so. Scripted clients, then the moto server."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from cwl_support import NOW, ScriptedLogs, client_error
from moto.server import ThreadedMotoServer

from agents.cloudwatch_logs.agent import CloudWatchLogsScanner
from agents.common.base import Budget
from shared.config import load_config
from shared.contracts import AgentResult, AlertContext, Platform

MIB = 2**20


def snapshot_context(at: datetime = NOW) -> AlertContext:
    return AlertContext(
        investigation_id="test-snapshot-1",
        platform=Platform.SLACK,
        channel="C0",
        received_at=at,
        window_start=at - timedelta(minutes=60),
        window_end=at,
        mode="snapshot",
    )


class LogsAndMetrics(ScriptedLogs):
    """A scripted `logs` client that also answers CloudWatch GetMetricData (IncomingBytes sums)."""

    def __init__(self, groups: list[str], ingested: dict[str, float], fail: Exception | None = None) -> None:
        super().__init__(groups=groups)
        self.ingested = ingested
        self.metric_fail = fail

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("get_metric_data", kwargs))
        if self.metric_fail is not None:
            raise self.metric_fail
        results = []
        for query in kwargs["MetricDataQueries"]:
            name = query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
            value = self.ingested.get(name)
            results.append({"Id": query["Id"], "Values": [] if value is None else [value]})
        return {"MetricDataResults": results}


def run(client: ScriptedLogs) -> AgentResult:
    scanner = CloudWatchLogsScanner(load_config(), "cloudwatch_logs", client=client)
    return scanner.run(snapshot_context(), Budget.of(10))


def test_groups_are_ranked_by_what_they_ingested_in_the_last_hour() -> None:
    # Stored bytes grow /quiet < /steady < /archive; ingestion is the other way round.
    client = LogsAndMetrics(
        ["/quiet", "/steady", "/archive"], {"/quiet": 80 * MIB, "/steady": 2 * MIB, "/archive": 0.0}
    )
    result = run(client)
    titles = [f.title for f in result.findings]
    assert [t.split(":")[0] for t in titles] == [
        "Log group /quiet",
        "Log group /steady",
        "Log group /archive",
    ]
    assert "80.0 MiB ingested in the last hour" in titles[0]
    assert any("IncomingBytes" in note and "ingested" in note for note in result.notes)
    [(_, asked)] = [call for call in client.calls if call[0] == "get_metric_data"]
    metric = asked["MetricDataQueries"][0]["MetricStat"]
    assert metric["Metric"]["MetricName"] == "IncomingBytes" and metric["Stat"] == "Sum"
    assert asked["EndTime"] - asked["StartTime"] == timedelta(hours=1)


def test_without_the_metric_the_snapshot_ranks_by_stored_bytes_and_says_why() -> None:
    denied = client_error("AccessDeniedException", "GetMetricData")
    result = run(LogsAndMetrics(["/quiet", "/steady", "/archive"], {}, fail=denied))
    titles = [f.title for f in result.findings]
    assert titles[0].startswith("Log group /archive") and "MiB stored" in titles[0]
    assert "ingested" not in titles[0]
    assert any("stored bytes" in n and "AccessDeniedException" in n for n in result.notes)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.mark.functional
def test_against_moto_the_metric_published_for_a_group_decides_its_rank(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    kwargs: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": moto_url}
    logs = boto3.client("logs", config=Config(retries={"max_attempts": 1}), **kwargs)
    cloudwatch = boto3.client("cloudwatch", **kwargs)
    suffix = str(time.monotonic_ns())
    busy, big = f"/app/busy-{suffix}", f"/app/big-{suffix}"
    for group in (busy, big):
        logs.create_log_group(logGroupName=group)
    now = datetime.now(UTC)
    cloudwatch.put_metric_data(
        Namespace="AWS/Logs",
        MetricData=[
            {
                "MetricName": "IncomingBytes",
                "Dimensions": [{"Name": "LogGroupName", "Value": busy}],
                "Timestamp": now - timedelta(minutes=10),
                "Value": 5 * MIB,
                "Unit": "Bytes",
            }
        ],
    )
    scanner = CloudWatchLogsScanner(load_config(), "cloudwatch_logs", client=logs)
    result = scanner.run(snapshot_context(now), Budget.of(10))
    ours = [f.title for f in result.findings if suffix in f.title]
    assert ours and ours[0].startswith(f"Log group {busy}") and "5.0 MiB ingested" in ours[0]
