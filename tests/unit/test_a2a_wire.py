"""The one A2A client speaks the SDK's wire format without importing it, and names sessions one way."""

from __future__ import annotations

import subprocess
import sys

import pytest
from a2a.types import (
    Artifact,
    DataPart,
    Message,
    Part,
    Role,
    SendMessageRequest,
    SendMessageSuccessResponse,
    Task,
    TaskState,
    TaskStatus,
    TextPart,
)
from hypothesis import given
from hypothesis import strategies as st

from shared.a2a.client import envelope, parse_response, session_id
from shared.errors import TransportError


def test_the_envelope_is_a_valid_message_send_request_carrying_the_data() -> None:
    request = SendMessageRequest.model_validate(envelope({"alert": {"x": 1}}, blocking=False))
    assert request.method == "message/send"
    [part] = request.params.message.parts
    assert isinstance(part.root, DataPart) and part.root.data == {"alert": {"x": 1}}
    assert request.params.configuration is not None and request.params.configuration.blocking is False


def _answer(state: TaskState, *, data: dict[str, object] | None = None, why: str = "") -> object:
    status = TaskStatus(
        state=state,
        message=Message(message_id="m", role=Role.agent, parts=[Part(root=TextPart(text=why))])
        if why
        else None,
    )
    artifacts = [Artifact(artifact_id="a", parts=[Part(root=DataPart(data=data))])] if data else None
    task = Task(id="t", context_id="c", status=status, artifacts=artifacts)
    return SendMessageSuccessResponse(id="1", result=task).model_dump(mode="json", by_alias=True)


def test_a_completed_task_gives_its_data_and_an_accepted_one_nothing() -> None:
    assert parse_response(_answer(TaskState.completed, data={"report": {"ok": 1}})) == {"report": {"ok": 1}}
    assert parse_response(_answer(TaskState.submitted)) == {}


def test_a_failed_task_and_a_json_rpc_error_are_transport_errors_with_the_reason() -> None:
    with pytest.raises(TransportError, match="task failed: the scanner crashed"):
        parse_response(_answer(TaskState.failed, why="the scanner crashed"))
    with pytest.raises(TransportError, match="JSON-RPC error -32000: busy"):
        parse_response({"jsonrpc": "2.0", "id": "1", "error": {"code": -32000, "message": "busy"}})
    with pytest.raises(TransportError, match="not a JSON-RPC"):
        parse_response({"hello": "world"})


@given(st.text(min_size=8, max_size=128), st.sampled_from(["master", "eks", "prometheus_staging"]))
def test_session_ids_fit_agentcore_and_name_the_investigation(investigation: str, agent: str) -> None:
    session = session_id(investigation, agent)
    assert 33 <= len(session) <= 256
    assert session == session_id(investigation, agent)
    assert session != session_id(investigation, agent + "x")


def test_the_client_does_not_load_the_a2a_sdk() -> None:
    probe = "import sys, shared.a2a.client; print('a2a' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
