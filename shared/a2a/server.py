"""Serve one agent as an A2A server (a2a-sdk 0.3, protocol 0.3.0).

Card at `/.well-known/agent-card.json`, JSON-RPC (`message/send`, `message/stream`, `tasks/*`) at
`/`, and `/ping` as AgentCore requires. The request's DataPart goes to `handle`; what it returns
comes back as a DataPart artifact. Each request runs on its own: nothing is shared between them.

A message with only text (what any A2A client sends first, and the a2a-tck's mandatory test) is
turned into a request by `from_text` when the agent gives one; a message with neither a DataPart
nor usable text is answered with A2A's ContentTypeNotSupportedError (-32005), not a failed task.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.apps import A2AStarletteApplication
from a2a.server.context import ServerCallContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler, JSONRPCHandler
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentSkill,
    ContentTypeNotSupportedError,
    DataPart,
    FilePart,
    JSONRPCErrorResponse,
    Message,
    MessageSendParams,
    Part,
    PushNotificationNotSupportedError,
    SetTaskPushNotificationConfigRequest,
    SetTaskPushNotificationConfigResponse,
    Task,
    TextPart,
)
from a2a.utils.errors import ServerError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.errors import BadRequest, SreOnCallError

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
# A plain text message to the request `handle` takes (the master: an alert context from the text).
TextRequest = Callable[[str], dict[str, Any]]
RESULT_ARTIFACT = "result"


@dataclass(frozen=True)
class AgentCardSpec:
    """Our own description of an agent; turned into an A2A `AgentCard` here only."""

    name: str
    description: str
    url: str
    skills: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, description)
    version: str = "0.1.0"
    accepts_text: bool = False

    def to_card(self) -> AgentCard:
        return AgentCard(
            name=self.name,
            description=self.description,
            url=self.url,
            version=self.version,
            protocol_version="0.3.0",
            preferred_transport="JSONRPC",
            capabilities=AgentCapabilities(streaming=True),
            default_input_modes=["application/json", "text/plain"]
            if self.accepts_text
            else ["application/json"],
            default_output_modes=["application/json"],
            skills=[
                AgentSkill(id=skill_id, name=name, description=description, tags=[self.name])
                for skill_id, name, description in self.skills
            ],
        )


class _Busy:
    """Counts requests in flight, for `/ping`'s Healthy / HealthyBusy."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.changed_at = time.time()

    def enter(self) -> None:
        self.in_flight += 1
        self.changed_at = time.time()

    def leave(self) -> None:
        self.in_flight -= 1
        self.changed_at = time.time()


def message_text(message: Message | None) -> str:
    """The text parts of a message, joined."""
    texts = [p.root.text for p in (message.parts if message else []) if isinstance(p.root, TextPart)]
    return "\n".join(t for t in texts if t and t.strip()).strip()


def request_data(context: RequestContext, from_text: TextRequest | None = None) -> dict[str, Any]:
    """The DataPart of the incoming message, else the request its text stands for."""
    message = context.message
    for part in message.parts if message else []:
        if isinstance(part.root, DataPart):
            return part.root.data
    text = message_text(message)
    if text and from_text is not None:
        return from_text(text)
    raise BadRequest("the message carries no DataPart (send the payload as {'kind': 'data', 'data': {...}})")


def _check_parts(message: Message, accepts_text: bool) -> None:
    """Refuse, before any task exists, a message this agent cannot read, or with parts (files) it
    would silently drop."""
    wanted = "a DataPart or a text part" if accepts_text else "a DataPart"
    if any(isinstance(p.root, FilePart) for p in message.parts):
        raise ServerError(
            error=ContentTypeNotSupportedError(
                message=f"Incompatible content types: files are not read, send {wanted}"
            )
        )
    if any(isinstance(p.root, DataPart) for p in message.parts):
        return
    if accepts_text and message_text(message):
        return
    raise ServerError(
        error=ContentTypeNotSupportedError(message=f"Incompatible content types: send {wanted}")
    )


class _Handler(DefaultRequestHandler):
    """The SDK's handler, refusing unreadable content with the A2A error instead of a failed task."""

    def __init__(self, *args: Any, accepts_text: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accepts_text = accepts_text

    async def on_message_send(
        self, params: MessageSendParams, context: ServerCallContext | None = None
    ) -> Message | Task:
        _check_parts(params.message, self.accepts_text)
        return await super().on_message_send(params, context)

    async def on_message_send_stream(
        self, params: MessageSendParams, context: ServerCallContext | None = None
    ) -> AsyncGenerator[Any, None]:
        _check_parts(params.message, self.accepts_text)
        async for event in super().on_message_send_stream(params, context):
            yield event


class _JsonRpc(JSONRPCHandler):
    """The SDK's JSON-RPC handler, answering a push notification config for an agent without
    push notifications with A2A's PushNotificationNotSupportedError (-32003): the SDK's own check
    raises outside its error handling and the client gets an internal error (-32603)."""

    async def set_push_notification_config(
        self, request: SetTaskPushNotificationConfigRequest, context: ServerCallContext | None = None
    ) -> SetTaskPushNotificationConfigResponse:
        if not self.agent_card.capabilities.push_notifications:
            refused = JSONRPCErrorResponse(id=request.id, error=PushNotificationNotSupportedError())
            return SetTaskPushNotificationConfigResponse(root=refused)
        return await super().set_push_notification_config(request, context)


class DataPartExecutor(AgentExecutor):
    def __init__(self, handle: Handler, busy: _Busy, from_text: TextRequest | None = None) -> None:
        self.handle = handle
        self.busy = busy
        self.from_text = from_text

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.submit()
        self.busy.enter()
        try:
            await updater.start_work()
            data = request_data(context, self.from_text)
            result = await self.handle(data)
        except SreOnCallError as e:
            await updater.failed(updater.new_agent_message([Part(root=TextPart(text=str(e)))]))
            return
        except Exception as e:  # reported as a failed task, never as a 500
            logger.exception("a2a handler failed")
            text = f"{type(e).__name__}: {e}"
            await updater.failed(updater.new_agent_message([Part(root=TextPart(text=text))]))
            return
        finally:
            self.busy.leave()
        await updater.add_artifact([Part(root=DataPart(data=result))], name=RESULT_ARTIFACT, last_chunk=True)
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.cancel()


def build_agent_app(card: AgentCardSpec, handle: Handler, from_text: TextRequest | None = None) -> Starlette:
    """The agent's A2A app; with `from_text`, a plain text message is a request too."""
    busy = _Busy()
    if from_text is not None and not card.accepts_text:
        card = AgentCardSpec(**{**card.__dict__, "accepts_text": True})
    request_handler = _Handler(
        agent_executor=DataPartExecutor(handle, busy, from_text),
        task_store=InMemoryTaskStore(),
        accepts_text=from_text is not None,
    )
    agent_card = card.to_card()
    application = A2AStarletteApplication(agent_card=agent_card, http_handler=request_handler)
    application.handler = _JsonRpc(agent_card=agent_card, request_handler=request_handler)
    app = application.build()

    async def ping(_: Request) -> JSONResponse:
        status = "HealthyBusy" if busy.in_flight else "Healthy"
        return JSONResponse({"status": status, "time_of_last_update": int(busy.changed_at)})

    app.router.routes.append(Route("/ping", ping, methods=["GET"]))
    return app
