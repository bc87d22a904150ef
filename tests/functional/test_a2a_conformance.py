"""The a2a-tck (protocol 0.3.0) mandatory requirements that apply to our agents, checked over HTTP
on loopback against the master and a scanner served by `agents.serve`: the agent card's required
fields, JSON-RPC 2.0's error codes, `tasks/get` (by id, with `historyLength`, unknown id), the
A2A errors for an unknown task and for push notifications the agent does not offer.

The TCK is not installable from PyPI; these follow its `tests/mandatory` files (agent card,
JSON-RPC compliance, tasks/get, A2A error codes). Plain text `message/send` / `message/stream` and
the unsupported-content error are in `test_a2a_text.py`. The TCK's tests that continue or cancel a
task after it completed are left out: the specification's terminal-state rule (section 7.1) says a
completed task is not continued, so the agent refuses them (checked below: cancel is refused with
TaskNotCancelableError).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agents.serve import build_app_for
from lambda_adapter.server import ThreadedServer
from shared.config import AppConfig, load_config

pytestmark = pytest.mark.functional
ALERT = "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def config() -> Iterator[AppConfig]:
    base = load_config()
    # Every source and scanner unreachable: each answers at once with its error, nothing hangs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(base.sources.prometheus.url_env, f"http://127.0.0.1:{closed_port()}")
        agents = {
            k: v if v.role == "master" else v.model_copy(update={"port": closed_port()})
            for k, v in base.agents.items()
        }
        defaults = base.defaults.model_copy(update={"deadline_seconds": 20.0, "late_cutoff_seconds": 20.0})
        yield base.model_copy(update={"agents": agents, "defaults": defaults})


@pytest.fixture(scope="module", params=["master", "scanner"])
def url(request: pytest.FixtureRequest, config: AppConfig) -> Iterator[str]:
    if request.param == "master":
        agent_id = config.master_id
    else:
        agent_id = "prometheus" if "prometheus" in config.agents else next(iter(config.scanners()))
    with ThreadedServer(build_app_for(config, agent_id)) as server:
        yield server.url


def call(url: str, method: str, params: Any) -> dict[str, Any]:
    return post(url, rpc(method, params))


def post(url: str, request: Any, raw: bytes | None = None) -> dict[str, Any]:
    if raw is None:
        answer = httpx.post(url, json=request, timeout=60, trust_env=False)
    else:
        headers = {"content-type": "application/json"}
        answer = httpx.post(url, content=raw, headers=headers, timeout=60, trust_env=False)
    assert answer.status_code == 200, answer.text  # JSON-RPC errors travel in a 200
    return dict(answer.json())


def text_message(text: str = ALERT) -> dict[str, Any]:
    return {"role": "user", "parts": [{"kind": "text", "text": text}], "messageId": uuid.uuid4().hex}


def test_the_agent_card_has_the_required_fields(url: str) -> None:
    card = httpx.get(f"{url}/.well-known/agent-card.json", timeout=10, trust_env=False).json()
    for field in ("name", "description", "version", "url", "protocolVersion", "preferredTransport"):
        assert isinstance(card.get(field), str) and card[field].strip(), field
    assert card["protocolVersion"] == "0.3.0" and card["preferredTransport"] == "JSONRPC"
    assert isinstance(card["capabilities"], dict)
    for modes in ("defaultInputModes", "defaultOutputModes"):
        assert card[modes] and all(isinstance(m, str) and m.strip() for m in card[modes]), modes
    assert "text/plain" in card["defaultInputModes"]
    assert card["skills"]
    for skill in card["skills"]:
        assert all(skill.get(k) is not None for k in ("id", "name", "description", "tags")), skill


def rpc(method: str | None, params: Any, rpc_id: Any = 1, version: str = "2.0") -> dict[str, Any]:
    request = {"jsonrpc": version, "id": rpc_id, "params": params}
    return request | ({"method": method} if method else {})


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        (rpc("message/send", {}, version="aaa"), -32600),
        (rpc(None, {}), -32600),
        (rpc("message/send", {}, rpc_id={"bad": "type"}), -32600),
        (rpc("nonexistent/method", {}, rpc_id="3"), -32601),
        (rpc("message/send", {"message": {"parts": "invalid"}}), -32602),
        (rpc("message/send", {"message": {"kind": "message"}}), -32602),  # no messageId, role, parts
        (rpc("tasks/get", {"nope": 1}), -32602),
    ],
)
def test_json_rpc_errors_carry_the_standard_codes(url: str, request_body: dict[str, Any], code: int) -> None:
    answer = post(url, request_body)
    assert answer["error"]["code"] == code, answer
    assert isinstance(answer["error"]["message"], str) and answer["error"]["message"]


def test_malformed_json_is_a_parse_error(url: str) -> None:
    answer = post(url, None, raw=b'{"jsonrpc": "2.0", "method": "message/send", "params": {"foo": "bar"}')
    assert answer["error"]["code"] == -32700


def test_a_sent_task_is_found_by_tasks_get_and_cannot_be_cancelled_once_completed(url: str) -> None:
    task = call(url, "message/send", {"message": text_message()})["result"]
    assert task["kind"] == "task" and task["status"]["state"] == "completed"

    got = call(url, "tasks/get", {"id": task["id"]})["result"]
    assert got["id"] == task["id"] and got["status"]["state"] == "completed"
    with_history = call(url, "tasks/get", {"id": task["id"], "historyLength": 1})["result"]
    assert with_history["id"] == task["id"] and "history" in with_history
    assert len(with_history["history"]) <= 1

    # Section 7.1: a task in a terminal state is not cancelled (nor continued).
    refused = call(url, "tasks/cancel", {"id": task["id"]})
    assert refused["error"]["code"] == -32002


def test_an_unknown_task_is_task_not_found(url: str) -> None:
    for method in ("tasks/get", "tasks/cancel"):
        answer = call(url, method, {"id": "nonexistent-task-id"})
        assert answer["error"]["code"] == -32001, (method, answer)


def test_push_notification_config_is_refused_as_unsupported(url: str) -> None:
    card = httpx.get(f"{url}/.well-known/agent-card.json", timeout=10, trust_env=False).json()
    assert not card["capabilities"].get("pushNotifications")
    params = {
        "taskId": "any-task",
        "pushNotificationConfig": {"url": "https://example.com/webhook", "token": "t"},
    }
    answer = call(url, "tasks/pushNotificationConfig/set", params)
    assert answer["error"]["code"] == -32003, answer
    assert "not supported" in answer["error"]["message"].lower()
