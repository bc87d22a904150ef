"""The Slack scanner's read-only Strands tools: `slack_list_channels`, `slack_read_channel` and
`slack_read_thread`, over the scanner's injected Slack platform and limited to the configured channels
(the shared implementation is `agents.common.chat_history.tools`)."""

from __future__ import annotations

from typing import Any

from agents.common.chat_history.scanner import ChatScanner
from agents.common.chat_history.tools import make_tools


def tools_for(scanner: ChatScanner) -> list[Any]:
    return make_tools(scanner)
