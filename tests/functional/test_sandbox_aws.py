"""The moto server of the sandbox, seeded from a scenario, queried through boto3 like AWS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sandbox.aws import (
    MotoServer,
    client,
    create_bucket,
    create_dedup_table,
    put_secrets,
    seed_cloudwatch_logs,
)
from sandbox.resolved import ResolvedScenario
from sandbox.scenario import load_scenario

pytestmark = pytest.mark.functional
ROOT = Path(__file__).resolve().parents[2]
APP_GROUP = "/aws/containerinsights/prod-eks/application"


@pytest.fixture(scope="module")
def resolved() -> ResolvedScenario:
    return load_scenario(ROOT / "examples/scenarios/db-pool-exhausted.yaml").resolve(datetime.now(UTC))


@pytest.fixture(scope="module")
def moto(resolved: ResolvedScenario) -> Iterator[MotoServer]:
    with MotoServer() as server:
        seed_cloudwatch_logs(server.url, resolved)
        yield server


def insights(url: str, query: str, now: datetime, groups: list[str] | None = None, **kw: object) -> dict:
    logs = client("logs", url)
    started = logs.start_query(
        logGroupNames=groups or [APP_GROUP],
        startTime=int((now - timedelta(hours=1)).timestamp()),
        endTime=int(now.timestamp()),
        queryString=query,
        **kw,
    )
    return logs.get_query_results(queryId=started["queryId"])


def rows(answer: dict) -> list[dict[str, str]]:
    return [{cell["field"]: cell["value"] for cell in row} for row in answer["results"]]


def test_seeded_events_are_stored_in_order(moto: MotoServer, resolved: ResolvedScenario) -> None:
    logs = client("logs", moto.url)
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert sorted(groups) == sorted(g.name for g in resolved.log_groups)
    stream = resolved.log_groups[0].streams[0]
    events = logs.get_log_events(logGroupName=APP_GROUP, logStreamName=stream.name, startFromHead=True)[
        "events"
    ]
    assert len(events) == 121
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert events[0]["message"] == "INFO  config reloaded: DB_POOL_MAX=8"


def test_insights_filter_returns_only_matching_rows(moto: MotoServer, resolved: ResolvedScenario) -> None:
    answer = insights(
        moto.url, "fields @timestamp, @message | filter @message like /HikariPool/ | limit 5", resolved.now
    )
    assert answer["status"] == "Complete"
    found = rows(answer)
    assert len(found) == 5
    assert all("HikariPool-1" in r["@message"] for r in found)
    assert list(found[0]) == ["@timestamp", "@message", "@ptr"]
    newest = resolved.now - timedelta(minutes=12) + 59 * timedelta(seconds=10)
    assert found[0]["@timestamp"] == newest.strftime("%Y-%m-%d %H:%M:%S.000")
    assert answer["statistics"]["recordsMatched"] == 60
    assert answer["statistics"]["recordsScanned"] == 121


def test_insights_stats_by_bin(moto: MotoServer, resolved: ResolvedScenario) -> None:
    query = "filter @message like /ERROR/ | stats count(*) as errors by bin(5m) | sort errors desc"
    found = rows(insights(moto.url, query, resolved.now))
    assert sum(int(r["errors"]) for r in found) == 100  # 60 pool errors + 40 request errors
    assert all(set(r) == {"bin(5m)", "errors"} for r in found)  # aggregated rows carry no @ptr


def test_insights_across_groups_and_by_log(moto: MotoServer, resolved: ResolvedScenario) -> None:
    groups = [g.name for g in resolved.log_groups]
    found = rows(insights(moto.url, "stats count(*) as n by @log | sort n desc", resolved.now, groups))
    assert found[0] == {"@log": f"123456789012:{APP_GROUP}", "n": "121"}
    assert found[1]["@log"].endswith("/aws/rds/instance/payments-db/postgresql")


def test_time_range_and_limit_parameter(moto: MotoServer, resolved: ResolvedScenario) -> None:
    logs = client("logs", moto.url)
    started = logs.start_query(
        logGroupIdentifiers=[APP_GROUP],
        startTime=int((resolved.now - timedelta(minutes=49)).timestamp()),
        endTime=int((resolved.now - timedelta(minutes=47)).timestamp()),
        queryString="fields @message",
        limit=10,
    )
    found = rows(logs.get_query_results(queryId=started["queryId"]))
    assert [r["@message"] for r in found] == ["INFO  config reloaded: DB_POOL_MAX=8"]


def test_unsupported_query_is_malformed(moto: MotoServer, resolved: ResolvedScenario) -> None:
    with pytest.raises(ClientError) as err:
        insights(moto.url, "fields @message | pattern @message", resolved.now)
    assert err.value.response["Error"]["Code"] == "MalformedQueryException"
    assert "pattern" in err.value.response["Error"]["Message"]


def test_missing_group_and_unknown_query(moto: MotoServer, resolved: ResolvedScenario) -> None:
    with pytest.raises(ClientError) as err:
        insights(moto.url, "fields @message", resolved.now, groups=["/no/such/group"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        client("logs", moto.url).get_query_results(queryId="00000000-0000-0000-0000-000000000000")


def test_describe_and_stop_queries(moto: MotoServer, resolved: ResolvedScenario) -> None:
    logs = client("logs", moto.url)
    started = logs.start_query(
        logGroupName=APP_GROUP,
        startTime=int(time.time()) - 60,
        endTime=int(time.time()),
        queryString="fields @message | limit 1",
    )
    described = logs.describe_queries(logGroupName=APP_GROUP)["queries"]
    assert described[0]["queryId"] == started["queryId"]
    assert described[0]["status"] == "Complete"
    assert logs.stop_query(queryId=started["queryId"])["success"] is False


def test_dedup_table_bucket_and_secrets(moto: MotoServer) -> None:
    create_dedup_table(moto.url, "sre-dedup")
    dynamodb = client("dynamodb", moto.url)
    ttl = dynamodb.describe_time_to_live(TableName="sre-dedup")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    item = {"pk": {"S": "slack:C1:1700000000.000100"}, "expires_at": {"N": "1"}}
    dynamodb.put_item(TableName="sre-dedup", Item=item, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        dynamodb.put_item(TableName="sre-dedup", Item=item, ConditionExpression="attribute_not_exists(pk)")

    create_bucket(moto.url, "sre-traces")
    s3 = client("s3", moto.url)
    s3.put_object(Bucket="sre-traces", Key="inv-1.json", Body=b"{}")
    assert s3.get_object(Bucket="sre-traces", Key="inv-1.json")["Body"].read() == b"{}"

    put_secrets(moto.url, {"sre/slack-bot-token": "xoxb-1"})
    put_secrets(moto.url, {"sre/slack-bot-token": "xoxb-2"})
    secrets = client("secretsmanager", moto.url)
    assert secrets.get_secret_value(SecretId="sre/slack-bot-token")["SecretString"] == "xoxb-2"
