"""Slack scanner: what people and bots said in Slack around the alert.

Card: the shared chat scanner (`agents.common.chat_history`) over Slack: the alert's own channel and
the channels config lists, over the investigation window, with the threads of messages that matter;
deploy and config announcements, traffic announcements, earlier firings and how they ended, people
reporting symptoms, each with a permalink. Read-only. What is Slack's own is `analyzers.py`.
"""

from __future__ import annotations

from agents.common.base import Scanner
from agents.common.chat_history.scanner import chat_scanner
from agents.slack_scanner.analyzers import clean, is_noise
from shared.config import AppConfig

SlackScanner = chat_scanner("slack", "Slack", clean, is_noise, __name__)


def build(config: AppConfig, agent_id: str) -> Scanner:
    return SlackScanner(config, agent_id)
