"""A plain text A2A message, as any A2A client (and the a2a-tck's mandatory text-message test)
sends it: the master and a scanner served by `agents.serve` answer it with a completed task over
HTTP on loopback, `message/send` and `message/stream` alike; a message they cannot read gets A2A's
ContentTypeNotSupportedError, not a failed task."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agents.serve import build_app_for
from lambda_adapter.server import ThreadedServer
from shared.config import AppConfig, load_config

ALERT = "checkout is throwing 502s since 10 min, [FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> AppConfig:
    base = load_config()
    # Every source and scanner unreachable: each answers at once with its error, nothing hangs.
    monkeypatch.setenv(base.sources.prometheus.url_env, f"http://127.0.0.1:{closed_port()}")
    agents = {
        k: v if v.role == "master" else v.model_copy(update={"port": closed_port()})
        for k, v in base.agents.items()
    }
    defaults = base.defaults.model_copy(update={"deadline_seconds": 20.0, "late_cutoff_seconds": 20.0})
    return base.model_copy(update={"agents": agents, "defaults": defaults})


@pytest.fixture
def serve(config: AppConfig) -> Iterator[Any]:
    servers: list[ThreadedServer] = []

    def start(agent_id: str) -> str:
        server = ThreadedServer(build_app_for(config, agent_id)).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts), "messageId": uuid.uuid4().hex, "kind": "message"}


def rpc(method: str, msg: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"message": msg}}


def send(url: str, msg: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(url, json=rpc("message/send", msg), timeout=60, trust_env=False)
    assert answer.status_code == 200
    return dict(answer.json())


def stream(url: str, msg: dict[str, Any]) -> list[dict[str, Any]]:
    events = []
    with httpx.stream("POST", url, json=rpc("message/stream", msg), timeout=60, trust_env=False) as answer:
        for line in answer.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    return events


def scanner_id(config: AppConfig) -> str:
    return "prometheus" if "prometheus" in config.agents else next(iter(config.scanners()))


@pytest.mark.parametrize("agent", ["master", "scanner"])
def test_a_plain_text_message_is_answered_with_a_completed_task(
    config: AppConfig, serve: Any, agent: str
) -> None:
    agent_id = config.master_id if agent == "master" else scanner_id(config)
    url = serve(agent_id)

    task = send(url, message({"kind": "text", "text": ALERT}))["result"]

    assert task["kind"] == "task" and task["status"]["state"] == "completed", task["status"]
    [artifact] = task["artifacts"]
    data = artifact["parts"][0]["data"]
    if agent == "master":
        report = data["report"]
        assert report["alert"]["hints"]["alert_name"] == "KubePodCrashLooping"
        assert report["alert"]["hints"]["namespace"] == "shop"
    else:
        assert data["result"]["agent"] == agent_id and data["result"]["status"] == "error"


@pytest.mark.parametrize("agent", ["master", "scanner"])
def test_a_plain_text_stream_ends_completed(config: AppConfig, serve: Any, agent: str) -> None:
    url = serve(config.master_id if agent == "master" else scanner_id(config))

    events = stream(url, message({"kind": "text", "text": ALERT}))

    assert events, "no event streamed"
    last = events[-1]["result"]
    assert last["kind"] == "status-update" and last["final"] and last["status"]["state"] == "completed"


def test_a_message_with_nothing_readable_gets_the_content_type_error(config: AppConfig, serve: Any) -> None:
    url = serve(scanner_id(config))
    file_only = message(
        {"kind": "file", "file": {"uri": "https://example.com/x.png", "mimeType": "image/png"}}
    )

    answer = send(url, file_only)
    assert answer["error"]["code"] == -32005

    [event] = stream(url, file_only)
    assert event["error"]["code"] == -32005
    # A file beside the text would be dropped without a word: refused too, naming why.
    with_text = message({"kind": "text", "text": ALERT}, file_only["parts"][0])
    answer = send(url, with_text)
    assert (
        answer["error"]["code"] == -32005
        and "incompatible content types" in answer["error"]["message"].lower()
    )
    card = httpx.get(f"{url}/.well-known/agent-card.json", trust_env=False).json()
    assert "text/plain" in card["defaultInputModes"]
