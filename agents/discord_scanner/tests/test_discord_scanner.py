"""Discord-specific reading: its markdown and markup, system chatter, and the card the agent serves."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.common.chat_history.extract import Kind, classify
from agents.discord_scanner.agent import DiscordScanner, build
from agents.discord_scanner.analyzers import clean, is_noise
from shared.chat.base import ChatMessage
from shared.config import load_config

AT = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


def test_discord_markdown_becomes_plain_words_a_deploy_can_be_read_from() -> None:
    text = (
        "<@!200000000000000003> Deploying **orders-api v5.4.0** to prod ||finally|| "
        "<:shipit:123456789012345678>"
    )
    plain = clean(text)
    assert plain == "Deploying orders-api v5.4.0 to prod finally"
    mention = classify(plain, bot=False)[0]
    assert (mention.kind, mention.service, mention.version) == (Kind.DEPLOY, "orders-api", "v5.4.0")
    assert clean("```\nlowered DB_POOL_MAX from 40 to 8\n```").strip() == "lowered DB_POOL_MAX from 40 to 8"


def test_system_messages_are_noise() -> None:
    m = ChatMessage(id="1", channel="1100000000000000001", user="2", text="pinned a message", at=AT)
    assert is_noise(m, clean(m.text))


def test_build_gives_the_discord_scanner_with_its_skill_and_tools() -> None:
    scanner = build(load_config(), "discord_scanner")
    assert isinstance(scanner, DiscordScanner) and scanner.platform_name == "discord"
    assert (scanner.skills_dir / "chat-history" / "SKILL.md").is_file()
    names = {t.tool_name for t in scanner.tools()}
    assert names == {"discord_list_channels", "discord_read_channel", "discord_read_thread"}
