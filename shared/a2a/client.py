"""One A2A client, two transports: local HTTP, and AgentCore's `invoke_agent_runtime`.

The same JSON-RPC `message/send` envelope travels either way; the payload is a DataPart and the
answer's DataPart artifact is what `send` returns.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from a2a.types import (
    DataPart,
    JSONRPCErrorResponse,
    Message,
    MessageSendConfiguration,
    MessageSendParams,
    Part,
    Role,
    SendMessageRequest,
    SendMessageResponse,
    Task,
    TaskState,
    TextPart,
)

from shared.config import AppConfig
from shared.errors import ConfigError, TransportError

ENV_AGENT_URLS = "SRE_AGENT_URLS"  # JSON {"agent_id": "http://host:port"}: overrides config ports


def envelope(data: dict[str, Any], *, blocking: bool = True) -> dict[str, Any]:
    """The JSON-RPC request carrying `data` as a DataPart."""
    request = SendMessageRequest(
        id=str(uuid.uuid4()),
        params=MessageSendParams(
            message=Message(
                message_id=str(uuid.uuid4()), role=Role.user, parts=[Part(root=DataPart(data=data))]
            ),
            configuration=MessageSendConfiguration(
                blocking=blocking, accepted_output_modes=["application/json"]
            ),
        ),
    )
    return request.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse_response(body: Any) -> dict[str, Any]:
    """The artifact DataPart of a completed task; `{}` for a task accepted without waiting."""
    try:
        response = SendMessageResponse.model_validate(body)
    except Exception as e:
        raise TransportError(f"not a JSON-RPC message/send response: {e}") from e
    root = response.root
    if isinstance(root, JSONRPCErrorResponse):
        raise TransportError(f"JSON-RPC error {root.error.code}: {root.error.message}")
    result = root.result
    if not isinstance(result, Task):
        raise TransportError("the agent answered with a message, not a task")
    state = result.status.state
    if state in (TaskState.failed, TaskState.rejected, TaskState.canceled):
        raise TransportError(f"task {state.value}: {_status_text(result) or 'no reason given'}")
    for artifact in result.artifacts or []:
        for part in artifact.parts:
            if isinstance(part.root, DataPart):
                return part.root.data
    if state in (TaskState.submitted, TaskState.working):
        return {}
    raise TransportError(f"task {state.value} without a DataPart artifact")


def _status_text(task: Task) -> str:
    message = task.status.message
    parts = message.parts if message else []
    return " ".join(p.root.text for p in parts if isinstance(p.root, TextPart))


def session_id(investigation_id: str, agent_id: str) -> str:
    """AgentCore wants 33-256 characters, one session per investigation and agent."""
    digest = hashlib.sha256(f"{investigation_id}/{agent_id}".encode()).hexdigest()
    return f"sre-{agent_id}-{digest}"[:100]


class Transport(Protocol):
    async def post(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        """Send the JSON-RPC body; return the decoded JSON answer."""
        ...


class HttpTransport:
    """JSON-RPC over HTTP. Connections are kept per event loop: a fan-out reuses them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._clients: dict[int, httpx.AsyncClient] = {}

    def _client(self) -> httpx.AsyncClient:
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_keepalive_connections=20))
            self._clients = {loop: client}  # an old loop's client is dropped with its loop
        return client

    async def post(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        try:
            answer = await self._client().post(f"{self.base_url}/", json=body, timeout=timeout)
        except httpx.HTTPError as e:
            raise TransportError(f"{self.base_url}: {type(e).__name__}: {e}") from e
        if answer.status_code != 200:
            raise TransportError(f"{self.base_url}: HTTP {answer.status_code}")
        try:
            return answer.json()
        except ValueError as e:
            raise TransportError(f"{self.base_url}: answer is not JSON") from e


class AgentCoreTransport:
    def __init__(self, runtime_arn: str, region: str, endpoint_url: str | None = None) -> None:
        self.runtime_arn = runtime_arn
        self.region = region
        self.endpoint_url = endpoint_url

    async def post(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        return await asyncio.wait_for(asyncio.to_thread(self._invoke, body, session, timeout), timeout)

    def _invoke(self, body: dict[str, Any], session: str, timeout: float) -> Any:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.client(
            "bedrock-agentcore",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=Config(read_timeout=max(1, int(timeout)), retries={"max_attempts": 2}),
        )
        try:
            answer = client.invoke_agent_runtime(
                agentRuntimeArn=self.runtime_arn,
                runtimeSessionId=session,
                payload=json.dumps(body).encode(),
                contentType="application/json",
                accept="application/json",
            )
            raw = answer["response"].read()
        except (BotoCoreError, ClientError) as e:
            raise TransportError(f"invoke_agent_runtime {self.runtime_arn}: {e}") from e
        try:
            return json.loads(raw)
        except ValueError as e:
            raise TransportError(f"invoke_agent_runtime {self.runtime_arn}: answer is not JSON") from e


class A2AClient:
    def __init__(self, transports: Mapping[str, Transport]) -> None:
        self.transports = dict(transports)

    async def send(
        self,
        agent_id: str,
        data: dict[str, Any],
        *,
        timeout: float,
        investigation_id: str = "",
        blocking: bool = True,
    ) -> dict[str, Any]:
        transport = self.transports.get(agent_id)
        if transport is None:
            raise TransportError(f"no transport for agent {agent_id!r}")
        session = session_id(investigation_id or str(uuid.uuid4()), agent_id)
        body = await transport.post(envelope(data, blocking=blocking), timeout=timeout, session=session)
        return parse_response(body)


RUNTIME_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock-agentcore:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:runtime/[A-Za-z][A-Za-z0-9_-]*$"
)


def runtime_region(arn: str, variable: str) -> str:
    """The region of an AgentCore runtime ARN; a `ConfigError` naming `variable` when it is not one."""
    match = RUNTIME_ARN.fullmatch(arn.strip())
    if match is None:
        raise ConfigError(
            f"{variable}: {arn[:200]!r} is not an AgentCore runtime ARN "
            "(arn:aws:bedrock-agentcore:<region>:<account>:runtime/<runtime id>)"
        )
    return match.group("region")


def agent_urls(env: Mapping[str, str]) -> dict[str, str]:
    """`$SRE_AGENT_URLS`: a JSON object of agent id to base URL; a `ConfigError` when it is not."""
    raw = env.get(ENV_AGENT_URLS) or "{}"
    try:
        urls = json.loads(raw)
    except ValueError as e:
        raise ConfigError(f"{ENV_AGENT_URLS} is not JSON: {e}") from e
    if not isinstance(urls, dict) or not all(isinstance(v, str) and v for v in urls.values()):
        raise ConfigError(
            f'{ENV_AGENT_URLS} must be a JSON object of agent id to URL ({{"eks": "http://..."}})'
        )
    return urls


def transport_for(config: AppConfig, agent_id: str, env: Mapping[str, str] = os.environ) -> Transport:
    """`$SRE_AGENT_URLS`'s URL for the agent, else AgentCore when the env var its
    `runtime_arn_env` names holds a runtime ARN, else `http://127.0.0.1:<port>` from config."""
    overrides = agent_urls(env)
    if agent_id in overrides:
        return HttpTransport(overrides[agent_id])
    variable = config.agents[agent_id].runtime_arn_env
    arn = (env.get(variable) or "").strip()
    if arn:
        return AgentCoreTransport(
            arn, runtime_region(arn, variable), env.get("SRE_AGENTCORE_ENDPOINT_URL") or None
        )
    return HttpTransport(f"http://127.0.0.1:{config.agents[agent_id].port}")


def client_from_config(config: AppConfig, env: Mapping[str, str] = os.environ) -> A2AClient:
    """Per agent: `$SRE_AGENT_URLS` override, else AgentCore when its runtime ARN env var is set,
    else `http://127.0.0.1:<port>` from config.yaml."""
    return A2AClient({agent_id: transport_for(config, agent_id, env) for agent_id in config.agents})
