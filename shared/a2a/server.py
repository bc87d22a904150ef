"""Serve one agent as an A2A server (a2a-sdk 0.3, protocol 0.3.0).

Card at `/.well-known/agent-card.json`, JSON-RPC (`message/send`, `message/stream`, `tasks/*`) at
`/`, and `/ping` as AgentCore requires. The request's DataPart goes to `handle`; what it returns
comes back as a DataPart artifact. Each request runs on its own: nothing is shared between them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.apps import A2AStarletteApplication
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCapabilities, AgentCard, AgentSkill, DataPart, Part, TextPart
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.errors import BadRequest, SreOnCallError

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
RESULT_ARTIFACT = "result"


@dataclass(frozen=True)
class AgentCardSpec:
    """Our own description of an agent; turned into an A2A `AgentCard` here only."""

    name: str
    description: str
    url: str
    skills: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, description)
    version: str = "0.1.0"

    def to_card(self) -> AgentCard:
        return AgentCard(
            name=self.name,
            description=self.description,
            url=self.url,
            version=self.version,
            protocol_version="0.3.0",
            preferred_transport="JSONRPC",
            capabilities=AgentCapabilities(streaming=True),
            default_input_modes=["application/json"],
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


def request_data(context: RequestContext) -> dict[str, Any]:
    """The DataPart of the incoming message; a message without one is a bad request."""
    message = context.message
    for part in message.parts if message else []:
        if isinstance(part.root, DataPart):
            return part.root.data
    raise BadRequest("the message carries no DataPart (send the payload as {'kind': 'data', 'data': {...}})")


class DataPartExecutor(AgentExecutor):
    def __init__(self, handle: Handler, busy: _Busy) -> None:
        self.handle = handle
        self.busy = busy

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.submit()
        self.busy.enter()
        try:
            await updater.start_work()
            data = request_data(context)
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


def build_agent_app(card: AgentCardSpec, handle: Handler) -> Starlette:
    busy = _Busy()
    request_handler = DefaultRequestHandler(
        agent_executor=DataPartExecutor(handle, busy), task_store=InMemoryTaskStore()
    )
    app = A2AStarletteApplication(agent_card=card.to_card(), http_handler=request_handler).build()

    async def ping(_: Request) -> JSONResponse:
        status = "HealthyBusy" if busy.in_flight else "Healthy"
        return JSONResponse({"status": status, "time_of_last_update": int(busy.changed_at)})

    app.router.routes.append(Route("/ping", ping, methods=["GET"]))
    return app
