"""`scripts/send_test_alert.py` signs like the platforms do: the local intake accepts and
investigates each kind, and refuses it when the secret is wrong."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat, RecordingResponder
from sandbox.signing import discord_keypair
from shared.contracts import AlertContext

pytestmark = pytest.mark.functional
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "send_test_alert.py"
SEED, PUBLIC = discord_keypair()
SECRETS = {
    "SLACK_SIGNING_SECRET": "slack-secret-for-the-script",
    "ALERTMANAGER_WEBHOOK_TOKEN": "am-token-script",
    "DISCORD_TEST_SIGNING_KEY": SEED,
}


@pytest.fixture
def intake() -> Iterator[tuple[str, list[AlertContext]]]:
    started: list[AlertContext] = []

    async def investigate(ctx: AlertContext) -> None:
        started.append(ctx)
        await asyncio.sleep(0)

    settings = IntakeSettings(
        secrets=Secrets(
            slack_signing_secret=SECRETS["SLACK_SIGNING_SECRET"],
            discord_public_key=PUBLIC,
            alertmanager_token=SECRETS["ALERTMANAGER_WEBHOOK_TOKEN"],
        )
    )
    chats = {"slack": MemoryChat("slack"), "discord": MemoryChat("discord")}
    app = create_app(
        settings=settings,
        dispatcher=LocalDispatcher(investigate),
        chat_for=chats.__getitem__,
        responder=RecordingResponder(),
    )
    with ThreadedServer(app) as server:
        yield server.url, started


def send(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env if env is not None else SECRETS)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--url", url],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_each_kind_is_accepted_and_investigated(intake: tuple[str, list[AlertContext]]) -> None:
    url, started = intake
    for kind, channel in (
        ("slack", "C0SCRIPT01"),
        ("discord", "1226150000000000777"),
        ("alertmanager", "C0SCRIPT02"),
    ):
        done = send(url, kind, "--channel", channel)
        assert done.returncode == 0, done.stdout + done.stderr
    deadline = time.monotonic() + 5
    while len(started) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(ctx.platform.value for ctx in started) == ["alertmanager", "discord", "slack"]


def test_wrong_secret_is_refused(intake: tuple[str, list[AlertContext]]) -> None:
    url, started = intake
    done = send(url, "slack", "--channel", "C0SCRIPT01", env={**SECRETS, "SLACK_SIGNING_SECRET": "wrong"})
    assert done.returncode == 1 and done.stdout.startswith("401")
    missing = send(url, "alertmanager", "--channel", "C1", env={"ALERTMANAGER_WEBHOOK_TOKEN": ""})
    assert missing.returncode != 0 and "ALERTMANAGER_WEBHOOK_TOKEN is not set" in missing.stderr
    assert started == []
