"""The Lambda edge: function URL and API Gateway events in, proxy responses out, jobs by
asynchronous self-invocation (a fake Lambda client that runs them as Lambda would)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.dedup import InMemoryDedupStore
from lambda_adapter.handler import JOB_KEY, Runtime, SelfInvoke
from lambda_adapter.lambda_events import event_response, request_from_event
from lambda_adapter.webhook import WebhookResponse
from lambda_adapter.worker import HAND_OFF_FAILED, JobError
from sandbox.intake_fakes import FakeClock, Harness, MemoryChat, RecordingDispatcher
from sandbox.signing import TEST_ALERTMANAGER_TOKEN, TEST_SLACK_SECRET, discord_keypair
from shared.config import load_config
from shared.errors import BadRequest

EVENTS = Path(__file__).resolve().parents[1] / "events"
ROOT = Path(__file__).resolve().parents[2]


def envelope(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_function_url_event() -> None:
    request = request_from_event(envelope("lambda_function_url.json"))
    assert request.method == "POST" and request.path == "/slack/events"
    assert request.body == (EVENTS / "slack_app_mention.json").read_bytes()
    assert request.headers["X-Slack-Request-Timestamp"] == "1712345645"


def test_http_api_v2_event_with_stage_query_and_base64_body() -> None:
    request = request_from_event(envelope("lambda_apigw_v2.json"))
    assert request.path == "/prod/alertmanager"
    assert request.query == {"channel": "C0LAN2Q65", "platform": "slack"}
    assert request.body == (EVENTS / "alertmanager_firing.json").read_bytes()


def test_rest_api_v1_event() -> None:
    request = request_from_event(envelope("lambda_apigw_v1.json"))
    assert request.method == "POST" and request.path == "/discord/interactions"
    assert request.headers["x-signature-timestamp"] == "1712345645"
    assert request.query == {}


def test_not_an_http_event_and_bad_base64() -> None:
    with pytest.raises(BadRequest):
        request_from_event({"Records": []})
    with pytest.raises(BadRequest):
        request_from_event({"rawPath": "/x", "body": "!!", "isBase64Encoded": True})


def test_response_shape() -> None:
    assert event_response(WebhookResponse.json(200, {"type": 1})) == {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": '{"type":1}',
        "isBase64Encoded": False,
    }
    binary = event_response(WebhookResponse(200, b"\xff\x00"))
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == b"\xff\x00"


class FakeLambda:
    """`invoke(InvocationType="Event")` as Lambda does it: 202 now, the event delivered later."""

    def __init__(self, fail: bool = False) -> None:
        self.queued: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        assert InvocationType == "Event"
        if self.fail:
            raise ConnectionError("throttled")
        self.queued.append((FunctionName, json.loads(Payload)))
        return {"StatusCode": 202}


class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sre-on-call-intake"


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> tuple[Runtime, FakeLambda, RecordingDispatcher, MemoryChat]:
    _seed, public = discord_keypair()
    monkeypatch.setenv("SLACK_SIGNING_SECRET", TEST_SLACK_SECRET)
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", public)
    monkeypatch.setenv("ALERTMANAGER_WEBHOOK_TOKEN", TEST_ALERTMANAGER_TOKEN)
    fake = FakeLambda()
    dispatcher = RecordingDispatcher()
    chat = MemoryChat("slack")
    rt = Runtime(
        load_config(ROOT / "config.yaml"),
        dedup=InMemoryDedupStore(),
        scheduler=SelfInvoke(client_factory=lambda: fake),
        dispatcher=dispatcher,
        chat_for=lambda _name: chat,
        clock=FakeClock(1_712_345_645.0),
    )
    return rt, fake, dispatcher, chat


def test_slack_mention_through_function_url_then_self_invocation(runtime: Any) -> None:
    rt, fake, dispatcher, _chat = runtime
    answer = rt.handle(envelope("lambda_function_url.json"), Context())
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["outcome"] == "started"
    assert dispatcher.contexts == []  # nothing but the ack happened in the HTTP invocation
    [(function, payload)] = fake.queued
    assert function == Context.invoked_function_arn and JOB_KEY in payload
    assert rt.handle(payload, Context()) == {"ok": True}  # the invoked copy
    [ctx] = dispatcher.contexts
    assert ctx.thread_id == "1712345640.000200" and ctx.hints.service == "checkout"


def test_alertmanager_through_http_api_v2(runtime: Any) -> None:
    rt, fake, dispatcher, chat = runtime
    answer = rt.handle(envelope("lambda_apigw_v2.json"), Context())
    assert answer["statusCode"] == 200
    rt.handle(fake.queued[0][1], Context())
    [root] = chat.posted
    [ctx] = dispatcher.contexts
    assert ctx.thread_id == root.id and ctx.channel == "C0LAN2Q65"


def test_discord_ping_through_rest_api_v1(runtime: Any) -> None:
    rt, fake, _dispatcher, _chat = runtime
    answer = rt.handle(envelope("lambda_apigw_v1.json"), Context())
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"type": 1}
    assert fake.queued == []


def test_failed_self_invocation_is_503_and_releases(runtime: Any) -> None:
    rt, fake, dispatcher, _chat = runtime
    fake.fail = True
    assert rt.handle(envelope("lambda_function_url.json"), Context())["statusCode"] == 503
    fake.fail = False
    assert rt.handle(envelope("lambda_function_url.json"), Context())["statusCode"] == 200
    rt.handle(fake.queued[0][1], Context())
    assert len(dispatcher.contexts) == 1


def test_tampered_envelope_is_401(runtime: Any) -> None:
    rt, fake, _dispatcher, _chat = runtime
    event = envelope("lambda_function_url.json")
    event["body"] = event["body"].replace("HighErrorRate", "LowErrorRate")
    assert rt.handle(event, Context())["statusCode"] == 401
    assert rt.handle({"detail-type": "Scheduled Event"}, Context())["statusCode"] == 400
    assert fake.queued == []


def test_handler_module_imports_no_heavy_dependency() -> None:
    code = (
        "import sys, lambda_adapter.handler; "
        "print(sorted(m for m in ('boto3', 'botocore', 'strands', 'kubernetes', 'a2a', 'nacl', 'httpx', "
        "'slack_sdk', 'starlette', 'moto', 'hikari', 'aiohttp') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.strip() == "[]"


def test_master_outage_fails_the_invoked_copy_and_a_redrive_investigates_once(runtime: Any) -> None:
    """With no Lambda retries, a job that swallowed its failure would never reach the dead-letter
    queue or the Errors alarm: it raises, after releasing its claims and saying so in the thread."""
    rt, fake, dispatcher, chat = runtime
    rt.handle(envelope("lambda_function_url.json"), Context())
    [(_function, job)] = fake.queued
    dispatcher.fail_times = 1
    with pytest.raises(JobError, match="not handed off"):
        rt.handle(job, Context())
    assert dispatcher.contexts == []
    assert [p.text for p in chat.posted] == [HAND_OFF_FAILED]
    assert rt.handle(job, Context()) == {"ok": True}  # redriven from the dead-letter queue
    assert len(dispatcher.contexts) == 1
    assert rt.handle(job, Context()) == {"ok": True}  # redriven once too often: nothing new
    assert len(dispatcher.contexts) == 1


def test_a_redriven_job_does_not_start_a_second_investigation_after_a_new_delivery() -> None:
    h = Harness(run_jobs=False)
    h.worker.raise_failures = True
    ts = "1712345600.000100"
    h.slack_chat.add(
        "C0LAN2Q65", ts, "[FIRING:1] KubePodCrashLooping shop", at=datetime.fromtimestamp(1712345600, UTC)
    )
    reaction = json.loads((EVENTS / "slack_reaction_added.json").read_text())
    h.slack(reaction)
    [failed] = h.jobs.submitted
    h.dispatcher.fail_times = 1
    with pytest.raises(JobError):
        h.worker.run(failed)
    h.clock.advance(60)
    h.slack(reaction | {"event_id": "Ev0AGAIN01"})  # someone reacts again: a new delivery
    assert h.worker.run(h.jobs.submitted[-1]) is True
    assert len(h.started) == 1
    assert h.worker.run(failed) is True  # the old job, redriven late
    assert len(h.started) == 1


def test_a_lost_hand_off_is_watched_through_self_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    # With a ledger (the dedup table deployed), the invoked copy that hands off also sends itself a
    # watch; the watch, invoked when the master has neither reported nor beaten, hands off again.
    from shared.ledger import InMemoryLedger

    _seed, public = discord_keypair()
    monkeypatch.setenv("SLACK_SIGNING_SECRET", TEST_SLACK_SECRET)
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", public)
    fake, dispatcher, chat = FakeLambda(), RecordingDispatcher(), MemoryChat("slack")
    clock = FakeClock(1_712_345_645.0)
    rt = Runtime(
        load_config(ROOT / "config.yaml"),
        dedup=InMemoryDedupStore(),
        scheduler=SelfInvoke(client_factory=lambda: fake),
        dispatcher=dispatcher,
        chat_for=lambda _name: chat,
        clock=clock,
        ledger=InMemoryLedger(),
    )
    rt.worker().sleep = clock.advance  # the watch sleeps until it is due
    rt.handle(envelope("lambda_function_url.json"), Context())
    rt.handle(fake.queued.pop(0)[1], Context())  # the investigate job: hands off, sends the watch
    [(_function, watch)] = fake.queued
    assert watch[JOB_KEY]["kind"] == "watch"
    assert rt.handle(watch, Context()) == {"ok": True}
    assert len(dispatcher.contexts) == 2 and "retrying" in chat.posted[-1].text
