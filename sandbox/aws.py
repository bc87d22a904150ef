"""The sandbox's AWS: a moto server on loopback (CloudWatch Logs with Logs Insights, DynamoDB,
S3, Secrets Manager), and helpers that seed it from a resolved scenario.

moto keeps its state per process, not per server: `MotoServer` resets it when it starts and
stops, so run one at a time in a process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import boto3
import httpx
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from sandbox import insights_moto
from sandbox.procs import LOOPBACK
from sandbox.resolved import ResolvedScenario
from shared.errors import SourceError
from shared.timeutil import epoch_ms

logger = logging.getLogger(__name__)

FAKE_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
# PutLogEvents limits: 10,000 events, 1 MiB (26 bytes overhead per event), a 24 h span per batch.
_BATCH_EVENTS = 10_000
_BATCH_BYTES = 1_000_000
_BATCH_SPAN_MS = 24 * 3600 * 1000


class MotoServer:
    """A moto server on 127.0.0.1 (a free port), with the sandbox's Logs Insights engine."""

    def __init__(self) -> None:
        self._server: ThreadedMotoServer | None = None
        self.url = ""

    def start(self) -> MotoServer:
        # moto logs every request through werkzeug even with verbose=False
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        insights_moto.install()
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.reset()
        logger.info("url=<%s> | moto server started", self.url)
        return self

    def reset(self) -> None:
        """Forget every resource (moto's state is process-wide)."""
        httpx.post(f"{self.url}/moto-api/reset", timeout=10.0, trust_env=False).raise_for_status()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        try:
            self.reset()
        except httpx.HTTPError:
            logger.warning("url=<%s> | moto reset on stop failed", self.url)
        server.stop()
        logger.info("url=<%s> | moto server stopped", self.url)

    def __enter__(self) -> MotoServer:
        return self.start() if self._server is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def client(service: str, endpoint: str, region: str = "us-east-1") -> Any:
    """A boto3 client for the sandbox: fake credentials, loopback endpoint, one attempt
    (moto answers unimplemented actions with 500, which botocore would otherwise retry)."""
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30),
        **FAKE_CREDENTIALS,
    )


