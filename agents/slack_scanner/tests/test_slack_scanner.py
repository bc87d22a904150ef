"""Slack-specific reading: mrkdwn markup, Slack's own chatter, and the card the agent serves."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.slack_scanner.agent import SlackScanner, build
from agents.slack_scanner.analyzers import clean, is_noise
from shared.chat.base import ChatMessage
from shared.config import load_config

AT = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


def message(text: str, *, bot: bool = False) -> ChatMessage:
    return ChatMessage(id="1.0", channel="C0", user="U0", bot=bot, text=text, at=AT)


def test_mrkdwn_becomes_plain_words_a_deploy_can_be_read_from() -> None:
    text = (
        "<@U0DEPLOY> :rocket: Deploying *checkout* `v2.3.0` to prod &amp; "
        "<https://github.com/acme/checkout/pull/481|PR #481>"
    )
    assert clean(text) == "Deploying checkout v2.3.0 to prod & PR #481"
    assert clean("see <#C0DEPLOYS|deploys>") == "see #deploys"


def test_joins_topics_and_standups_are_noise() -> None:
    for text in (
        "<@U0NEW> has joined the channel",
        "set the channel topic: incidents only",
        "reminder: standup in 10 minutes",
    ):
        assert is_noise(message(text), clean(text)), text
    assert not is_noise(message("Deploying checkout v2.3.0"), "Deploying checkout v2.3.0")


def test_build_gives_the_slack_scanner_with_its_skill_and_tools() -> None:
    scanner = build(load_config(), "slack_scanner")
    assert isinstance(scanner, SlackScanner) and scanner.platform_name == "slack"
    assert (scanner.skills_dir / "chat-history" / "SKILL.md").is_file()
    assert {t.tool_name for t in scanner.tools()} == {
        "slack_list_channels",
        "slack_read_channel",
        "slack_read_thread",
    }
