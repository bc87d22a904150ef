"""Dedup in DynamoDB (the moto server on loopback): conditional puts make retries, duplicate
deliveries and concurrent copies collapse into one investigation; a failed hand-off releases
its claims so the retry investigates; the thread is found again for the resolved update."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.dedup import (
    NOT_HELD,
    RAN,
    STARTED,
    DynamoDedupStore,
    InMemoryDedupStore,
    Record,
    dynamo_store_from_env,
    remember_thread,
)
from sandbox.intake_fakes import Harness
from tests.support.dynamo import dedup_store, dedup_table, dynamodb_client, moto_server

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
REC = Record("slack-0123456789abcdef", "slack", "C1", "1712345600.000100")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(params=["botocore", "intake"])
def store(moto_url: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> DynamoDedupStore:
    """The store over a plain boto3 client, and as the intake builds it (`dynamodb_client`: its
    timeouts, no parameter validation): the same semantics."""
    table = dedup_table(moto_url, ttl=True)
    if request.param == "botocore":
        return dedup_store(moto_url, table)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return dynamo_store_from_env(table, "us-east-1", moto_url)


def test_conditional_claim_expiry_release_and_update(store: DynamoDedupStore) -> None:
    assert store.claim("k", REC, ttl_seconds=60, now=1000).won
    lost = store.claim("k", REC, ttl_seconds=60, now=1030)
    assert not lost.won and lost.existing == Record(
        REC.investigation_id, "slack", "C1", REC.thread_id, expires_at=1060
    )
    store.update(
        "k", Record(REC.investigation_id, "slack", "C1", "1800000001.000100", lead="storm:x"), now=1040
    )
    record = store.get("k")
    assert record is not None and record.thread_id == "1800000001.000100" and record.lead == "storm:x"
    assert not store.claim("k", REC, ttl_seconds=60, now=1050).won  # the update kept the claim
    assert store.claim("k", REC, ttl_seconds=60, now=1061).won  # expired: claimable again
    store.release("k")
    assert store.get("k") is None


def test_expires_at_is_the_ttl_attribute_in_epoch_seconds(store: DynamoDedupStore, moto_url: str) -> None:
    store.claim("k", REC, ttl_seconds=600, now=1_712_345_645.25)
    item = dynamodb_client(moto_url).get_item(TableName=store.table, Key={"pk": {"S": "k"}})["Item"]
    assert item["expires_at"] == {"N": "1712346246"}


def test_concurrent_claims_of_one_key_have_one_winner(store: DynamoDedupStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _i: store.claim("race", REC, ttl_seconds=60, now=1000).won, range(24)))
    assert results.count(True) == 1


def test_slack_retries_and_duplicates_collapse(store: DynamoDedupStore) -> None:
    h = Harness(dedup=store)
    body = (EVENTS / "slack_app_mention.json").read_bytes()
    answers = [h.slack(body)] + [h.slack(body, x_slack_retry_num=str(n)) for n in (1, 2, 3)] + [h.slack(body)]
    assert [a.status for a in answers] == [200] * 5
    assert [json.loads(a.body)["outcome"] for a in answers] == ["started"] + ["duplicate_delivery"] * 4
    assert len(h.started) == 1


def test_failed_hand_off_does_not_block_the_retry(store: DynamoDedupStore) -> None:
    h = Harness(dedup=store)
    h.jobs.fail_times = 1
    body = (EVENTS / "slack_app_mention.json").read_bytes()
    assert h.slack(body).status == 503
    assert h.slack(body, x_slack_retry_num="1").status == 200
    assert len(h.started) == 1


def test_master_down_releases_so_alertmanager_resend_investigates(store: DynamoDedupStore) -> None:
    h = Harness(dedup=store)
    h.dispatcher.fail_times = 1
    firing = json.loads((EVENTS / "alertmanager_firing.json").read_text())
    h.alertmanager(firing)
    assert h.started == []
    h.clock.advance(60)
    h.alertmanager(firing | {"truncatedAlerts": 0, "receiver": "sre-on-call "})  # the next notification
    assert len(h.started) == 1


def test_resolved_finds_the_thread_in_dynamodb(store: DynamoDedupStore) -> None:
    h = Harness(dedup=store)
    h.alertmanager((EVENTS / "alertmanager_firing.json").read_bytes())
    h.clock.advance(900)
    h.alertmanager((EVENTS / "alertmanager_resolved.json").read_bytes())
    root, update = h.slack_chat.posted
    assert update.thread_id == root.id and update.text.startswith("Resolved")
    assert len(h.started) == 1


class TimesOutAfterWriting:
    """A DynamoDB client whose first put of a `msg:` key is written but answered with a timeout."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.failed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ReadTimeoutError

        answer = self._client.put_item(**kwargs)
        key = kwargs["Item"]["pk"]["S"]
        if key.startswith("msg:") and not self.failed:
            self.failed.append(key)
            raise ReadTimeoutError(endpoint_url="http://dynamodb")
        return answer


