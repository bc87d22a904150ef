"""The local app built from config and the environment, exercised in process (Starlette's
TestClient runs the lifespan, so background jobs and the dispatcher's loop are real)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import app_from_env
from sandbox.signing import TEST_SLACK_SECRET, slack_headers
from shared.config import load_config
from shared.contracts import AlertContext

ROOT = Path(__file__).resolve().parents[2]


def test_app_from_env_verifies_with_the_configured_secret_and_dispatches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", TEST_SLACK_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")  # the client is built, never called here
    monkeypatch.delenv("SRE_DEDUP_TABLE", raising=False)
    started: list[AlertContext] = []
    done = asyncio.Event()

    async def investigate(ctx: AlertContext) -> None:
        started.append(ctx)
        done.set()

    app = app_from_env(load_config(ROOT / "config.yaml"), dispatcher=LocalDispatcher(investigate))
    body = (ROOT / "tests" / "events" / "slack_app_mention.json").read_bytes()
    with TestClient(app) as client:
        headers = slack_headers(TEST_SLACK_SECRET, body, int(time.time()))
        answer = client.post("/slack/events", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["outcome"] == "started"
        client.portal.call(app.state.jobs.drain)  # type: ignore[union-attr]
        client.portal.call(asyncio.wait_for, done.wait(), 5)  # type: ignore[union-attr]
        forged = client.post("/slack/events", content=body, headers={**headers, "x-slack-signature": "v0=00"})
        assert forged.status_code == 401
    assert [ctx.thread_id for ctx in started] == [json.loads(body)["event"]["ts"]]
