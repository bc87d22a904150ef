"""The Slack and Discord scanners through the official clients (slack_sdk's WebClient inside
`SlackPlatform`, httpx inside `DiscordPlatform`) against the sandbox's Slack and Discord stand-ins on
loopback: pagination, threads, names and permalinks over the real wire format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.common.base import Budget
from agents.discord_scanner.agent import DiscordScanner
from agents.master.synthesis import synthesize
from agents.slack_scanner.agent import SlackScanner
from sandbox import chat
from sandbox.http import ServedApp
from shared.alerts.context import build_alert_context
from shared.chat.discord import DiscordPlatform
from shared.chat.slack import SlackPlatform
from shared.config import load_config
from shared.contracts import AgentStatus, Trigger
from shared.errors import SourceError
from shared.render.markdown import render_markdown

pytestmark = pytest.mark.functional

NOW = datetime.now(UTC).replace(microsecond=0)
SLACK_TOKEN = "xoxb-sandbox-0123456789abcdef"
DISCORD_TOKEN = "sandbox.discord-token-for-tests"
GUILD = "1000000000000000000"
EVENTS = Path(__file__).resolve().parents[4] / "tests" / "events"


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def channel_messages() -> list[Any]:
    noise = [chat.FakeMessage(ago(58 - i * 0.1), "U0ANA", f"status update {i}") for i in range(250)]
    earlier = chat.FakeMessage(
        ago(200),
        "U0ALERTBOT",
        "[FIRING:1] KubePodCrashLooping shop/checkout-6b8d5f4c9-q8m2n",
        bot=True,
        replies=[
            chat.FakeMessage(ago(190), "U0ANA", "looking"),
            chat.FakeMessage(ago(170), "U0ANA", "fixed by raising the checkout memory limit to 512Mi"),
        ],
    )
    return [
        earlier,
        chat.FakeMessage(ago(180), "U0ANA", "reminder: payments maintenance window tonight 22:00"),
        *noise,
        chat.FakeMessage(ago(41), "U0DEPLOY", "Deploying checkout v2.3.0 to prod (PR #481)"),
        chat.FakeMessage(ago(39), "U0DEPLOY", "checkout v2.3.0 rollout complete"),
        chat.FakeMessage(
            ago(2), "U0ALERTBOT", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p", bot=True
        ),
    ]


@pytest.fixture(scope="module")
def slack_url() -> Iterator[str]:
    fake = chat.FakeSlackApi(
        [chat.FakeChannel("C0ALERTS", "alerts-prod", channel_messages())], token=SLACK_TOKEN
    )
    with ServedApp(fake.app) as served:
        yield served.url


@pytest.fixture(scope="module")
def discord_url() -> Iterator[str]:
    fake = chat.FakeDiscordApi(
        [chat.FakeChannel("1100000000000000001", "incidents", channel_messages())],
        token=DISCORD_TOKEN,
        guild_id=GUILD,
    )
    with ServedApp(fake.app) as served:
        yield served.url


def check(result: Any, agent: str) -> None:
    assert result.status is AgentStatus.OK, (result.errors, result.notes)
    deploy = next(f for f in result.findings if f.id == f"{agent}:deploy:checkout/v2.3.0")
    assert deploy.change is Trigger.DEPLOY and deploy.relevance >= 0.85
    assert len(deploy.evidence) == 2 and all(e.url for e in deploy.evidence)
    earlier = next(f for f in result.findings if f.id == f"{agent}:earlier-firing:KubePodCrashLooping")
    assert "fixed by raising the checkout memory limit to 512Mi" in earlier.title
    assert not any("maintenance" in f.title for f in result.findings)


def test_slack_scanner_through_the_web_client(slack_url: str) -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        received_at=ago(2),
        text="[FIRING:1] KubePodCrashLooping (prod-eks) shop/checkout-7d9f8c6b5-x2k4p",
    )
    platform = SlackPlatform(SLACK_TOKEN, f"{slack_url}/api/")
    result = SlackScanner(load_config(), "slack_scanner", platform=platform).run(ctx, Budget.of(15))
    check(result, "slack_scanner")
    deploy = next(f for f in result.findings if f.id == "slack_scanner:deploy:checkout/v2.3.0")
    assert "C0ALERTS" in (deploy.evidence[0].url or "")


def test_discord_scanner_through_the_rest_client(discord_url: str) -> None:
    ctx = build_alert_context(
        platform="discord",
        channel="1100000000000000001",
        received_at=ago(2),
        text="[FIRING:1] KubePodCrashLooping (prod-eks) shop/checkout-7d9f8c6b5-x2k4p",
    )
    platform = DiscordPlatform(DISCORD_TOKEN, f"{discord_url}/api/v10")
    result = DiscordScanner(load_config(), "discord_scanner", platform=platform).run(ctx, Budget.of(15))
    check(result, "discord_scanner")
    deploy = next(f for f in result.findings if f.id == "discord_scanner:deploy:checkout/v2.3.0")
    assert (deploy.evidence[0].url or "").startswith(
        f"https://discord.com/channels/{GUILD}/1100000000000000001/"
    )


def deploys_elsewhere() -> list[Any]:
    """#alerts-prod with the alert only; the deploy announced in #deploys, listed after 230 other
    channels (a second conversations.list page)."""
    alert = chat.FakeMessage(
        ago(2), "U0ALERTBOT", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p", bot=True
    )
    fillers = [chat.FakeChannel(f"C1FILL{i:03d}", f"team-{i:03d}", []) for i in range(230)]
    deploys = chat.FakeChannel(
        "C9DEPLOYS",
        "deploys",
        [chat.FakeMessage(ago(41), "U0DEPLOY", "Deploying checkout v2.3.0 to prod (PR #481)")],
    )
    return [chat.FakeChannel("C0ALERTS", "alerts-prod", [alert]), *fillers, deploys]


def with_channels(slack: list[str] = (), **discord: Any) -> Any:  # type: ignore[assignment]
    base = load_config()
    sources = base.sources.model_copy(
        update={
            "slack": base.sources.slack.model_copy(update={"channels": list(slack)}),
            "discord": base.sources.discord.model_copy(update=discord),
        }
    )
    return base.model_copy(update={"sources": sources})


def test_a_configured_slack_channel_name_is_read_by_its_id_found_with_conversations_list() -> None:
    fake = chat.FakeSlackApi(deploys_elsewhere(), token=SLACK_TOKEN)
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        received_at=ago(2),
        text="[FIRING:1] KubePodCrashLooping (prod-eks) shop/checkout-7d9f8c6b5-x2k4p",
    )
    with ServedApp(fake.app) as served:
        platform = SlackPlatform(SLACK_TOKEN, f"{served.url}/api/")
        with pytest.raises(SourceError, match=r"conversations\.history: channel_not_found"):
            platform.history("deploys")  # as real Slack answers: history takes ids only
        scanner = SlackScanner(with_channels(slack=["#deploys"]), "slack_scanner", platform=platform)
        first = scanner.run(ctx, Budget.of(15))
        second = scanner.run(ctx, Budget.of(15))
    for result in (first, second):
        assert result.status is AgentStatus.OK and not result.errors, (result.errors, result.notes)
        deploy = next(f for f in result.findings if f.id == "slack_scanner:deploy:checkout/v2.3.0")
        assert "#deploys" in deploy.title and "/archives/C9DEPLOYS/" in (deploy.evidence[0].url or "")
    # 232 channels at 200 a page: two pages, once; the second scan asks nothing more.
    assert list(fake.calls).count("conversations.list") == 2


def test_a_slack_channel_name_nobody_has_is_an_error_saying_so_and_the_rest_is_read() -> None:
    fake = chat.FakeSlackApi(deploys_elsewhere(), token=SLACK_TOKEN)
    ctx = build_alert_context(
        platform="slack", channel="C0ALERTS", received_at=ago(2), text="[FIRING:1] KubePodCrashLooping"
    )
    with ServedApp(fake.app) as served:
        platform = SlackPlatform(SLACK_TOKEN, f"{served.url}/api/")
        cfg = with_channels(slack=["#deploys", "#releases"])
        result = SlackScanner(cfg, "slack_scanner", platform=platform).run(ctx, Budget.of(15))
    assert result.errors == (
        "slack channel #releases: slack conversations.list: no channel named #releases among the 232 "
        "channels listed",
    )
    assert any(f.id == "slack_scanner:deploy:checkout/v2.3.0" for f in result.findings)


def test_a_discord_channel_name_is_resolved_in_the_configured_guild() -> None:
    incidents = chat.FakeChannel(
        "1100000000000000001",
        "incidents",
        [chat.FakeMessage(ago(2), "U0ALERTBOT", "[FIRING:1] KubePodCrashLooping shop/checkout", bot=True)],
    )
    deploys = chat.FakeChannel(
        "1100000000000000002",
        "deploys",
        [chat.FakeMessage(ago(41), "U0DEPLOY", "Deploying checkout v2.3.0 to prod (PR #481)")],
    )
    fake = chat.FakeDiscordApi([incidents, deploys], token=DISCORD_TOKEN, guild_id=GUILD)
    ctx = build_alert_context(
        platform="discord",
        channel="1100000000000000001",
        received_at=ago(2),
        text="[FIRING:1] KubePodCrashLooping (prod-eks) shop/checkout-7d9f8c6b5-x2k4p",
    )
    cfg = with_channels(guild_id=GUILD, channels=["#deploys"])
    with ServedApp(fake.app) as served:
        platform = DiscordPlatform(DISCORD_TOKEN, f"{served.url}/api/v10", guild_id=GUILD)
        result = DiscordScanner(cfg, "discord_scanner", platform=platform).run(ctx, Budget.of(15))
        unguilded = DiscordPlatform(DISCORD_TOKEN, f"{served.url}/api/v10")
        with pytest.raises(SourceError, match="Discord reads channels by id"):
            unguilded.channel_id("#deploys")
    assert result.status is AgentStatus.OK and not result.errors, result.errors
    deploy = next(f for f in result.findings if f.id == "discord_scanner:deploy:checkout/v2.3.0")
    assert (deploy.evidence[0].url or "").startswith(
        f"https://discord.com/channels/{GUILD}/1100000000000000002/"
    )


def test_an_earlier_alertmanager_notification_and_its_fix_reach_the_report() -> None:
    """Alertmanager's Slack notification has an empty text: the alert is in its attachments. An
    earlier firing posted that way, and the thread reply saying what fixed it, reach the report."""
    canonical = json.loads((EVENTS / "slack_bot_alert_message.json").read_text(encoding="utf-8"))
    attachments = canonical["event"]["attachments"]
    fake = chat.FakeSlackApi(
        [chat.FakeChannel("C0ALERTS", "alerts-prod", [chat.FakeMessage(ago(30), "U0ANA", "lunch?")])],
        users={"U0ANA": "ana"},
        token=SLACK_TOKEN,
    )
    earlier = fake.add_message("C0ALERTS", ago(200), "U0ALERTMGR", "", bot=True, attachments=attachments)
    fake.add_message("C0ALERTS", ago(190), "U0ANA", "looking", thread_ts=earlier)
    fake.add_message(
        "C0ALERTS",
        ago(170),
        "U0ANA",
        "fixed by raising the checkout memory limit to 512Mi",
        thread_ts=earlier,
    )
    alert = fake.add_message("C0ALERTS", ago(2), "U0ALERTMGR", "", bot=True, attachments=attachments)
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        thread_id=alert,
        received_at=ago(2),
        text=attachments[0]["fallback"] + "\n" + attachments[0]["text"],
    )
    with ServedApp(fake.app) as served:
        platform = SlackPlatform(SLACK_TOKEN, f"{served.url}/api/")
        history = platform.history("C0ALERTS", limit=10)
        result = SlackScanner(load_config(), "slack_scanner", platform=platform).run(ctx, Budget.of(15))
    # Read back as a person sees it: the empty text, then the attachment.
    notice = next(m for m in history.messages if m.id == earlier)
    assert notice.bot and notice.text.startswith("[FIRING:1] KubePodCrashLooping shop (checkout critical)")
    firing = next(f for f in result.findings if f.id == "slack_scanner:earlier-firing:KubePodCrashLooping")
    assert firing.title.startswith("KubePodCrashLooping fired before: 1 time(s) in the last 3 h, latest at ")
    assert "the thread says: “fixed by raising the checkout memory limit to 512Mi”" in firing.title
    assert any(f"/p{earlier.replace('.', '')}" in (e.url or "") for e in firing.evidence)
    posted = render_markdown(synthesize(ctx, [result]))
    assert "KubePodCrashLooping fired before" in posted
    assert "fixed by raising the checkout memory limit to 512Mi" in posted


def test_a_configured_channel_id_of_a_short_shape_is_read_as_the_channel_it_is() -> None:
    short = chat.FakeChannel(
        "C0CI", "ci-builds", [chat.FakeMessage(ago(30), "U0DEPLOY", "Deploying checkout v2.3.0 to prod")]
    )
    fake = chat.FakeSlackApi([*deploys_elsewhere(), short], token=SLACK_TOKEN)
    ctx = build_alert_context(
        platform="slack", channel="C0ALERTS", received_at=ago(2), text="[FIRING:1] KubePodCrashLooping"
    )
    with ServedApp(fake.app) as served:
        platform = SlackPlatform(SLACK_TOKEN, f"{served.url}/api/")
        result = SlackScanner(with_channels(slack=["C0CI"]), "slack_scanner", platform=platform).run(
            ctx, Budget.of(15)
        )
    assert not result.errors
    assert any(f.id == "slack_scanner:deploy:checkout/v2.3.0" for f in result.findings)
