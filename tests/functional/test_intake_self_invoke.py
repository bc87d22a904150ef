"""The Lambda edge's self-invocation against a Lambda API that accepts connections and never
answers (a socket on loopback): the ack path fails fast with 503 instead of waiting out
botocore's default 60 s read timeout."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lambda_adapter.dedup import InMemoryDedupStore
from lambda_adapter.handler import Runtime, SelfInvoke
from sandbox.intake_fakes import FakeClock, MemoryChat, RecordingDispatcher
from sandbox.signing import TEST_SLACK_SECRET
from shared.config import load_config

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
ROOT = Path(__file__).resolve().parents[2]


class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sre-on-call-intake"


def envelope(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_a_lambda_api_that_hangs_gets_a_503_in_seconds_not_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-invocation is in the ack path: botocore's default 60 s read timeout would outlast
    Slack's 3 s and the function's own timeout. Here the Lambda API accepts and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    for name, value in {
        "AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SLACK_SIGNING_SECRET": TEST_SLACK_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    rt = Runtime(
        load_config(ROOT / "config.yaml"),
        dedup=InMemoryDedupStore(),
        scheduler=SelfInvoke(),
        dispatcher=RecordingDispatcher(),
        chat_for=lambda _name: MemoryChat("slack"),
        clock=FakeClock(1_712_345_645.0),
    )
    started = time.monotonic()
    try:
        answer = rt.handle(envelope("lambda_function_url.json"), Context())
    finally:
        listener.close()
        for connection in held:
            connection.close()
    elapsed = time.monotonic() - started
    assert answer["statusCode"] == 503
    assert elapsed < 5, f"the hand-off took {elapsed:.1f} s"
