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


def envelope(ctx: AlertContext) -> bytes:
    """The JSON-RPC 2.0 `message/send` request (A2A protocol 0.3) for one investigation."""
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
            "configuration": {"blocking": False},
        },
    }
    return json.dumps(request).encode("utf-8")


def session_id(ctx: AlertContext) -> str:
    """AgentCore wants 33 to 256 characters, one session per investigation."""
    return f"{ctx.investigation_id}-master".ljust(33, "0")[:256]


class MasterDispatcher:
    def __init__(self, send: Send) -> None:
        self._send = send

    def dispatch(self, ctx: AlertContext) -> None:
        raw = self._send(envelope(ctx), session_id(ctx))
        try:
            answer = json.loads(raw)
        except ValueError as e:
            raise HandOffError("the master answered something that is not JSON") from e
        error = answer.get("error") if isinstance(answer, dict) else None
        if error is not None or not isinstance(answer, dict) or "result" not in answer:
            message = error.get("message") if isinstance(error, dict) else "no result"
            raise HandOffError(f"the master refused the investigation: {message}")
        logger.info("investigation=<%s> | handed to the master", ctx.investigation_id)


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
    arn = env.get(master.runtime_arn_env)
    if arn:
        if client_factory is None:
            import boto3
            from botocore.config import Config

            def client_factory(**kwargs: Any) -> Any:
                return boto3.client(
                    "bedrock-agentcore", config=Config(read_timeout=30, retries={"max_attempts": 2}), **kwargs
                )

        region = env.get("AWS_REGION") or config.sources.aws.region
        return MasterDispatcher(agentcore_send(arn, client_factory(region_name=region)))
    # The sandbox runs agents on free ports and says where in $SRE_AGENT_URLS (shared.a2a reads it too).
    overrides = json.loads(env.get("SRE_AGENT_URLS") or "{}")
    url = overrides.get(config.master_id) or f"http://127.0.0.1:{master.port}"
    return MasterDispatcher(http_send(f"{url.rstrip('/')}/"))
