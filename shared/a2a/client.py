"""The one A2A client, for every caller (the intake to the master, the master to the scanners), two
transports: local HTTP, and AgentCore's `invoke_agent_runtime`.

The same JSON-RPC 2.0 `message/send` envelope (A2A protocol 0.3) travels either way; the payload is
a DataPart and the answer's DataPart artifact is what `send` returns. The envelope is plain data, so
the intake's cold start never loads the a2a SDK (`shared.a2a.server` is the one module that does;
tests check the envelope against the SDK's own models). One rule routes (`transport_for`) and one
names sessions (`session_id`) for every caller.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from shared.config import AppConfig
from shared.errors import ConfigError, TransportError

ENV_AGENT_URLS = "SRE_AGENT_URLS"  # JSON {"agent_id": "http://host:port"}: overrides config ports
_ENDED_BADLY = ("failed", "rejected", "canceled")
_STILL_RUNNING = ("submitted", "working")


def envelope(data: dict[str, Any], *, blocking: bool = True) -> dict[str, Any]:
    """The JSON-RPC request carrying `data` as a DataPart."""
    return {
        "jsonrpc": "2.0",
        "id": str(uuid.uuid4()),
        "method": "message/send",
        "params": {
            "message": {
                "kind": "message",
                "role": "user",
                "messageId": str(uuid.uuid4()),
                "parts": [{"kind": "data", "data": data}],
            },
            "configuration": {"blocking": blocking, "acceptedOutputModes": ["application/json"]},
        },
    }


def parse_response(body: Any) -> dict[str, Any]:
    """The artifact DataPart of a completed task; `{}` for a task accepted without waiting."""
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or ("result" in body) == ("error" in body):
        raise TransportError("not a JSON-RPC message/send response")
    error = body.get("error")
    if error is not None:
        error = error if isinstance(error, dict) else {}
        raise TransportError(f"JSON-RPC error {error.get('code')}: {error.get('message') or 'no message'}")
    task = body["result"]
    if not isinstance(task, dict) or task.get("kind") != "task":
        raise TransportError("the agent answered with a message, not a task")
    status: dict[str, Any] = task["status"] if isinstance(task.get("status"), dict) else {}
    state = str(status.get("state") or "unknown")
    if state in _ENDED_BADLY:
        raise TransportError(f"task {state}: {_status_text(status) or 'no reason given'}")
    for artifact in task.get("artifacts") or []:
        for part in (artifact or {}).get("parts") or []:
            if isinstance(part, dict) and part.get("kind") == "data" and isinstance(part.get("data"), dict):
                return part["data"]  # type: ignore[no-any-return]
    if state in _STILL_RUNNING:
        return {}
    raise TransportError(f"task {state} without a DataPart artifact")


def _status_text(status: dict[str, Any]) -> str:
    message: dict[str, Any] = status["message"] if isinstance(status.get("message"), dict) else {}
    parts = message.get("parts") or []
    return " ".join(str(p.get("text")) for p in parts if isinstance(p, dict) and p.get("kind") == "text")


def session_id(investigation_id: str, agent_id: str) -> str:
    """One session per investigation and agent. AgentCore wants 33-256 characters; the investigation
    id stays readable in it (logs, traces) and a digest keeps it unique and long enough."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", f"{investigation_id}-{agent_id}")[:180]
    digest = hashlib.sha256(f"{investigation_id}/{agent_id}".encode()).hexdigest()[:32]
    return f"{readable}-{digest}"


