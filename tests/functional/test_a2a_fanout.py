from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from agents.master.fanout import FanOut
from shared.a2a.client import envelope
from shared.contracts import AgentStatus
from shared.errors import TransportError
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.anyio


async def test_hung_scanner_is_timed_out_by_the_deadline_and_failure_shows_its_error() -> None:
    scripts = {
        "fast": Script(latency=0.05),
        "broken": Script(fail="kube API unreachable"),
        "hung": Script(hang=True),
    }
    with serve_scripted(scripts) as client:
        fanout = FanOut(client, alert(), dict.fromkeys(scripts, 30.0), deadline_s=1.5, cutoff_s=2.0)
        started = time.monotonic()
        results = await fanout.harvest()
        elapsed = time.monotonic() - started
        assert elapsed < 1.5 + 1.0
        assert results["fast"].status is AgentStatus.OK
        assert results["fast"].findings[0].title == "fast saw something"
        assert results["broken"].status is AgentStatus.ERROR
        assert "kube API unreachable" in results["broken"].errors[0]
        assert results["hung"].status is AgentStatus.TIMEOUT
        assert [r async for r in fanout.late_results()] == []  # cut off, then cancelled
        assert fanout.pending == []


async def test_a_late_result_is_yielded_after_the_deadline() -> None:
    with serve_scripted({"quick": Script(), "slow": Script(latency=1.2)}) as client:
        fanout = FanOut(client, alert(), {"quick": 10.0, "slow": 10.0}, deadline_s=0.5, cutoff_s=5.0)
        results = await fanout.harvest()
        assert results["slow"].status is AgentStatus.TIMEOUT
        late = [r async for r in fanout.late_results()]
        assert [r.agent for r in late] == ["slow"]
        assert late[0].status is AgentStatus.OK


async def test_card_ping_and_concurrent_requests_to_one_agent() -> None:
    with serve_scripted({"a": Script(latency=0.5)}) as client:
        base = client.transports["a"].base_url  # type: ignore[attr-defined]
        async with httpx.AsyncClient() as http:
            card = (await http.get(f"{base}/.well-known/agent-card.json")).json()
            assert card["name"] == "a" and card["protocolVersion"] == "0.3.0"
            assert (await http.get(f"{base}/ping")).json()["status"] == "Healthy"
        payload = {"alert": alert().model_dump(mode="json")}
        started = time.monotonic()
        answers = await asyncio.gather(*(client.send("a", payload, timeout=5) for _ in range(3)))
        assert time.monotonic() - started < 1.4  # three 0.5 s requests overlapped
        assert all(a["result"]["status"] == "ok" for a in answers)


async def test_streaming_and_protocol_errors() -> None:
    with serve_scripted({"a": Script()}) as client:
        base = client.transports["a"].base_url  # type: ignore[attr-defined]
        body = envelope({"alert": alert().model_dump(mode="json")})
        body["method"] = "message/stream"
        async with httpx.AsyncClient() as http:
            stream = await http.post(f"{base}/", json=body)
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert '"kind":"artifact-update"' in stream.text.replace(" ", "")
            unknown = (await http.post(f"{base}/", json={**body, "method": "nope/x"})).json()
            assert unknown["error"]["code"] == -32601
        with pytest.raises(TransportError, match=r"task failed: KeyError"):
            await client.send("a", {"not": "an alert"}, timeout=5)
        with pytest.raises(TransportError, match="no transport"):
            await client.send("missing", {}, timeout=1)


async def test_a_result_that_arrives_before_late_results_is_asked_for_is_still_yielded() -> None:
    # The report takes a while to write and post; `slow` answers meanwhile.
    with serve_scripted({"quick": Script(), "slow": Script(latency=0.8)}) as client:
        fanout = FanOut(client, alert(), {"quick": 10.0, "slow": 10.0}, deadline_s=0.4, cutoff_s=5.0)
        results = await fanout.harvest()
        assert results["slow"].status is AgentStatus.TIMEOUT
        await asyncio.sleep(1.0)  # stands for rendering and a slow post
        assert fanout.pending == []
        started = time.monotonic()
        late = [r async for r in fanout.late_results()]
        assert [(r.agent, r.status) for r in late] == [("slow", AgentStatus.OK)]
        assert time.monotonic() - started < 0.5  # at once, not at the cutoff


async def test_the_deadline_counts_from_the_investigation_start_not_the_harvest() -> None:
    with serve_scripted({"hung": Script(hang=True)}) as client:
        started = time.monotonic()
        fanout = FanOut(client, alert(), {"hung": 10.0}, deadline_s=1.0, cutoff_s=1.0, started=started)
        await asyncio.sleep(0.6)  # e.g. a slow chat API before the harvest is reached
        results = await fanout.harvest()
        assert time.monotonic() - started < 1.0 + 0.3
        assert results["hung"].status is AgentStatus.TIMEOUT
        await fanout.cancel()
