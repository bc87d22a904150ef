"""The sandbox as a user of `demo`/`eval` meets it: an alert that does not read like one still
reaches the bot (it is addressed to it), Alertmanager alerts go to the channel's own platform,
the machine without Alertmanager is played too, `seconds` starts when the webhook reaches the
intake, and every report lands in the sandbox's S3 archive, the processes having read their
secrets from its Secrets Manager."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from slack_sdk import WebClient

from sandbox.alertmanager import alertmanager_binary
from sandbox.scenario import Scenario, parse_scenario
from sandbox.stack import TRACE_BUCKET, Sandbox, with_scenario_channels
from shared.config import load_config
from shared.contracts import IncidentReport

pytestmark = pytest.mark.functional

AMBIGUOUS = "hello team, payments seem off"
DISCORD_CHANNEL = "1100000000000000001"


def scenario(scenario_id: str, alert: dict[str, Any]) -> Scenario:
    return parse_scenario(
        {
            "id": scenario_id,
            "title": "t",
            "alert": {"at": "now-1m", **alert},
            "sources": {
                "slack": {"channels": [{"id": "C0ALERTS", "name": "alerts", "messages": []}]},
                "discord": {"channels": [{"id": DISCORD_CHANNEL, "name": "incidents", "messages": []}]},
            },
            "expected": {"category": "unknown"},
        }
    )


SLACK = scenario("slack-ambiguous", {"platform": "slack", "channel": "C0ALERTS", "text": AMBIGUOUS})
DISCORD = scenario(
    "discord-ambiguous", {"platform": "discord", "channel": DISCORD_CHANNEL, "text": AMBIGUOUS}
)
TO_DISCORD = scenario(
    "alertmanager-to-discord",
    {
        "platform": "alertmanager",
        "channel": DISCORD_CHANNEL,
        "alerts": [
            {
                "labels": {"alertname": "HighErrorRate", "namespace": "payments", "severity": "critical"},
                "annotations": {"summary": "payments-api 5xx ratio above 5%"},
                "startsAt": "now-2m",
            }
        ],
    },
)

ALL_RESOLVED = scenario(
    "alertmanager-all-resolved",
    {
        "platform": "alertmanager",
        "channel": "C0ALERTS",
        "alerts": [
            {
                "labels": {"alertname": "TargetDown", "namespace": "monitoring", "severity": "warning"},
                "annotations": {"summary": "node-exporter targets were down"},
                "startsAt": "now-20m",
                "endsAt": "now-6m",
            }
        ],
    },
)

SLACK_ONLY = parse_scenario(
    {
        "id": "slack-only",
        "title": "t",
        "alert": {"at": "now-1m", "platform": "slack", "channel": "C0ALERTS", "text": AMBIGUOUS},
        "sources": {"slack": {"channels": [{"id": "C0ALERTS", "name": "alerts", "messages": []}]}},
        "expected": {"category": "unknown"},
    }
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(with_scenario_channels(load_config(), [SLACK, DISCORD, TO_DISCORD])) as running:
        yield running


def posted_on(chat: Any, report: IncidentReport) -> bool:
    return any(p.text and p.text in report.posted_text for p in chat.posts)


def archived(sandbox: Sandbox) -> dict[str, Any]:
    """The report JSON objects in the archive bucket, read as any S3 client would."""
    s3 = boto3.client(
        "s3",
        endpoint_url=sandbox.moto.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=TRACE_BUCKET).get("Contents", [])]
    return {key: s3.get_object(Bucket=TRACE_BUCKET, Key=key)["Body"].read() for key in keys}


def initial_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def test_a_slack_alert_that_reads_like_chatter_is_investigated_as_the_bot_was_mentioned(
    sandbox: Sandbox,
) -> None:
    played = sandbox.play(sandbox.load(SLACK))
    assert played.report.posted_text and posted_on(sandbox.slack, played.report)
    assert played.delivery.path == "direct" and "app_mention" in played.delivery.detail
    slack = WebClient(
        token=sandbox.secrets.slack_token, base_url=sandbox.env[sandbox.config.sources.slack.base_url_env]
    )
    history = slack.conversations_history(channel="C0ALERTS")["messages"]
    assert [m["text"] for m in history] == [f"<@U0SREBOT> {AMBIGUOUS}"]  # as the message would carry it
    # the report is in the S3 archive, the same JSON the eval scored
    reports = archived(sandbox)
    assert len(reports) == 1
    ((key, body),) = reports.items()
    assert key.startswith("reports/") and key.endswith(f"/{played.report.investigation_id}.json")
    assert IncidentReport.model_validate_json(body) == played.report


def test_a_discord_alert_that_reads_like_chatter_is_investigated_as_a_message_that_mentions_the_bot(
    sandbox: Sandbox,
) -> None:
    """Posted in its channel by the alerting bot, it reaches the intake over the Gateway."""
    played = sandbox.play(sandbox.load(DISCORD))
    assert played.report.posted_text and posted_on(sandbox.discord, played.report)
    assert played.report.alert.text == AMBIGUOUS
    assert played.delivery.path == "gateway"
    assert played.report.alert.thread_id is not None
    posted = sandbox.discord.message_json(played.report.alert.channel, played.report.alert.thread_id)
    assert posted is not None and posted["content"] == f"<@{sandbox.discord.guild.bot_user}> {AMBIGUOUS}"


def test_alertmanager_reports_go_to_the_channels_platform_timed_from_the_webhook(sandbox: Sandbox) -> None:
    if alertmanager_binary() is None:
        pytest.skip("prometheus-alertmanager is not installed")
    sandbox.use_alertmanager = True
    resolved = sandbox.load(TO_DISCORD)
    played = sandbox.play(resolved)
    done = time.time()
    assert played.delivery.path == "alertmanager"
    assert posted_on(sandbox.discord, played.report) and not posted_on(sandbox.slack, played.report)
    # the clock starts when Alertmanager's webhook reaches the intake, not before Alertmanager runs
    assert sandbox.alertmanager is not None
    assert sandbox.alertmanager.ready_at < played.received_at
    assert 0 < played.seconds <= done - sandbox.alertmanager.ready_at


def test_without_alertmanager_the_webhook_is_sent_directly_and_says_so(sandbox: Sandbox) -> None:
    sandbox.use_alertmanager = False  # what a machine without prometheus-alertmanager gets
    try:
        played = sandbox.play(sandbox.load(TO_DISCORD))
    finally:
        sandbox.use_alertmanager = True
    assert played.delivery.path == "direct" and "sent directly" in played.delivery.detail
    assert sandbox.alertmanager is None or sandbox.alertmanager.process is None
    assert posted_on(sandbox.discord, played.report)


def test_an_alert_that_resolved_before_alertmanager_ever_notified_still_reaches_the_intake(
    sandbox: Sandbox,
) -> None:
    """Alertmanager sends nothing for a group that only ever held resolved alerts, so the resolved
    webhook such a scenario describes is sent as Alertmanager would have sent it, and says why."""
    played = sandbox.play(sandbox.load(ALL_RESOLVED))
    assert played.delivery.path == "direct"
    assert "resolved" in played.delivery.detail
    assert played.report.alert.labels.get("alertname") == "TargetDown"
    assert posted_on(sandbox.slack, played.report)


def test_a_configured_channel_the_scenario_does_not_hold_is_quiet_not_missing(sandbox: Sandbox) -> None:
    # The eval's config lists every scenario's channels; for a Slack-only incident the Discord
    # channel exists and is quiet, as it would be on Discord: no data, not a 404 error.
    assert DISCORD_CHANNEL in sandbox.config.sources.discord.channels
    played = sandbox.play(sandbox.load(SLACK_ONLY))
    statuses = {run.name: run.status.value for run in played.report.agents}
    assert statuses["discord_scanner"] == "no_data"
    assert statuses["slack_scanner"] in ("ok", "no_data")


def test_every_process_reads_its_secrets_from_secrets_manager(sandbox: Sandbox) -> None:
    config = sandbox.config
    names = [config.sources.slack.bot_token_env, config.sources.discord.bot_token_env]
    for name, pid in sandbox.child_pids().items():
        if not name.startswith("agent "):
            continue
        env = initial_environment(pid)
        for secret in names:
            assert secret not in env, (name, secret)  # not handed over in the environment ...
            assert env[f"{secret}_SECRET_ARN"].startswith(
                "arn:aws:secretsmanager:"
            )  # ... but where to read it
