"""The Lambda copy's hand-off to the master agent: one A2A `message/send` carrying the
`AlertContext` as a DataPart (`{"alert": ...}`), non-blocking so the master answers as soon as
the task is accepted and investigates on its own time.

Transports: AgentCore (`bedrock-agentcore.invoke_agent_runtime` with the master's runtime ARN,
from the env var config names) when that ARN is set, else the master's local A2A port. The
JSON-RPC envelope is built as plain data: the a2a SDK stays out of the intake.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from lambda_adapter.dispatch import Dispatcher, HandOffError
from shared.contracts import AlertContext

logger = logging.getLogger(__name__)

Send = Callable[[bytes, str], bytes]  # (JSON-RPC request, session id) -> JSON-RPC response


def envelope(ctx: AlertContext, *, blocking: bool = False) -> bytes:
    """The JSON-RPC 2.0 `message/send` request (A2A protocol 0.3) for one investigation; blocking,
    the answer is the completed task with the report."""
    request = {
        "jsonrpc": "2.0",
        "id": f"intake-{ctx.investigation_id}",
        "method": "message/send",
        "params": {
            "message": {
                "kind": "message",
                "role": "user",
                "messageId": str(uuid.uuid4()),
                "parts": [{"kind": "data", "data": {"alert": ctx.model_dump(mode="json")}}],
            },
            "configuration": {"blocking": blocking},
        },
    }
    return json.dumps(request).encode("utf-8")


def session_id(ctx: AlertContext) -> str:
    """AgentCore wants 33 to 256 characters, one session per investigation."""
    return f"{ctx.investigation_id}-master".ljust(33, "0")[:256]


class MasterDispatcher:
    """`send` hands off without waiting; `wait_send` (when given) waits for the report."""

    def __init__(self, send: Send, wait_send: Send | None = None) -> None:
        self._send = send
        self._wait_send = wait_send

    def dispatch(self, ctx: AlertContext) -> None:
        _result(self._send(envelope(ctx), session_id(ctx)))
        logger.info("investigation=<%s> | handed to the master", ctx.investigation_id)

    def report(self, ctx: AlertContext, *, timeout_s: float) -> str:
        """Blocking `message/send`: the completed task's report text (its `posted_text`)."""
        if self._wait_send is None:
            raise HandOffError("this dispatcher cannot wait for a report")
        result = _result(self._wait_send(envelope(ctx, blocking=True), session_id(ctx)))
        for artifact in result.get("artifacts") or []:
            for part in artifact.get("parts") or []:
                report = (part.get("data") or {}).get("report") if part.get("kind") == "data" else None
                if isinstance(report, dict) and report.get("posted_text"):
                    return str(report["posted_text"])
        state = (result.get("status") or {}).get("state")
        raise HandOffError(f"the master's task ended {state or 'without a state'} and no report")


def _result(raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw)
    except ValueError as e:
        raise HandOffError("the master answered something that is not JSON") from e
    error = answer.get("error") if isinstance(answer, dict) else None
    if error is not None or not isinstance(answer, dict) or not isinstance(answer.get("result"), dict):
        message = error.get("message") if isinstance(error, dict) else "no result"
        raise HandOffError(f"the master refused the investigation: {message}")
    return answer["result"]  # type: ignore[no-any-return]


def agentcore_send(runtime_arn: str, client: Any) -> Send:
    def send(body: bytes, session: str) -> bytes:
        response = client.invoke_agent_runtime(
            agentRuntimeArn=runtime_arn,
            runtimeSessionId=session,
            payload=body,
            contentType="application/json",
            accept="application/json",
        )
        return bytes(response["response"].read())

    return send


def http_send(url: str, *, timeout: float = 10.0) -> Send:
    def send(body: bytes, _session: str) -> bytes:
        import httpx

        try:
            response = httpx.post(
                url,
                content=body,
                headers={"content-type": "application/json"},
                timeout=timeout,
                trust_env=False,
            )
        except httpx.HTTPError as e:
            raise HandOffError(f"the master at {url} is unreachable: {type(e).__name__}") from e
        if response.status_code >= 300:
            raise HandOffError(f"the master answered HTTP {response.status_code}")
        return response.content

    return send


def a2a_dispatcher(
    config: Any, environ: Mapping[str, str] | None = None, client_factory: Callable[..., Any] | None = None
) -> Dispatcher:
    """The dispatcher to the configured master: AgentCore when its runtime ARN is in the
    environment, else its local A2A port on 127.0.0.1."""
    env = os.environ if environ is None else environ
    master = config.agents[config.master_id]
    wait_s = config.defaults.snapshot_deadline_seconds + 30
    arn = env.get(master.runtime_arn_env)
    if arn:
        if client_factory is None:
            import boto3
            from botocore.config import Config

            def client_factory(**kwargs: Any) -> Any:
                # Long enough for a snapshot's blocking call; a hand-off answers in milliseconds.
                return boto3.client(
                    "bedrock-agentcore",
                    config=Config(read_timeout=wait_s, retries={"max_attempts": 2}),
                    **kwargs,
                )

        region = env.get("AWS_REGION") or config.sources.aws.region
        send = agentcore_send(arn, client_factory(region_name=region))
        return MasterDispatcher(send, wait_send=send)
    # The sandbox runs agents on free ports and says where in $SRE_AGENT_URLS (shared.a2a reads it too).
    overrides = json.loads(env.get("SRE_AGENT_URLS") or "{}")
    url = f"{(overrides.get(config.master_id) or f'http://127.0.0.1:{master.port}').rstrip('/')}/"
    return MasterDispatcher(http_send(url), wait_send=http_send(url, timeout=wait_s))
