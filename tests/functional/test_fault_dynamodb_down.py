"""Fault drill: DynamoDB (the moto server on loopback) stops, before the ack or just after it. The
alert is acknowledged and investigated either way; dedup falls back to the process's memory. Each
drill runs on the intake in process and on the intake served by uvicorn over loopback HTTP."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from lambda_adapter.dedup import DynamoDedupStore
from lambda_adapter.dedup_fallback import FallbackDedupStore
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.intake_fakes import Harness, MemoryChat, RecordingDispatcher
from sandbox.signing import TEST_SLACK_SECRET, slack_headers

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
MENTION = json.loads((EVENTS / "slack_app_mention.json").read_text())


@pytest.fixture
def dynamo() -> Iterator[tuple[ThreadedMotoServer, DynamoDedupStore]]:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client: Any = boto3.client(
        "dynamodb",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    table = f"dedup-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        yield server, DynamoDedupStore(client, table)
    finally:
        with contextlib.suppress(Exception):  # the test stopped it already
            server.stop()


def test_dynamodb_stopped_before_the_ack_the_alert_is_still_investigated(dynamo: Any) -> None:
    server, store = dynamo
    h = Harness(dedup=FallbackDedupStore(store))
    server.stop()
    answer = h.slack(MENTION)
    assert answer.status == 200 and json.loads(answer.body)["outcome"] == "started"
    assert len(h.started) == 1
    assert json.loads(h.slack(MENTION, x_slack_retry_num="1").body)["outcome"] == "duplicate_delivery"
    assert json.loads(h.request("/healthz", b"", method="GET").body)["dedup"] == "memory"


def test_dynamodb_stopped_just_after_the_ack_the_alert_is_still_investigated(dynamo: Any) -> None:
    server, store = dynamo
    h = Harness(dedup=store, run_jobs=False)  # the job runs later, as a background task would
    assert json.loads(h.slack(MENTION).body)["outcome"] == "started"
    [job] = h.jobs.submitted
    server.stop()
    h.worker.run(job)
    assert len(h.started) == 1


class JobWaits(DynamoDedupStore):
    """The table as the intake's job finds it: the job's first write (its run key) waits until the
    test has stopped DynamoDB, between the ack and the job."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(client, table)
        self.go = threading.Event()

    def claim(self, key: str, record: Any, *, ttl_seconds: float, now: float) -> Any:
        if key.startswith("run:"):
            self.go.wait(10)
        return super().claim(key, record, ttl_seconds=ttl_seconds, now=now)


def serve_intake(dedup: Any, dispatcher: RecordingDispatcher) -> ThreadedServer:
    settings = IntakeSettings(secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET))
    chat = MemoryChat("slack")
    return ThreadedServer(
        create_app(settings=settings, dispatcher=dispatcher, chat_for=lambda _n: chat, dedup=dedup)
    ).start()


def post_mention(url: str) -> dict[str, Any]:
    body = json.dumps(MENTION).encode()
    headers = slack_headers(TEST_SLACK_SECRET, body, int(time.time()))
    return dict(
        json.loads(httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10).content)
    )


def wait_for(dispatcher: RecordingDispatcher, seconds: float = 10.0) -> int:
    waited = time.monotonic() + seconds
    while not dispatcher.contexts and time.monotonic() < waited:
        time.sleep(0.05)
    return len(dispatcher.contexts)


def test_over_http_dynamodb_stopped_before_the_ack_the_alert_is_investigated(dynamo: Any) -> None:
    server, store = dynamo
    server.stop()
    dispatcher = RecordingDispatcher()
    intake = serve_intake(FallbackDedupStore(store), dispatcher)
    try:
        assert post_mention(intake.url)["outcome"] == "started"
        assert wait_for(dispatcher) == 1
    finally:
        intake.stop()


def test_over_http_dynamodb_stopped_just_after_the_ack_the_alert_is_investigated(dynamo: Any) -> None:
    server, store = dynamo
    gated = JobWaits(store._client, store.table)
    dispatcher = RecordingDispatcher()
    intake = serve_intake(gated, dispatcher)
    try:
        assert post_mention(intake.url)["outcome"] == "started"  # acked with the table up
        server.stop()
        gated.go.set()  # the job's writes now meet a stopped DynamoDB
        assert wait_for(dispatcher) == 1
    finally:
        intake.stop()
