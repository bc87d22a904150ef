"""Slack scanner: what people and bots said in Slack around the alert.

Card: reads the alert's own Slack channel (when the alert is on Slack) and the channels config lists,
over the investigation window (cursor pagination honoured, page- and budget-bounded), with the
thread replies of messages that matter. Reports, each with a message permalink: deploy and config
announcements (service, version, key and values, time; relevant when they name the alert's
workload, service or namespace), traffic announcements, earlier firings of the same alert and how
their threads say they ended, and people reporting symptoms. Skips the alert message itself, bot
chatter and plans for later. Names channels and users (cached). Read-only.
"""

from __future__ import annotations

from typing import Any

from agents.common.base import Scanner
from agents.common.chat_history.scanner import ChatScanner, chat_scanner_texts
from agents.slack_scanner.analyzers import clean, is_noise
from agents.slack_scanner.tools import tools_for
from shared.chat.base import ChatMessage
from shared.config import AppConfig

DESCRIPTION, SYSTEM_PROMPT = chat_scanner_texts("Slack", tool_prefix="slack")


class SlackScanner(ChatScanner):
    platform_name = "slack"
    description = DESCRIPTION
    system_prompt = SYSTEM_PROMPT

    def clean(self, text: str) -> str:
        return clean(text)

    def noise(self, message: ChatMessage, text: str) -> bool:
        return is_noise(message, text)

    def tools(self) -> list[Any]:
        return tools_for(self)


def build(config: AppConfig, agent_id: str) -> Scanner:
    return SlackScanner(config, agent_id)
