"""The whole alerting path for real: a Prometheus rule fires, the real Prometheus sends it to the
real Alertmanager, whose version-4 webhook (bearer token) reaches the local intake server, whose
dedup lives in DynamoDB on the moto server. Exactly one investigation starts for the group, even
as Alertmanager notifies again (repeat_interval), and the group's record in DynamoDB names it
and its thread."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from lambda_adapter import keys
from lambda_adapter.background import LocalDispatcher
from lambda_adapter.dedup import DynamoDedupStore, dynamo_store_from_env
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.alertmanager import AlertmanagerSandbox, alertmanager_binary
from sandbox.intake_fakes import MemoryChat
from sandbox.prometheus import PROMETHEUS_BIN, PrometheusSandbox
from sandbox.scenario import parse_scenario
from shared.contracts import AlertContext

pytestmark = [
    pytest.mark.functional,
    pytest.mark.slow,  # ~13 s: the rule's `for:` and Alertmanager's repeat
    pytest.mark.skipif(alertmanager_binary() is None, reason="prometheus-alertmanager is not installed"),
    pytest.mark.skipif(shutil.which(PROMETHEUS_BIN) is None, reason="prometheus is not installed"),
]
TOKEN = "am-rule-functional-token"
CHANNEL = "C0RULES01"
# `for:` keeps the alert pending until Prometheus has found the Alertmanager (its discovery
# refreshes after ~5 s): a firing alert is sent at once, and re-sent only after a minute.
RULES = """groups:
  - name: intake
    rules:
      - alert: CheckoutErrorBudgetBurn
        expr: vector(1)
        for: 8s
        labels: {severity: critical, namespace: shop, service: checkout}
        annotations: {summary: "checkout is burning its error budget"}
"""
SCENARIO = {
    "id": "intake-rule-fires",
    "title": "A rule that fires on its first evaluation",
    "alert": {"platform": "slack", "channel": CHANNEL, "at": "now-1m", "text": "rule"},
    "sources": {"prometheus": {"series": [], "rules": RULES}},
    "expected": {"category": "unknown"},
}


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Counted:
    """The intake app, counting the webhook deliveries that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.deliveries = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/alertmanager":
            self.deliveries += 1
        await self.app(scope, receive, send)


class Master:
    def __init__(self) -> None:
        self.started: list[AlertContext] = []

    async def investigate(self, ctx: AlertContext) -> None:
        self.started.append(ctx)
        await asyncio.sleep(0)


def dynamodb(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def dedup() -> Iterator[DynamoDedupStore]:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        table = f"dedup-{uuid.uuid4().hex[:8]}"
        dynamodb(url).create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamo_store_from_env(table, "us-east-1", url, client_factory=lambda **_kw: dynamodb(url))
    finally:
        server.stop()


def test_a_firing_rule_starts_exactly_one_investigation_through_alertmanager(
    dedup: DynamoDedupStore, tmp_path: Path
) -> None:
    master, chat = Master(), MemoryChat("slack")
    settings = IntakeSettings(secrets=Secrets(alertmanager_token=TOKEN))
    app = create_app(
        settings=settings,
        dispatcher=LocalDispatcher(master.investigate),
        chat_for=lambda _n: chat,
        dedup=dedup,
    )
    resolved = parse_scenario(SCENARIO).resolve(datetime.now(UTC))
    started = time.monotonic()
    counted = Counted(app)
    with (
        ThreadedServer(counted) as intake,
        AlertmanagerSandbox(
            tmp_path,
            f"{intake.url}/alertmanager?channel={CHANNEL}&platform=slack",
            bearer_token=TOKEN,
            group_wait="1s",
            group_interval="1s",
            repeat_interval="2s",  # notifies the same group again and again
        ) as alertmanager,
        PrometheusSandbox(resolved, tmp_path, alertmanager_url=alertmanager.url, evaluation_interval="1s"),
    ):
        assert wait_until(lambda: len(master.started) == 1, timeout=30)
        first = time.monotonic() - started
        # Alertmanager repeats the notification (the same body): still one investigation.
        assert wait_until(lambda: counted.deliveries >= 2, timeout=20)
    [ctx] = master.started
    assert ctx.platform.value == "alertmanager" and ctx.channel == CHANNEL
    assert ctx.labels["alertname"] == "CheckoutErrorBudgetBurn" and ctx.hints.service == "checkout"
    root = chat.posted[0]
    assert "CheckoutErrorBudgetBurn" in root.text and ctx.thread_id == root.id
    group = keys.alert_group('{}:{alertname="CheckoutErrorBudgetBurn"}')
    record = dedup.get(group)
    assert record is not None and record.investigation_id == ctx.investigation_id
    assert record.thread_id == root.id
    assert first < 30
    assert len(chat.posted) == 1  # the thread's root; a repeated notification adds nothing