def aws_env(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """Environment for a child process whose boto3 clients must talk to the sandbox."""
    return {
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": FAKE_CREDENTIALS["aws_session_token"],
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,  # honoured by boto3 >= 1.28 for every service
    }


def seed_cloudwatch_logs(endpoint: str, resolved: ResolvedScenario) -> int:
    """Create the scenario's log groups and streams and put their events; returns events stored.

    CloudWatch (and moto) reject events older than 14 days or over 2 h ahead; those are
    counted out and logged. An error from CloudWatch Logs is a SourceError naming the log group
    (and stream) and the region it was being made in.
    """
    logs = client("logs", endpoint, resolved.region)
    stored = 0
    for group in resolved.log_groups:
        where = f"log group {group.name!r} in {resolved.region}"
        _logs_call(where, logs.create_log_group, logGroupName=group.name)
        for stream in group.streams:
            in_stream = f"stream {stream.name!r} of {where}"
            _logs_call(in_stream, logs.create_log_stream, logGroupName=group.name, logStreamName=stream.name)
            events = [{"timestamp": epoch_ms(e.timestamp), "message": e.message} for e in stream.events]
            for batch in _batches(events):
                answer = _logs_call(
                    in_stream,
                    logs.put_log_events,
                    logGroupName=group.name,
                    logStreamName=stream.name,
                    logEvents=batch,
                )
                rejected = answer.get("rejectedLogEventsInfo") or {}
                kept = _kept(len(batch), rejected)
                if kept != len(batch):
                    logger.warning(
                        "group=<%s>, stream=<%s>, rejected=<%d> | events outside the accepted window",
                        group.name,
                        stream.name,
                        len(batch) - kept,
                    )
                stored += kept
    return stored


def _logs_call(where: str, call: Callable[..., Any], **kwargs: Any) -> Any:
    """`call(**kwargs)`, one CloudWatch Logs call; its ClientError becomes a SourceError that
    names `where`."""
    try:
        return call(**kwargs)
    except ClientError as e:
        error = e.response.get("Error", {})
        raise SourceError(
            f"cloudwatch_logs: {where}: {error.get('Code', 'ClientError')}: {error.get('Message', e)}"
        ) from e


def _kept(count: int, rejected: Mapping[str, int]) -> int:
    too_old = rejected.get("tooOldLogEventEndIndex", -1) + 1
    too_new = count - rejected["tooNewLogEventStartIndex"] if "tooNewLogEventStartIndex" in rejected else 0
    return count - too_old - too_new


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for event in sorted(events, key=lambda e: e["timestamp"]):
        cost = len(event["message"].encode()) + 26
        if current and (
            len(current) >= _BATCH_EVENTS
            or size + cost > _BATCH_BYTES
            or event["timestamp"] - current[0]["timestamp"] > _BATCH_SPAN_MS
        ):
            batches.append(current)
            current, size = [], 0
        current.append(event)
        size += cost
    if current:
        batches.append(current)
    return batches


def create_dedup_table(endpoint: str, name: str, region: str = "us-east-1") -> None:
    """The intake's dedup table: string key `pk`, TTL on `expires_at`."""
    dynamodb = client("dynamodb", endpoint, region)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


def create_bucket(endpoint: str, name: str, region: str = "us-east-1") -> None:
    """An S3 bucket (the trace archive)."""
    s3 = client("s3", endpoint, region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def put_secrets(endpoint: str, secrets: Mapping[str, str], region: str = "us-east-1") -> dict[str, str]:
    """Store each name -> value in Secrets Manager (created, or given a new version); the ARN of
    each secret by name."""
    manager = client("secretsmanager", endpoint, region)
    arns = {}
    for name, value in secrets.items():
        try:
            arns[name] = manager.create_secret(Name=name, SecretString=value)["ARN"]
        except manager.exceptions.ResourceExistsException:
            arns[name] = manager.put_secret_value(SecretId=name, SecretString=value)["ARN"]
    return arns


def delete_log_groups(endpoint: str, regions: Iterable[str] = ("us-east-1",)) -> int:
    """Delete every log group in each of `regions` (a new scenario's logs replace the last one's,
    wherever its `context.region` put them); how many."""
    deleted = 0
    for region in dict.fromkeys(regions):
        logs = client("logs", endpoint, region)
        names = [
            group["logGroupName"]
            for page in logs.get_paginator("describe_log_groups").paginate()
            for group in page.get("logGroups", [])
        ]
        for name in names:
            _logs_call(f"log group {name!r} in {region}", logs.delete_log_group, logGroupName=name)
        deleted += len(names)
    return deleted


def empty_table(endpoint: str, name: str, key: str = "pk", region: str = "us-east-1") -> int:
    """Delete every item of a table keyed by `key` (the table stays: a reader never finds it
    missing); how many."""
    dynamodb = client("dynamodb", endpoint, region)
    deleted = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=name, ProjectionExpression="#k", ExpressionAttributeNames={"#k": key}
    ):
        for item in page.get("Items", []):
            dynamodb.delete_item(TableName=name, Key={key: item[key]})
            deleted += 1
    return deleted


def empty_bucket(endpoint: str, bucket: str, region: str = "us-east-1") -> None:
    """Delete every object in `bucket`."""
    s3 = client("s3", endpoint, region)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def list_objects(endpoint: str, bucket: str, prefix: str = "", region: str = "us-east-1") -> list[str]:
    """The keys in `bucket` under `prefix`, in key order."""
    s3 = client("s3", endpoint, region)
    return sorted(
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    )


def get_object_text(endpoint: str, bucket: str, key: str, region: str = "us-east-1") -> str:
    s3 = client("s3", endpoint, region)
    return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
