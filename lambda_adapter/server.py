"""The local HTTP edge: Starlette around the same core Lambda runs; jobs run as background tasks.

In the master's process (the investigation runs as a task on the server's loop):

    app = create_app(settings=IntakeSettings.from_config(cfg), dispatcher=LocalDispatcher(investigate),
                     chat_for=lambda name: platform_from_env(name, cfg))
    with ThreadedServer(app) as server: ...          # or uvicorn.run(app, host="127.0.0.1", port=8080)

As its own process, handing off to the master over A2A: `python -m lambda_adapter.server --port 8080`.
`app.state.intake` is the core, `app.state.jobs` the scheduler (`await app.state.jobs.drain()`
waits for the jobs in flight, which tests use instead of sleeping).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lambda_adapter.background import BackgroundJobs, LocalDispatcher
from lambda_adapter.classify import LlmClassifier
from lambda_adapter.core import Intake
from lambda_adapter.dedup import DedupStore, InMemoryDedupStore
from lambda_adapter.dispatch import Dispatcher
from lambda_adapter.followup import DiscordInteractionResponder, InteractionResponder
from lambda_adapter.settings import MAX_BODY_BYTES, IntakeSettings
from lambda_adapter.webhook import WebhookRequest
from lambda_adapter.worker import ChatFor, Worker
from shared.ledger import Ledger, NoLedger

logger = logging.getLogger(__name__)

# A webhook body is small and sent at once; one that takes longer than this is not a webhook.
BODY_TIMEOUT_S = 10.0
# Deliveries acknowledged at once (each waits on the dedup table for a few milliseconds).
ACK_THREADS = 32
SERVER_THREAD_NAME = "intake-server"  # the thread `ThreadedServer` serves in
ACK_THREAD_NAME = "intake-ack"  # the ack threads' name prefix (a bench tells their CPU apart by it)
# Idle keep-alive connections are closed after this many seconds.
KEEP_ALIVE_S = 5
# Request line and headers larger than this are refused by the HTTP parser.
MAX_HEADER_BYTES = 64 * 1024


def create_app(
    *,
    settings: IntakeSettings,
    dispatcher: Dispatcher,
    chat_for: ChatFor,
    dedup: DedupStore | None = None,
    responder: InteractionResponder | None = None,
    llm: LlmClassifier | None = None,
    clock: Callable[[], float] = time.time,
    ledger: Ledger | None = None,
    body_timeout: float = BODY_TIMEOUT_S,
) -> Starlette:
    """The intake as an ASGI app. A `LocalDispatcher` is bound to the server's loop at startup.
    With a `ledger` the master also writes to, hand-offs are watched and retried (`handoff.py`)."""
    store = dedup if dedup is not None else InMemoryDedupStore()
    ledger = ledger if ledger is not None else NoLedger()
    worker = Worker(
        settings=settings,
        dedup=store,
        dispatcher=dispatcher,
        chat_for=chat_for,
        responder=responder or DiscordInteractionResponder(settings.discord_api_base),
        llm=llm,
        clock=clock,
        ledger=ledger,
    )
    jobs = BackgroundJobs(worker)
    worker.bind_scheduler(jobs)
    # Acks wait on the dedup table: their own threads, so they never queue behind jobs (which use
    # the loop's default executor, a handful of threads on a small machine).
    acks = concurrent.futures.ThreadPoolExecutor(max_workers=ACK_THREADS, thread_name_prefix=ACK_THREAD_NAME)
    intake = Intake(
        settings=settings,
        dedup=store,
        scheduler=jobs,
        clock=clock,
        llm_enabled=llm is not None,
        ledger=ledger,
    )

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request, MAX_BODY_BYTES, body_timeout)
        except BodyTooLarge:
            return Response(f"the body is larger than {MAX_BODY_BYTES} bytes".encode(), status_code=413)
        except TimeoutError:
            return Response(b"the body did not arrive in time", status_code=408)
        webhook = WebhookRequest.build(
            request.method,
            request.url.path,
            body=body,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            query=dict(request.query_params),
        )
        answer = await asyncio.get_running_loop().run_in_executor(acks, intake.handle_webhook, webhook)
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        jobs.bind(loop)
        if isinstance(dispatcher, LocalDispatcher):
            dispatcher.bind(loop)
        try:
            yield
        finally:
            with contextlib.suppress(TimeoutError):
                await jobs.drain(timeout=5.0)
            acks.shutdown(wait=False)

    app = Starlette(
        routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])],
        lifespan=lifespan,
    )
    app.state.intake = intake
    app.state.jobs = jobs
    app.state.worker = worker
    return app


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The body, read as it arrives and never past `limit` bytes (a chunked body has no length to
    check first), within `timeout` seconds (a client that trickles it in is let go)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async with asyncio.timeout(timeout):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    return b"".join(chunks)


def app_from_env(
    config: Any,
    *,
    dispatcher: Dispatcher,
    chat_for: ChatFor | None = None,
    llm: LlmClassifier | None = None,
) -> Starlette:
    """The app as the sandbox runs it: settings and secrets from `config` and the environment,
    chat from `shared.chat.platform_from_env`, dedup in DynamoDB when `intake.dedup_table_env`
    names a table (with `AWS_ENDPOINT_URL`, e.g. the sandbox's moto), else in memory; the model
    tier from `intake.classifier_model` (none: heuristics only) unless `llm` is given."""
    import os

    from lambda_adapter.dedup import dynamo_store_from_env
    from lambda_adapter.model_tier import classifier_from_config

    settings = IntakeSettings.from_config(config)
    if chat_for is None:
        from shared.chat import platform_from_env

        def chat_for(name: str) -> Any:
            return platform_from_env(name, config)

    table = os.environ.get(config.intake.dedup_table_env)
    dedup: DedupStore | None = None
    ledger: Ledger | None = None
    if table:
        from shared.ledger import DynamoLedger

        endpoint = os.environ.get(config.sources.aws.endpoint_url_env) or None
        from lambda_adapter.dedup_fallback import FallbackDedupStore

        store = dynamo_store_from_env(table, config.sources.aws.region, endpoint)
        dedup, ledger = FallbackDedupStore(store), DynamoLedger(store.client, table)
    return create_app(
        ledger=ledger,
        settings=settings,
        dispatcher=dispatcher,
        chat_for=chat_for,
        dedup=dedup,
        llm=llm if llm is not None else classifier_from_config(config),
    )


class ThreadedServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port unless given) in a thread, for the
    sandbox, tests and the benchmark. `url` once started; `stop()` always stops it."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 10.0
    ) -> None:
        import uvicorn

        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                lifespan="on",
                timeout_keep_alive=KEEP_ALIVE_S,
                h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            )
        )
        self._thread: threading.Thread | None = None
        self._start_timeout = start_timeout
        self.url = ""

    def start(self) -> ThreadedServer:
        self._thread = threading.Thread(target=self._server.run, name=SERVER_THREAD_NAME, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the intake server did not start")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m lambda_adapter.server [--port 8080]`: the intake as its own process, handing
    investigations to the master over A2A (its local port, or AgentCore when its ARN is set)."""
    import argparse

    import uvicorn

    from lambda_adapter.master import a2a_dispatcher
    from shared.config import load_config
    from shared.logsetup import configure_logging

    parser = argparse.ArgumentParser(description="Serve the sre-on-call intake on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--config", default=None, help="config.yaml (default: $SRE_ON_CALL_CONFIG or the project's)"
    )
    args = parser.parse_args(argv)
    config = load_config(args.config)
    configure_logging(logging.INFO, config)
    app = app_from_env(config, dispatcher=a2a_dispatcher(config))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