def test_a_timeout_after_a_written_claim_is_503_and_the_slack_retry_investigates_once(
    store: DynamoDedupStore, moto_url: str
) -> None:
    """DynamoDB writes the message claim but the answer is lost (read timeout): the claim carries
    this delivery's investigation id, so it and the delivery claim are released and the retry runs."""
    client = TimesOutAfterWriting(dynamodb_client(moto_url))
    h = Harness(dedup=DynamoDedupStore(client, store.table))
    failed = client.failed
    body = (EVENTS / "slack_bot_alert_message.json").read_bytes()
    assert h.slack(body).status == 503 and failed
    assert store.get(failed[0]) is None  # ours, released
    answers = [h.slack(body, x_slack_retry_num=str(n)) for n in (1, 2)]
    assert [json.loads(a.body)["outcome"] for a in answers] == ["started", "duplicate_delivery"]
    assert len(h.started) == 1


def test_an_update_rewrites_the_record_and_keeps_its_claim(store: DynamoDedupStore) -> None:
    record = Record("inv-1", "slack", "C0ALERTS", None, lead="storm:slack:C0ALERTS:svc")
    assert store.claim("msg:slack:C0ALERTS:1", record, ttl_seconds=600, now=1000.0).won
    store.update("msg:slack:C0ALERTS:1", Record("inv-1", "slack", "C0ALERTS", "1700.000100"), now=1200.0)
    held = store.get("msg:slack:C0ALERTS:1")
    assert held == Record("inv-1", "slack", "C0ALERTS", "1700.000100", None, expires_at=1600.0)
    # Still claimed until then: another delivery does not take it.
    assert not store.claim("msg:slack:C0ALERTS:1", Record("inv-2"), ttl_seconds=600, now=1300.0).won
    store.update("msg:slack:C0ALERTS:2", Record("inv-3", "slack", "C0ALERTS"), now=1400.0)
    assert store.get("msg:slack:C0ALERTS:2") == Record("inv-3", "slack", "C0ALERTS", expires_at=1400.0)


def test_recording_the_thread_keeps_the_storm_lead(store: DynamoDedupStore) -> None:
    lead = "storm:slack:C0ALERTS:svc"
    assert store.claim("msg:slack:C0ALERTS:1", Record("inv-1", lead=lead), ttl_seconds=600, now=1000.0).won
    remember_thread(store, "msg:slack:C0ALERTS:1", Record("inv-1", "slack", "C0ALERTS", "17.1"), now=1100.0)
    assert store.get("msg:slack:C0ALERTS:1") == Record(
        "inv-1", "slack", "C0ALERTS", "17.1", lead, expires_at=1600.0
    )


@pytest.mark.parametrize("kind", ["dynamodb", "memory"])
def test_a_job_marks_its_claim_once_and_only_while_it_holds_it(store: DynamoDedupStore, kind: str) -> None:
    """The job's one call: started the first time, ran for a redrive, not held once the claim was
    released, taken by another investigation or expired; recording the thread keeps the mark."""
    dedup: Any = store if kind == "dynamodb" else InMemoryDedupStore()
    assert dedup.claim("delivery:slack:Ev1", Record("inv-1"), ttl_seconds=600, now=1000.0).won
    assert dedup.start_run("delivery:slack:Ev1", "inv-1", now=1010.0) == STARTED
    remember_thread(dedup, "delivery:slack:Ev1", Record("inv-1", "slack", "C1", "17.1"), now=1020.0)
    assert dedup.start_run("delivery:slack:Ev1", "inv-1", now=1030.0) == RAN
    assert dedup.start_run("delivery:slack:Ev1", "inv-2", now=1030.0) == NOT_HELD
    assert dedup.start_run("delivery:slack:Ev1", "inv-1", now=1601.0) == NOT_HELD  # expired
    dedup.release("delivery:slack:Ev1")
    assert dedup.start_run("delivery:slack:Ev1", "inv-1", now=1040.0) == NOT_HELD
    assert dedup.claim("delivery:slack:Ev1", Record("inv-1"), ttl_seconds=600, now=1050.0).won
    assert dedup.start_run("delivery:slack:Ev1", "inv-1", now=1060.0) == STARTED  # the mark went with it


@pytest.mark.parametrize("kind", ["dynamodb", "memory"])
def test_the_delivery_a_record_was_claimed_by_outlives_its_updates(
    store: DynamoDedupStore, kind: str
) -> None:
    dedup: Any = store if kind == "dynamodb" else InMemoryDedupStore()
    carrier = Record("inv-1", "slack", "C1", delivery="delivery:slack:Ev1", delivery_until=1300.0)
    assert dedup.claim("msg:slack:C1:1", carrier, ttl_seconds=600, now=1000.0).won
    dedup.update("msg:slack:C1:1", Record("inv-0", "slack", "C1", "16.1", lead="storm:x"), now=1010.0)
    remember_thread(dedup, "msg:slack:C1:1", Record("inv-0", "slack", "C1", "17.1"), now=1020.0)
    held = dedup.get("msg:slack:C1:1")
    assert held is not None and held.investigation_id == "inv-0" and held.thread_id == "17.1"
    assert held.delivered_by("delivery:slack:Ev1", 1300.0)
    assert not held.delivered_by("delivery:slack:Ev1", 1301.0)
    assert not held.delivered_by("delivery:slack:Ev2", 1100.0)
