"""Fault drill over loopback, end to end: the intake (uvicorn, dedup and ledger in DynamoDB on the
moto server) hands a Slack mention to a real master served over A2A; the master is killed a second
into the investigation and a new one is started on the same port. The intake notices the heartbeat
stopped, hands the investigation off again, and exactly one report reaches the thread."""

from __future__ import annotations

import json
import logging
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

from agents.master.orchestrator import Investigator
from lambda_adapter.dedup import DynamoDedupStore
from lambda_adapter.master import MasterDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat
from sandbox.signing import TEST_SLACK_SECRET, slack_headers
from shared.a2a import A2AClient, AgentCardSpec, HttpTransport, build_agent_app
from shared.config import AppConfig, parse_config
from shared.contracts import AlertContext
from shared.ledger import REPORTED, DynamoLedger
from tests.functional.test_master_deadlines import config_with
from tests.support.scripted_agents import Script, serve_scripted

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
LEASE = 5  # the shortest lease config allows: the drill takes seconds, not minutes


@pytest.fixture(scope="module")
def moto_client() -> Iterator[Any]:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield boto3.client(
            "dynamodb",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 2}),
        )
    finally:
        server.stop()


def config_leased(deadline: float) -> AppConfig:
    data = config_with(deadline=deadline, cutoff=deadline, scanners={"quick": None}).model_dump(mode="json")
    data["intake"]["handoff_lease_seconds"] = LEASE
    return parse_config(data)


def master_app(investigator: Investigator) -> Any:
    async def handle(data: dict[str, Any]) -> dict[str, Any]:
        ctx = AlertContext.model_validate(data["alert"])
        report = await investigator.investigate(ctx)
        return {"report": report.model_dump(mode="json")}

    card = AgentCardSpec(
        name="master", description="master", url="http://127.0.0.1/", skills=[("investigate", "i", "i")]
    )
    return build_agent_app(card, handle)


def serve_master(investigator: Investigator, port: int = 0) -> ThreadedServer:
    server = ThreadedServer(master_app(investigator), port=port)
    server._server.config.timeout_graceful_shutdown = 1  # a kill: in-flight work is dropped
    return server.start()


def test_master_killed_one_second_in_is_replaced_and_one_report_is_posted(moto_client: Any) -> None:
    table = f"dedup-{uuid.uuid4().hex[:8]}"
    moto_client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store, ledger = DynamoDedupStore(moto_client, table), DynamoLedger(moto_client, table)
    config, slow_config = (config_leased(deadline) for deadline in (2.0, 30.0))
    chat = MemoryChat("slack")
    with (
        serve_scripted({"quick": Script(hang=True)}) as hung,
        serve_scripted({"quick": Script(latency=0.1)}) as quick,
    ):
        # The first master cannot report before it is killed: its deadline is 30 s away.
        first = serve_master(
            Investigator(config=slow_config, client=hung, chat_for=lambda _n: chat, ledger=ledger)
        )
        port = int(first.url.rsplit(":", 1)[1])
        dispatcher = MasterDispatcher(A2AClient({"master": HttpTransport(first.url)}), "master")
        settings = IntakeSettings(
            secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET),
            handoff_attempts=3,
            handoff_lease_seconds=LEASE,
        )
        app = create_app(
            settings=settings, dispatcher=dispatcher, chat_for=lambda _n: chat, dedup=store, ledger=ledger
        )
        with ThreadedServer(app) as intake:
            body = (EVENTS / "slack_app_mention.json").read_bytes()
            answer = httpx.post(
                f"{intake.url}/slack/events",
                content=body,
                headers=slack_headers(TEST_SLACK_SECRET, body, int(time.time())),
            )
            assert json.loads(answer.content)["outcome"] == "started"
            time.sleep(1.0)  # the master is a second into the investigation
            first.stop()  # killed: its investigation dies with it
            second = serve_master(
                Investigator(config=config, client=quick, chat_for=lambda _n: chat, ledger=ledger), port=port
            )
            try:
                deadline = time.monotonic() + 4 * LEASE + 10
                while time.monotonic() < deadline and not any("Likely cause" in t for t in chat.texts()):
                    time.sleep(0.2)
            finally:
                second.stop()
    texts = chat.texts()
    assert sum("Likely cause" in t for t in texts) == 1
    assert any("retrying (attempt 2 of 3)" in t for t in texts)
    [inv] = [
        item["pk"]["S"][4:]
        for item in moto_client.scan(TableName=table)["Items"]
        if item["pk"]["S"].startswith("inv:")
    ]
    entry = ledger.get(inv)
    assert entry is not None and entry.state == REPORTED and entry.attempt == 2
