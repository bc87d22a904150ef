"""Every project scenario's chat history through the Slack and Discord stand-ins and the official
clients: the announced change that is the scenario's trigger is found and relevant, decoys stay
low, and nothing errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.common.base import Budget
from agents.discord_scanner.agent import DiscordScanner
from agents.slack_scanner.agent import SlackScanner
from sandbox import chat
from sandbox.alert_context import alert_context_of
from sandbox.http import ServedApp
from sandbox.scenario import load_scenario
from sandbox.stack import with_scenario_channels
from shared.chat.discord import DiscordPlatform
from shared.chat.slack import SlackPlatform
from shared.config import load_config
from shared.contracts import AgentStatus, AlertContext, Finding

pytestmark = pytest.mark.functional

SCENARIOS = Path(__file__).resolve().parents[4] / "examples" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
TOKEN = "sandbox-token-for-tests"


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, tuple[Any, str]]]:
    slack = chat.FakeSlackApi([], token=TOKEN)
    discord = chat.FakeDiscordApi([], token=TOKEN, guild_id="1000000000000000000")
    with ServedApp(slack.app) as s, ServedApp(discord.app) as d:
        yield {"slack": (slack, f"{s.url}/api/"), "discord": (discord, f"{d.url}/api/v10")}


context_of = alert_context_of


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_chat_history(path: Path, fakes: dict[str, tuple[Any, str]]) -> None:
    resolved = load_scenario(path).resolve()
    ctx = context_of(resolved)
    # the bot is in every channel the scenario holds, as the sandbox configures it
    config = with_scenario_channels(load_config(), [load_scenario(path)])
    slack, slack_url = fakes["slack"]
    discord, discord_url = fakes["discord"]
    slack.load(chat.as_channels(resolved.slack_channels))
    discord.load(chat.as_channels(resolved.discord_channels))
    results = {
        "slack_scanner": SlackScanner(config, "slack_scanner", platform=SlackPlatform(TOKEN, slack_url)),
        "discord_scanner": DiscordScanner(
            config, "discord_scanner", platform=DiscordPlatform(TOKEN, discord_url)
        ),
    }
    findings: list[Finding] = []
    for agent, scanner in results.items():
        result = scanner.run(ctx, Budget.of(15))
        assert result.status is not AgentStatus.ERROR, result.errors
        findings.extend(result.findings)
        expected = resolved.expected
        if agent in expected.evidence_from and expected.trigger is not None:
            # The announcement is found, with permalinks. It is relevant on its own when it names the
            # alert's workload (or nothing else); one naming what the workload calls ("smtp-relay
            # moved") is tied to the cause by the master, through the evidence that names it too.
            triggers = [f for f in result.findings if f.change is expected.trigger]
            assert triggers, [(f.id, f.change, f.relevance) for f in result.findings]
            assert all(e.url for f in triggers for e in f.evidence)
            own = [f for f in triggers if not f.resources or set(f.resources) & set(_subject_names(ctx))]
            assert all(f.relevance >= 0.3 for f in own), [(f.id, f.relevance) for f in own]
    relevant = [f for f in findings if f.relevance >= 0.5]
    assert not [f.title for f in relevant if "maintenance" in f.title.lower()]
    names = set(_subject_names(ctx))
    for f in findings:  # a change that names another service than the alert's is never a candidate trigger
        if names and f.change is not None and f.resources and not set(f.resources) & names:
            assert f.relevance < 0.3, f.title


def _subject_names(ctx: AlertContext) -> list[str]:
    h = ctx.hints
    # A change applied to the alert's namespace ("the egress policies for orders") is about it too.
    return [
        n for n in (h.workload, h.service, h.pod, h.namespace, ctx.labels.get("persistentvolumeclaim")) if n
    ]
