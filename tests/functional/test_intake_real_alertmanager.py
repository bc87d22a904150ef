"""The real Alertmanager fires at the local intake server: exactly one investigation starts for the
group, however often the alert is posted, and the resolved notification lands in its thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.alertmanager import AlertmanagerSandbox, alertmanager_binary
from sandbox.intake_fakes import MemoryChat
from shared.contracts import AlertContext
from shared.timeutil import rfc3339

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(alertmanager_binary() is None, reason="prometheus-alertmanager is not installed"),
]
TOKEN = "am-functional-token"
CHANNEL = "C0ALERTS99"


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Master:
    def __init__(self) -> None:
        self.started: list[AlertContext] = []

    async def investigate(self, ctx: AlertContext) -> None:
        self.started.append(ctx)
        await asyncio.sleep(0)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[AlertmanagerSandbox, Master, MemoryChat]]:
    master, chat = Master(), MemoryChat("slack")
    settings = IntakeSettings(secrets=Secrets(alertmanager_token=TOKEN))
    app = create_app(
        settings=settings, dispatcher=LocalDispatcher(master.investigate), chat_for=lambda _n: chat
    )
    with ThreadedServer(app) as server:
        alertmanager = AlertmanagerSandbox(
            tmp_path,
            f"{server.url}/alertmanager?channel={CHANNEL}&platform=slack",
            bearer_token=TOKEN,
            group_wait="1s",
            group_interval="2s",
        )
        with alertmanager:
            yield alertmanager, master, chat


def _alert(pod: str, *, ends: datetime | None = None) -> dict[str, object]:
    alert: dict[str, object] = {
        "labels": {
            "alertname": "KubePodCrashLooping",
            "namespace": "shop",
            "service": "checkout",
            "pod": pod,
            "severity": "critical",
        },
        "annotations": {"summary": f"Pod shop/{pod} is crash looping."},
        "startsAt": rfc3339(datetime.now(UTC) - timedelta(minutes=5)),
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
    }
    if ends is not None:
        alert["endsAt"] = rfc3339(ends)
    return alert


def test_alertmanager_fires_exactly_one_investigation_then_resolves_in_its_thread(
    stack: tuple[AlertmanagerSandbox, Master, MemoryChat],
) -> None:
    alertmanager, master, chat = stack
    alertmanager.post_alerts([_alert("checkout-7d9f-x2k4p")])
    alertmanager.post_alerts([_alert("checkout-7d9f-x2k4p")])  # posted twice: one alert
    assert wait_until(lambda: len(master.started) == 1, timeout=15)
    [ctx] = master.started
    [root] = chat.posted
    assert ctx.platform.value == "alertmanager" and ctx.channel == CHANNEL and ctx.thread_id == root.id
    assert ctx.labels["pod"] == "checkout-7d9f-x2k4p" and ctx.hints.namespace == "shop"
    assert "KubePodCrashLooping" in root.text

    # A second pod joins the group: Alertmanager re-notifies after group_interval; still one investigation.
    alertmanager.post_alerts([_alert("checkout-7d9f-q8w2z")])
    assert wait_until(lambda: any(p.text.startswith("Still firing") for p in chat.posted), timeout=15)

    # Both resolve: the notice is posted in the investigation's thread.
    ended = datetime.now(UTC) - timedelta(seconds=1)
    alertmanager.post_alerts(
        [_alert("checkout-7d9f-x2k4p", ends=ended), _alert("checkout-7d9f-q8w2z", ends=ended)]
    )
    assert wait_until(lambda: any(p.text.startswith("Resolved") for p in chat.posted), timeout=15)
    resolved = next(p for p in chat.posted if p.text.startswith("Resolved"))
    assert resolved.thread_id == root.id
    assert len(master.started) == 1
