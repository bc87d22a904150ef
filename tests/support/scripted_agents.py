"""Scripted scanner agents served for real over loopback: known latency, failure, or silence."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from lambda_adapter.server import ThreadedServer
from shared.a2a import A2AClient, AgentCardSpec, HttpTransport, build_agent_app
from shared.alerts.context import build_alert_context
from shared.config import AppConfig, load_config
from shared.contracts import AgentResult, AgentStatus, AlertContext, Finding, Platform, Severity


@dataclass(frozen=True)
class Script:
    latency: float = 0.0
    fail: str | None = None  # raise this message
    hang: bool = False  # never answer (until the test ends)
    # More findings, with long titles (long reports: several chat messages).
    extra_findings: int = 0


def scripted_app(agent_id: str, script: Script, release: threading.Event):  # type: ignore[no-untyped-def]
    async def handle(data: dict) -> dict:  # type: ignore[type-arg]
        AlertContext.model_validate(data["alert"])
        if script.hang:
            while not release.is_set():
                await asyncio.sleep(0.05)
        await asyncio.sleep(script.latency)
        if script.fail:
            raise RuntimeError(script.fail)
        finding = Finding(
            id=f"{agent_id}:scripted",
            agent=agent_id,
            severity=Severity.WARNING,
            title=f"{agent_id} saw something",
        )
        extra = tuple(
            Finding(
                id=f"{agent_id}:scripted-{i}",
                agent=agent_id,
                severity=Severity.WARNING,
                title=f"{agent_id} saw more ({i}): " + "checkout pods restarting after the deploy " * 6,
            )
            for i in range(1, script.extra_findings + 1)
        )
        result = AgentResult(
            agent=agent_id,
            status=AgentStatus.OK,
            findings=(finding, *extra),
            duration_ms=int(script.latency * 1000),
        )
        return {"result": result.model_dump(mode="json")}

    card = AgentCardSpec(
        name=agent_id,
        description=f"scripted {agent_id}",
        url="http://127.0.0.1/",
        skills=[("scan", "scan", "scripted scan")],
    )
    return build_agent_app(card, handle)


@contextlib.contextmanager
def serve_scripted(scripts: dict[str, Script]) -> Iterator[A2AClient]:
    """Each script as a real uvicorn A2A server; yields a client wired to them."""
    release = threading.Event()
    servers: dict[str, ThreadedServer] = {}
    try:
        for agent_id, script in scripts.items():
            server = ThreadedServer(scripted_app(agent_id, script, release))
            server._server.config.timeout_graceful_shutdown = 1  # hung handlers must not block stop
            servers[agent_id] = server.start()
        yield A2AClient({agent_id: HttpTransport(s.url) for agent_id, s in servers.items()})
    finally:
        release.set()
        for server in servers.values():
            server.stop()


def alert() -> AlertContext:
    return build_alert_context(
        platform=Platform.SLACK,
        channel="C0ALERTS",
        text="[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p",
        received_at=datetime.now(UTC),
    )


def scripted_config(scripts: dict[str, Script], *, base_port: int, snapshot_deadline: float) -> AppConfig:
    """The project's config with `scripts` as its scanners (ports from `base_port`, no budgets);
    investigations keep a 60 s deadline, snapshots get `snapshot_deadline`."""
    base = load_config()
    agents = {k: v for k, v in base.agents.items() if v.role == "master"}
    scanner = next(v for v in base.agents.values() if v.role == "scanner")
    for offset, name in enumerate(scripts):
        agents[name] = scanner.model_copy(update={"port": base_port + offset, "budget_seconds": None})
    defaults = base.defaults.model_copy(
        update={"deadline_seconds": 60.0, "snapshot_deadline_seconds": snapshot_deadline}
    )
    return base.model_copy(update={"agents": agents, "defaults": defaults})
