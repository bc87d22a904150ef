"""The A2A server as AgentCore and the master see it: `/ping` says HealthyBusy while a request is
in flight and Healthy after, and a real scanner served the way `agents.serve` serves it (its
synchronous scan on a thread per request) answers concurrent requests side by side."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from agents.serve import build_app_for
from lambda_adapter.server import ThreadedServer
from shared.a2a import A2AClient, HttpTransport
from shared.config import load_config
from shared.contracts import AgentResult, AgentStatus
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.anyio

DELAY = 0.3  # every answer of the stub Prometheus takes this long


async def ping(http: httpx.AsyncClient, base: str) -> str:
    return str((await http.get(f"{base}/ping")).json()["status"])


async def wait_for_ping(http: httpx.AsyncClient, base: str, status: str, bound: float = 5.0) -> None:
    deadline = time.monotonic() + bound
    while (seen := await ping(http, base)) != status:
        assert time.monotonic() < deadline, f"/ping still says {seen}, expected {status}"
        await asyncio.sleep(0.02)


async def test_ping_is_busy_while_a_request_is_in_flight_and_healthy_after() -> None:
    with serve_scripted({"a": Script(latency=1.0)}) as client:
        base = client.transports["a"].base_url  # type: ignore[attr-defined]
        async with httpx.AsyncClient() as http:
            assert await ping(http, base) == "Healthy"
            request = asyncio.create_task(
                client.send("a", {"alert": alert().model_dump(mode="json")}, timeout=5)
            )
            await wait_for_ping(http, base, "HealthyBusy")
            answer = await request
            assert answer["result"]["status"] == "ok"
            await wait_for_ping(http, base, "Healthy")


class StubPrometheus:
    """A Prometheus HTTP API that knows no series and answers every call after `DELAY`; it counts
    the calls in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.calls = 0
        lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                with lock:
                    stub.calls += 1
                    stub.in_flight += 1
                    stub.most = max(stub.most, stub.in_flight)
                try:
                    time.sleep(DELAY)
                    path = self.path.split("?")[0]
                    if path.endswith("/rules"):
                        data: Any = {"groups": []}
                    elif path.endswith(("/query", "/query_range")):
                        data = {"resultType": "matrix" if "range" in path else "vector", "result": []}
                    else:
                        data = []
                    body = json.dumps({"status": "success", "data": data}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with lock:
                        stub.in_flight -= 1

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def prometheus() -> Iterator[StubPrometheus]:
    stub = StubPrometheus()
    thread = threading.Thread(target=stub.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()
        thread.join(timeout=5)


async def test_a_real_scanner_served_by_agents_serve_answers_concurrent_requests_side_by_side(
    prometheus: StubPrometheus, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config()
    monkeypatch.setenv(config.sources.prometheus.url_env, prometheus.url)
    server = ThreadedServer(build_app_for(config, "prometheus")).start()
    try:
        client = A2AClient({"prometheus": HttpTransport(server.url)})
        payload = {"alert": alert().model_dump(mode="json"), "budget_seconds": 20}

        started = time.monotonic()
        one = AgentResult.model_validate((await client.send("prometheus", payload, timeout=30))["result"])
        alone = time.monotonic() - started
        calls_per_scan = prometheus.calls
        assert one.status in (AgentStatus.OK, AgentStatus.NO_DATA), one.errors
        assert calls_per_scan >= 1  # the scan really went to its source

        async with httpx.AsyncClient() as http:
            started = time.monotonic()
            sends = [asyncio.create_task(client.send("prometheus", payload, timeout=30)) for _ in range(3)]
            await wait_for_ping(http, server.url, "HealthyBusy")
            answers = await asyncio.gather(*sends)
            together = time.monotonic() - started
            await wait_for_ping(http, server.url, "Healthy")

        results = [AgentResult.model_validate(a["result"]) for a in answers]
        assert all(r.status is one.status and r.errors == one.errors for r in results)
        assert prometheus.calls == 4 * calls_per_scan
        # Three scans at once take about as long as one: nothing serialises them.
        assert together < 2 * alone, (together, alone)
        assert prometheus.most >= 3
    finally:
        server.stop()
