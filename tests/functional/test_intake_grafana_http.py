"""Grafana's webhook contact point posting to the local intake server over loopback HTTP, as
Grafana sends it (JSON, `Authorization: Bearer`): the firing notification starts one investigation
with the alert's target, the resolved one (`state: ok`) is a line in the alert's thread."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat
from sandbox.signing import TEST_ALERTMANAGER_TOKEN, TEST_SLACK_SECRET
from shared.contracts import AlertContext

pytestmark = pytest.mark.functional
FIRING = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "events"
        / "corpus"
        / "GW01_grafana_webhook_k8s_rule.payload.json"
    ).read_text()
)
HEADERS = {"authorization": f"Bearer {TEST_ALERTMANAGER_TOKEN}", "content-type": "application/json"}


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def served() -> Iterator[tuple[str, list[AlertContext], MemoryChat]]:
    started: list[AlertContext] = []
    chat = MemoryChat("slack")

    async def investigate(ctx: AlertContext) -> None:
        started.append(ctx)

    settings = IntakeSettings(
        secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET, alertmanager_token=TEST_ALERTMANAGER_TOKEN),
        alertmanager_channel="C0LAN2Q65",
    )
    app = create_app(settings=settings, dispatcher=LocalDispatcher(investigate), chat_for=lambda _n: chat)
    with ThreadedServer(app) as server:
        yield server.url, started, chat


def test_grafana_firing_then_resolved_over_http(served: tuple[str, list[AlertContext], MemoryChat]) -> None:
    url, started, chat = served
    resolved = copy.deepcopy(FIRING) | {"status": "resolved", "state": "ok"}
    resolved["alerts"][0].update(status="resolved", endsAt="2026-11-24T10:02:10Z")
    with httpx.Client(trust_env=False, timeout=5) as client:
        answer = client.post(f"{url}/grafana", content=json.dumps(FIRING), headers=HEADERS)
        assert answer.status_code == 200 and answer.json()["outcome"] == "started"
        assert wait_until(lambda: len(started) == 1 and len(chat.posted) == 1)
        hints = started[0].hints
        assert (hints.alert_name, hints.namespace, hints.service) == ("High 5xx rate", "shop", "checkout")
        answer = client.post(f"{url}/grafana", content=json.dumps(resolved), headers=HEADERS)
        assert answer.status_code == 200 and answer.json()["outcome"] == "replied"
        assert wait_until(lambda: len(chat.posted) == 2)
    root, update = chat.posted
    assert "High 5xx rate" in root.text
    assert update.thread_id == root.id and update.text.startswith("Resolved: High 5xx rate")
    assert len(started) == 1