class Transport(Protocol):
    async def post(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        """Send the JSON-RPC body; return the decoded JSON answer."""
        ...

    def post_sync(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        """The same, for synchronous callers (the intake's hand-off)."""
        ...


# How long an idle connection is kept for reuse: well below the servers' keep-alive (uvicorn's
# default, 5 s, which agents.serve keeps). At equal times the server closes a connection just as
# the client sends on it, and the request fails with ReadError ("the agent is unreachable").
KEEPALIVE_EXPIRY_S = 2.0


class HttpTransport:
    """JSON-RPC over HTTP. Connections are kept per event loop: a fan-out reuses them; one idle
    for `KEEPALIVE_EXPIRY_S` is closed by us, never reused as the server closes it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._clients: dict[int, httpx.AsyncClient] = {}

    def _client(self) -> httpx.AsyncClient:
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            limits = httpx.Limits(max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY_S)
            client = httpx.AsyncClient(trust_env=False, limits=limits)
            self._clients = {loop: client}  # an old loop's client is dropped with its loop
        return client

    async def post(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        try:
            answer = await self._client().post(f"{self.base_url}/", json=body, timeout=timeout)
        except httpx.HTTPError as e:
            raise TransportError(f"{self.base_url} is unreachable: {type(e).__name__}: {e}") from e
        return self._decoded(answer)

    def post_sync(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        try:
            answer = httpx.post(f"{self.base_url}/", json=body, timeout=timeout, trust_env=False)
        except httpx.HTTPError as e:
            raise TransportError(f"{self.base_url} is unreachable: {type(e).__name__}: {e}") from e
        return self._decoded(answer)

    def _decoded(self, answer: httpx.Response) -> Any:
        if answer.status_code != 200:
            raise TransportError(f"{self.base_url}: HTTP {answer.status_code}")
        try:
            return answer.json()
        except ValueError as e:
            raise TransportError(f"{self.base_url}: answer is not JSON") from e


ClientFactory = Callable[..., Any]  # (region_name=..., endpoint_url=..., config=...) -> a boto3 client


class AgentCoreTransport:
    def __init__(
        self,
        runtime_arn: str,
        region: str,
        endpoint_url: str | None = None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.runtime_arn = runtime_arn
        self.region = region
        self.endpoint_url = endpoint_url
        self.client_factory = client_factory

    async def post(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        return await asyncio.wait_for(asyncio.to_thread(self._invoke, body, session, timeout), timeout)

    def post_sync(self, body: dict[str, Any], *, timeout: float, session: str) -> Any:
        return self._invoke(body, session, timeout)

    def _invoke(self, body: dict[str, Any], session: str, timeout: float) -> Any:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        factory = self.client_factory or (lambda **kwargs: boto3.client("bedrock-agentcore", **kwargs))
        client = factory(
            region_name=self.region,
            **({"endpoint_url": self.endpoint_url} if self.endpoint_url else {}),
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
        transport = self._transport(agent_id)
        session = session_id(investigation_id or str(uuid.uuid4()), agent_id)
        body = await transport.post(envelope(data, blocking=blocking), timeout=timeout, session=session)
        return parse_response(body)

    def send_sync(
        self,
        agent_id: str,
        data: dict[str, Any],
        *,
        timeout: float,
        investigation_id: str = "",
        blocking: bool = True,
    ) -> dict[str, Any]:
        """`send` for synchronous callers, with the same envelope, session and routing."""
        transport = self._transport(agent_id)
        session = session_id(investigation_id or str(uuid.uuid4()), agent_id)
        body = transport.post_sync(envelope(data, blocking=blocking), timeout=timeout, session=session)
        return parse_response(body)

    def _transport(self, agent_id: str) -> Transport:
        transport = self.transports.get(agent_id)
        if transport is None:
            raise TransportError(f"no transport for agent {agent_id!r}")
        return transport


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


def transport_for(
    config: AppConfig,
    agent_id: str,
    env: Mapping[str, str] = os.environ,
    client_factory: ClientFactory | None = None,
) -> Transport:
    """`$SRE_AGENT_URLS`'s URL for the agent, else AgentCore when the env var its
    `runtime_arn_env` names holds a runtime ARN, else `http://127.0.0.1:<port>` from config."""
    overrides = agent_urls(env)
    if agent_id in overrides:
        return HttpTransport(overrides[agent_id])
    variable = config.agents[agent_id].runtime_arn_env
    arn = (env.get(variable) or "").strip()
    if arn:
        return AgentCoreTransport(
            arn, runtime_region(arn, variable), env.get("SRE_AGENTCORE_ENDPOINT_URL") or None, client_factory
        )
    return HttpTransport(f"http://127.0.0.1:{config.agents[agent_id].port}")


def client_from_config(
    config: AppConfig, env: Mapping[str, str] = os.environ, client_factory: ClientFactory | None = None
) -> A2AClient:
    """Per agent: `$SRE_AGENT_URLS` override, else AgentCore when its runtime ARN env var is set,
    else `http://127.0.0.1:<port>` from config.yaml."""
    return A2AClient(
        {agent_id: transport_for(config, agent_id, env, client_factory) for agent_id in config.agents}
    )
