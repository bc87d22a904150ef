"""A capacity ceiling lowered by hand hours before the alert (an HPA capped, a stream's shards merged)
is the trigger of the capacity cause it explains, ahead of the rise in load that reached it; a deploy
of another workload minutes before is not, and a ceiling raised is not."""

# ruff: noqa: E501
from __future__ import annotations

from test_chain import alert, chat, log
from test_synthesis import ago, finding, ok

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger

W = Severity.WARNING

THROTTLED = (
    '{"msg":"PutRecords partial failure","error_code":"ProvisionedThroughputExceededException",'
    '"error_message":"Rate exceeded for shard shardId-000000000011 in stream clicks-prod"}'
)


def _throttled() -> object:
    return log("errors:clicks", THROTTLED, ago(25), CauseCategory.RATE_LIMITED).model_copy(
        update={"resources": ("ingest/clicks-collector-7c5d6e8f9-n2b4v",)}
    )


def _resharded(text: str) -> object:
    return chat("config:shards", text, ago(9 * 60), Trigger.CONFIG_CHANGE, ("clicks-prod",), 0.2)


def _surge() -> object:
    return finding(
        "prometheus:traffic:clicks",
        W,
        "Traffic to clicks-collector rose 3x in the last 30 min",
        relevance=0.6,
        at=ago(30),
        change=Trigger.TRAFFIC,
    )


def test_a_stream_resharded_down_overnight_is_the_trigger_of_its_throttling() -> None:
    ctx = alert("clicks-collector", "ingest")
    resharded = _resharded(
        "merging shards overnight: aws kinesis update-shard-count --stream-name clicks-prod --target-shard-count 4"
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", _throttled()), ok("slack_scanner", resharded)])
    assert report.cause.category is CauseCategory.RATE_LIMITED
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert "update-shard-count" in report.cause.summary


def test_a_ceiling_raised_is_not_the_trigger() -> None:
    ctx = alert("clicks-collector", "ingest")
    raised = _resharded(
        "raised shards: aws kinesis update-shard-count --stream-name clicks-prod --target-shard-count 16"
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", _throttled()), ok("slack_scanner", raised)])
    assert "update-shard-count" not in report.cause.summary


def test_a_capped_hpa_is_the_trigger_and_not_a_later_deploy_of_another_workload() -> None:
    ctx = alert("search-api", "search")
    at_max = finding(
        "eks:hpa-at-max:search/search-api",
        W,
        "HPA search/search-api at its maximum: 4/4 replicas (cpu 178% (target 65%)); ScalingLimited: TooManyReplicas",
        relevance=0.95,
        at=ago(36),
        cause=CauseCategory.SCALING_LIMIT,
        resources=("search/HorizontalPodAutoscaler/search-api", "search/Deployment/search-api"),
    )
    capped = chat(
        "config:hpa",
        'kubectl -n search patch hpa search-api --patch \'{"spec":{"maxReplicas":4}}\'',
        ago(5 * 60),
        Trigger.CONFIG_CHANGE,
        ("search-api", "Namespace/search"),
        0.9,
    )
    other = chat(
        "deploy:autocomplete",
        "autocomplete v0.9.2 rolled out",
        ago(14),
        Trigger.DEPLOY,
        ("autocomplete",),
        0.15,
    )
    report = synthesize(ctx, [ok("eks", at_max), ok("slack_scanner", capped, other)])
    assert report.cause.category is CauseCategory.SCALING_LIMIT
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert "maxReplicas" in report.cause.summary
