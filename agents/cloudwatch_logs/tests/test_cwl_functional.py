"""The CloudWatch Logs scanner against the sandbox's moto server (real HTTP, real boto3, the
sandbox's Logs Insights engine), seeded from project scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.cloudwatch_logs.agent import CloudWatchLogsScanner
from agents.common.base import Budget
from sandbox.aws import MotoServer, client, seed_cloudwatch_logs
from sandbox.scenario import load_scenario
from shared.alerts.context import build_alert_context
from shared.config import load_config
from shared.contracts import AgentStatus, CauseCategory, EvidenceKind, Trigger

pytestmark = pytest.mark.functional

SCENARIOS = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


def play(moto: MotoServer, scenario_id: str):  # type: ignore[no-untyped-def]
    moto.reset()
    resolved = load_scenario(SCENARIOS / f"{scenario_id}.yaml").resolve(datetime.now(UTC))
    seed_cloudwatch_logs(moto.url, resolved)
    alert = resolved.alert
    first = alert.alerts[0] if alert.alerts else None
    ctx = build_alert_context(
        platform=alert.platform,
        channel=alert.channel,
        text=alert.text or "",
        labels=first.labels if first else None,
        received_at=alert.at,
        starts_at=first.starts_at if first else None,
        cluster_default=resolved.context.cluster,
        region=resolved.region,
    )
    scanner = CloudWatchLogsScanner(load_config(), "cloudwatch_logs", client=client("logs", moto.url))
    return scanner.run(ctx, Budget.of(20))


def test_pool_exhaustion_and_the_config_reload_through_insights(moto: MotoServer) -> None:
    result = play(moto, "db-pool-exhausted")
    assert result.status is AgentStatus.OK, result.errors
    top = result.findings[0]
    assert top.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION and "HikariPool" in top.title
    assert top.evidence[0].kind is EvidenceKind.QUERY and "console.aws.amazon.com" in (
        top.evidence[0].url or ""
    )
    assert any(f.change is Trigger.CONFIG_CHANGE and "DB_POOL_MAX=8" in f.title for f in result.findings)
    assert not any("filter_log_events" in note for note in result.notes)  # Insights answered


def test_lambda_access_denied(moto: MotoServer) -> None:
    result = play(moto, "s3-access-denied")
    assert result.status is AgentStatus.OK, result.errors
    assert result.findings[0].cause_hint is CauseCategory.PERMISSION_DENIED
    assert "/aws/lambda/invoice-exporter" in result.findings[0].resources
    # A sibling function shares a word with the alert's and is read too, but its old steady
    # warnings stay at the bottom.
    for finding in result.findings:
        if "/aws/lambda/invoice-reminder" in finding.resources:
            assert finding.relevance < 0.5 and finding.severity.value == "info"


def test_unknown_target_says_nothing_matched(moto: MotoServer) -> None:
    moto.reset()
    now = datetime.now(UTC)
    ctx = build_alert_context(platform="slack", channel="C0", text="disk alert on nas-7", received_at=now)
    scanner = CloudWatchLogsScanner(load_config(), "cloudwatch_logs", client=client("logs", moto.url))
    result = scanner.run(ctx, Budget.of(5))
    assert result.status is AgentStatus.NO_DATA and "No CloudWatch log group matched" in result.notes[0]
