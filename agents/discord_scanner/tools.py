"""The Discord scanner's read-only Strands tools: `discord_list_channels`, `discord_read_channel` and
`discord_read_thread`, over the scanner's injected Discord platform and limited to the configured channels
(the shared implementation is `agents.common.chat_history.tools`)."""

from __future__ import annotations

from typing import Any

from agents.common.chat_history.scanner import ChatScanner
from agents.common.chat_history.tools import make_tools


def tools_for(scanner: ChatScanner) -> list[Any]:
    return make_tools(scanner)
