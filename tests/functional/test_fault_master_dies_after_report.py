"""Fault drill over loopback, end to end: a master that dies after the report, with a late update
and the graph of what moved (a picture past DynamoDB's 400 KB item limit) written but not posted.

The intake (uvicorn; dedup, ledger and outbox in DynamoDB on the moto server) hands a Slack mention
to a master served over A2A. The master posts the report at its deadline; Slack then answers 500 for
a while; the graph is drawn and a scanner answers late, both written to the outbox and retried; the
master is killed (its A2A server and its way to Slack cut) and a new one is started on its port.
The report is in the ledger as `reported`, but what follows it holds a lease of its own: once that
lapses, the intake's watch hands the investigation off again, quietly, and the new master posts the
late update and the graph from the outbox, once each, once Slack is back. Bounded: seconds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents.master.orchestrator import Investigator
from agents.master.outbox import DynamoOutbox, SqliteOutbox, followup_id
from lambda_adapter.dedup import DynamoDedupStore
from lambda_adapter.master import MasterDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.signing import TEST_SLACK_SECRET, slack_headers
from shared.a2a import A2AClient, HttpTransport
from shared.config import parse_config
from shared.ledger import REPORTED, DynamoLedger, InMemoryLedger
from tests.functional.test_fault_master_killed import LEASE, serve_master
from tests.functional.test_fault_report_outbox import (  # noqa: F401  (fixture)
    SlackStandIn,
    serve_stand_in,
    slack_api,
    slack_client,
)
from tests.functional.test_master_deadlines import config_with, in_thread
from tests.support.dynamo import dedup_table, dynamodb_client, moto_server
from tests.support.scripted_agents import Script, alert, serve_scripted

pytestmark = pytest.mark.functional
EVENTS = Path(__file__).resolve().parents[1] / "events"
THREAD = "1712345640.000200"  # the mention's ts (tests/events/slack_app_mention.json)
GRAPH = b"\x89PNG" + os.urandom(500 * 1024)  # does not compress: past the 400 KB item limit


def until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def kill(server: ThreadedServer) -> None:
    """Stop serving at once (in-flight work is dropped); return once its port is free."""
    server._server.should_exit = True
    port = int(server.url.rsplit(":", 1)[1])

    def closed() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) != 0

    assert until(closed, 10)


def test_a_master_killed_after_the_report_its_late_update_and_big_graph_are_posted_once_by_the_next(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = slack_api
    monkeypatch.setattr("agents.master.orchestrator.moved_metrics", lambda _r: True)
    monkeypatch.setattr("agents.master.orchestrator.graph_png", lambda _r, _q: (GRAPH, "errors; alert"))
    data = config_with(deadline=2.0, cutoff=14.0, scanners={"quick": None, "slow": 20.0}).model_dump(
        mode="json"
    )
    data["intake"]["handoff_lease_seconds"] = LEASE
    config = parse_config(data)
    fake.down_after_report = 6.0  # Slack fails everything for 6 s once it has taken the report
    scripts = {"quick": Script(latency=0.1), "slow": Script(latency=3.5)}
    # The first master reaches Slack through a server of its own: cut when it dies (a dead process
    # makes no more calls).
    doomed_slack = contextlib.ExitStack()
    doomed_url = doomed_slack.enter_context(serve_stand_in(fake))
    with moto_server() as dynamo_url, serve_scripted(scripts) as scanners, doomed_slack:
        table, client = dedup_table(dynamo_url), dynamodb_client(dynamo_url)
        ledger, outbox = DynamoLedger(client, table), DynamoOutbox(dynamodb_client(dynamo_url), table)

        def master(slack_url: str) -> Investigator:
            return Investigator(
                config=config,
                client=scanners,
                chat_for=lambda _n: slack_client(slack_url),
                ledger=DynamoLedger(dynamodb_client(dynamo_url), table),
                outbox=DynamoOutbox(dynamodb_client(dynamo_url), table),
                graph_query=lambda *_a: [],
            )

        first = serve_master(master(doomed_url))
        port = int(first.url.rsplit(":", 1)[1])
        settings = IntakeSettings(
            secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET),
            handoff_attempts=3,
            handoff_lease_seconds=LEASE,
        )
        app = create_app(
            settings=settings,
            dispatcher=MasterDispatcher(A2AClient({"master": HttpTransport(first.url)}), "master"),
            chat_for=lambda _n: slack_client(url),
            dedup=DynamoDedupStore(client, table),
            ledger=ledger,
        )
        second: ThreadedServer | None = None
        try:
            with ThreadedServer(app) as intake:
                body = (EVENTS / "slack_app_mention.json").read_bytes()
                answer = httpx.post(
                    f"{intake.url}/slack/events",
                    content=body,
                    headers=slack_headers(TEST_SLACK_SECRET, body, int(time.time())),
                )
                assert json.loads(answer.content)["outcome"] == "started"
                assert until(lambda: fake.reports(), 15)
                [inv] = [
                    item["pk"]["S"][4:]
                    for item in client.scan(TableName=table)["Items"]
                    if item["pk"]["S"].startswith("inv:")
                ]
                # The graph and the late update are written (Slack is down: neither is posted) ...
                names = (followup_id(inv, "graph"), followup_id(inv, "late-slow"))
                assert until(lambda: all(outbox.get(name) is not None for name in names), 15)
                assert not fake.uploads and not any("Late result" in t for t in fake.texts())
                kill(first)  # ... and the master dies with them
                doomed_slack.close()
                second = serve_master(master(url), port=port)

                def followed() -> bool:
                    entry = ledger.get(inv)
                    return entry is not None and entry.attempt == 2 and entry.followups_until == 0

                assert until(followed, 30)  # the next master posted everything that was left
        finally:
            first.stop()
            if second is not None:
                second.stop()
        graph = outbox.get(followup_id(inv, "graph"))
        entry = ledger.get(inv)

    [report] = fake.reports()
    [update] = [p for p in fake.posted if "Late result from slow" in p.text]
    [upload] = fake.uploads
    assert report.thread_ts == update.thread_ts == upload.thread_ts == THREAD
    assert upload.text == "What moved" and update.at >= fake.down_until and upload.at >= fake.down_until
    assert not any("retrying" in t or "Could not investigate" in t for t in fake.texts())  # quietly
    assert graph is not None and graph.parts[0].file is not None and graph.parts[0].file.data == GRAPH
    assert entry is not None and entry.state == REPORTED and entry.attempt == 2


def test_a_master_killed_while_drawing_the_graph_the_next_one_draws_and_posts_it_once(
    slack_api: tuple[SlackStandIn, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The report is posted; the master dies while it draws the graph (nothing written yet). The
    attempt the intake hands the investigation to finds the report posted and no graph: it draws
    the graph and posts it, once."""
    fake, url = slack_api
    drawing, released = threading.Event(), threading.Event()

    def graph_png(_report: Any, _query: Any) -> tuple[bytes, str]:
        if not drawing.is_set():
            drawing.set()
            released.wait(20)  # the first master dies meanwhile
        return GRAPH, "errors; alert"

    monkeypatch.setattr("agents.master.orchestrator.moved_metrics", lambda _r: True)
    monkeypatch.setattr("agents.master.orchestrator.graph_png", graph_png)
    config = config_with(deadline=0.5, cutoff=10.0, scanners={"quick": None})
    ledger, ctx = InMemoryLedger(), in_thread(alert())

    def master(clock: Any = time.time) -> Investigator:
        return Investigator(
            config=config,
            client=scanners,
            chat_for=lambda _n: slack_client(url),
            ledger=ledger,
            outbox=SqliteOutbox(tmp_path / "outbox.sqlite3"),
            graph_query=lambda *_a: [],
            clock=clock,
        )

    async def killed_while_drawing() -> None:
        task = asyncio.create_task(master().investigate(ctx))
        while not drawing.is_set():
            await asyncio.sleep(0.05)
        task.cancel()  # the process dies: its graph is never written

    with serve_scripted({"quick": Script(latency=0.1)}) as scanners:
        asyncio.run(asyncio.wait_for(killed_while_drawing(), 30))
        released.set()
        assert len(fake.reports()) == 1 and not fake.uploads
        lease = config.intake.handoff_lease_seconds
        retry = master(clock=lambda: time.time() + lease + 1)
        asyncio.run(asyncio.wait_for(retry.investigate(ctx.model_copy(update={"attempt": 2})), 30))
    [report] = fake.reports()
    [upload] = fake.uploads
    assert report.thread_ts == upload.thread_ts == ctx.thread_id and upload.text == "What moved"
