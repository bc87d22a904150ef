"""DynamoDB through a faulty line (the moto server behind a loopback front that loses answers or
fails): a claim whose answer was lost is retried and still won, a run marked by a lost answer still
runs, throttling and 5xx are retried, and an alert whose claim answer was lost is investigated once.
Over the intake's own client (`dynamodb_client`) and over a plain boto3 client (standard retries)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from lambda_adapter.dedup import STARTED, DynamoDedupStore, Record, dynamo_store_from_env
from sandbox.intake_fakes import Harness
from shared.ledger import FAILED, SUPERSEDED, DynamoLedger
from tests.support.dynamo import dedup_table, moto_server

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
REC = Record("slack-0123456789abcdef", "slack", "C1", "1712345600.000100")

# What the front does with a request: "drop" (forward it, then close without answering), "500" and
# "throttle" (answer so without forwarding).
Fault = Callable[[str, dict[str, object]], str | None]


class Front:
    """A loopback proxy to `upstream` that applies `fault` to each request (operation, body)."""

    def __init__(self, upstream: str) -> None:
        self.fault: Fault = lambda _op, _body: None
        self.seen: list[str] = []
        target = urlsplit(upstream)
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                operation = (self.headers.get("x-amz-target") or "").rsplit(".", 1)[-1]
                front.seen.append(operation)
                fault = front.fault(operation, json.loads(body or b"{}"))
                if fault == "500":
                    return self._answer(500, {"__type": "InternalServerError", "message": "boom"})
                if fault == "throttle":
                    return self._answer(400, {"__type": "x#ThrottlingException", "message": "slow down"})
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request("POST", "/", body, headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if fault == "drop":
                    self.close_connection = True  # written upstream; the answer is lost
                    return None
                self.send_response(answer.status)
                for name in ("content-type", "x-amz-crc32"):
                    if answer.getheader(name):
                        self.send_header(name, answer.getheader(name) or "")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None

            def _answer(self, status: int, payload: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/x-amz-json-1.0")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def once(self, wanted: Callable[[str, dict[str, object]], bool], fault: str) -> None:
        """`fault` on the first request `wanted` picks; the rest go through."""
        done: list[bool] = []

        def apply(operation: str, body: dict[str, object]) -> str | None:
            if not done and wanted(operation, body):
                done.append(True)
                return fault
            return None

        self.fault = apply


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def front(moto_url: str) -> Iterator[Front]:
    proxy = Front(moto_url)
    yield proxy
    proxy.server.shutdown()


@pytest.fixture(params=["intake", "botocore"])
def store(
    request: pytest.FixtureRequest, front: Front, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> DynamoDedupStore:
    table = dedup_table(moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    if request.param == "intake":
        return dynamo_store_from_env(table, "us-east-1", front.url)
    client = boto3.client(
        "dynamodb",
        endpoint_url=front.url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=5),
    )
    return DynamoDedupStore(client, table)


def _put_of(prefix: str) -> Callable[[str, dict[str, object]], bool]:
    def wanted(operation: str, body: dict[str, object]) -> bool:
        item = body.get("Item")
        return operation == "PutItem" and isinstance(item, dict) and item["pk"]["S"].startswith(prefix)

    return wanted


def test_a_claim_whose_answer_was_lost_is_still_won_and_still_held(
    store: DynamoDedupStore, front: Front
) -> None:
    front.once(_put_of("k"), "drop")
    assert store.claim("k", REC, ttl_seconds=60, now=1000).won
    assert front.seen.count("PutItem") == 2  # written, answer lost, sent again
    other = Record("slack-fedcba9876543210", "slack", "C1", "1712345699.000100")
    second = store.claim("k", other, ttl_seconds=60, now=1001)
    assert not second.won and second.existing is not None
    assert second.existing.investigation_id == REC.investigation_id


def test_a_run_marked_by_a_lost_answer_still_runs(store: DynamoDedupStore, front: Front) -> None:
    assert store.claim("k", REC, ttl_seconds=60, now=1000).won
    front.once(lambda operation, _body: operation == "UpdateItem", "drop")
    assert store.start_run("k", REC.investigation_id, now=1001) == STARTED
    assert store.start_run("k", REC.investigation_id, now=1002) != STARTED  # a redrive: it ran


@pytest.mark.parametrize("fault", ["500", "throttle"])
def test_throttling_and_server_errors_are_tried_again(
    store: DynamoDedupStore, front: Front, fault: str
) -> None:
    front.once(_put_of("k"), fault)
    assert store.claim("k", REC, ttl_seconds=60, now=1000).won
    assert front.seen.count("PutItem") == 2


def test_a_refusal_comes_back_as_the_clients_conditional_check_error(store: DynamoDedupStore) -> None:
    assert store.claim("k", REC, ttl_seconds=60, now=1000).won
    try:
        store.client.put_item(
            TableName=store.table,
            Item={"pk": {"S": "k"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except store.client.exceptions.ConditionalCheckFailedException as e:
        assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert e.response["Item"]["investigation_id"] == {"S": REC.investigation_id}
    else:
        pytest.fail("the conditional put was not refused")


@pytest.mark.parametrize("lost", ["msg:", "repost:", "storm:"])
def test_an_alert_whose_claim_answer_was_lost_is_investigated_once(
    store: DynamoDedupStore, front: Front, lost: str
) -> None:
    """Not taken for a re-post (or a storm member, or a retry) of itself: one investigation, no note."""
    front.once(_put_of(lost), "drop")
    h = Harness(dedup=store)
    body = (EVENTS / "slack_bot_alert_message.json").read_bytes()
    assert json.loads(h.slack(body).body)["outcome"] == "started"
    assert json.loads(h.slack(body, x_slack_retry_num="1").body)["outcome"] == "duplicate_delivery"
    assert len(h.started) == 1
    assert h.slack_chat.posted == []


def _update_setting(state: str) -> Callable[[str, dict[str, object]], bool]:
    def wanted(operation: str, body: dict[str, object]) -> bool:
        values = body.get("ExpressionAttributeValues")
        return operation == "UpdateItem" and isinstance(values, dict) and values.get(":new") == {"S": state}

    return wanted


def test_a_ledger_write_whose_answer_was_lost_is_still_ours(store: DynamoDedupStore, front: Front) -> None:
    """A re-trigger that replaces a failed investigation, its answer lost and the write retried,
    is told it won (not that another attempt took the investigation), once."""
    ledger = DynamoLedger(store.client, store.table, clock=lambda: 1000.0)
    assert ledger.handed_off("inv-1", attempt=1, lease_until=1060, now=1000)
    ledger.finish("inv-1", FAILED, "the master died", attempt=1)
    front.once(_update_setting(SUPERSEDED), "drop")
    assert ledger.supersede("inv-1", now=1010)
    assert front.seen.count("UpdateItem") == 4  # hand-off, failure, the lost write and its retry
    entry = ledger.get("inv-1")
    assert entry is not None and entry.state == SUPERSEDED
    assert not ledger.supersede("inv-1", now=1011)  # a second re-trigger finds it replaced


def test_a_table_that_cannot_be_reached_is_the_clients_connection_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connection refused, tried three times: botocore's error, which the intake's fallback to
    memory catches (see `dedup_fallback`)."""
    from botocore.exceptions import EndpointConnectionError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = dynamo_store_from_env("dedup", "us-east-1", closed)
    with pytest.raises(EndpointConnectionError):
        store.claim("k", REC, ttl_seconds=60, now=1000)
