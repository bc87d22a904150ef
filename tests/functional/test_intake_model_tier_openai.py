"""The model tier as production wires it: `intake.classifier_model` in config.yaml (provider
`openai`, an OpenAI-compatible chat-completions server on loopback) reaches the Lambda runtime's
job, which asks the model about an ambiguous mention; when the model server fails, the
mention is still investigated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from lambda_adapter.dedup import InMemoryDedupStore
from lambda_adapter.handler import JOB_KEY, Runtime, SelfInvoke
from lambda_adapter.server import ThreadedServer
from sandbox.intake_fakes import FakeClock, MemoryChat, RecordingDispatcher
from sandbox.signing import TEST_SLACK_SECRET, slack_headers
from shared.config import load_config

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
ROOT = Path(__file__).resolve().parents[2]
NOW = 1_712_345_645.0


def text_stream(text: str) -> list[str]:
    def chunk(delta: dict[str, Any] | None, finish: str | None = None) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        body: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "model": "m"}
        body["choices"] = choices
        if delta is None:
            body["usage"] = {"prompt_tokens": 40, "completion_tokens": 1, "total_tokens": 41}
        return f"data: {json.dumps(body)}\n\n"

    return [chunk({"role": "assistant", "content": text}), chunk({}, "stop"), chunk(None), "data: [DONE]\n\n"]


class ModelServer:
    def __init__(self, replies: list[Any]) -> None:
        self.replies = replies
        self.prompts: list[str] = []

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            self.prompts.append(json.dumps((await request.json())["messages"]))
            reply = self.replies.pop(0)
            if isinstance(reply, Response):
                return reply

            async def body() -> Any:
                for part in reply:
                    yield part.encode()

            return StreamingResponse(body(), media_type="text/event-stream")

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


class QueuedLambda:
    def __init__(self) -> None:
        self.queued: list[dict[str, Any]] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        self.queued.append(json.loads(Payload))
        return {"StatusCode": 202}


class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sre-on-call-intake"


@pytest.fixture
def model_server() -> Iterator[Any]:
    servers: list[ThreadedServer] = []

    def start(replies: list[Any]) -> tuple[ModelServer, str]:
        stub = ModelServer(replies)
        servers.append(ThreadedServer(stub.app()).start())
        return stub, f"{servers[-1].url}/v1"

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def runtime(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Runtime, QueuedLambda, RecordingDispatcher, MemoryChat]:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", TEST_SLACK_SECRET)
    config = load_config(ROOT / "config.yaml")
    model = {"provider": "openai", "model_id": "triage-small", "base_url": base_url, "timeout_seconds": 5}
    intake = config.intake.model_validate(config.intake.model_dump() | {"classifier_model": model})
    config = config.model_copy(update={"intake": intake})
    queue, dispatcher, chat = QueuedLambda(), RecordingDispatcher(), MemoryChat("slack")
    rt = Runtime(
        config,
        dedup=InMemoryDedupStore(),
        scheduler=SelfInvoke(client_factory=lambda: queue),
        dispatcher=dispatcher,
        chat_for=lambda _name: chat,
        clock=FakeClock(NOW),
    )
    return rt, queue, dispatcher, chat


def ambiguous_mention() -> dict[str, Any]:
    payload = json.loads((EVENTS / "slack_app_mention.json").read_text())
    payload["event"]["text"] = "<@U0LAN0Z89> checkout feels slow for some users since lunch"
    body = json.dumps(payload)
    headers = slack_headers(TEST_SLACK_SECRET, body.encode(), int(NOW))
    return {
        "version": "2.0",
        "rawPath": "/slack/events",
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": "/slack/events"}},
        "body": body,
        "isBase64Encoded": False,
    }


def run_queued(rt: Runtime, queue: QueuedLambda) -> None:
    while queue.queued:
        job = queue.queued.pop(0)
        assert JOB_KEY in job
        rt.handle(job, Context())


def test_the_configured_model_decides_an_ambiguous_mention(model_server: Any, monkeypatch: Any) -> None:
    stub, url = model_server([text_stream("chatter")])
    rt, queue, dispatcher, chat = runtime(url, monkeypatch)
    answer = rt.handle(ambiguous_mention(), Context())
    assert answer["statusCode"] == 200 and stub.prompts == []  # the ack never waits for the model
    run_queued(rt, queue)
    assert len(stub.prompts) == 1 and "checkout feels slow" in stub.prompts[0]
    assert dispatcher.contexts == []
    assert len(chat.posted) == 1  # the one-line reply


def test_a_failing_model_server_still_investigates(model_server: Any, monkeypatch: Any) -> None:
    stub, url = model_server([JSONResponse({"error": {"message": "overloaded"}}, status_code=503)])
    rt, queue, dispatcher, _chat = runtime(url, monkeypatch)
    rt.handle(ambiguous_mention(), Context())
    run_queued(rt, queue)
    assert len(stub.prompts) == 1
    assert len(dispatcher.contexts) == 1
