"""The sandbox's chat platform stand-ins, in one import: the Slack Web API (`FakeSlackApi`) and the
Discord REST API (`FakeDiscordApi`), the scenario data they serve (`FakeChannel`, `FakeMessage`)
and the record of what was posted (`Post`).

    slack = FakeSlackApi([FakeChannel("C0ALERTS", "alerts", [FakeMessage(at, "U0ANA", "hi")])], token=t)
    with ServedApp(slack.app) as served:            # sandbox.http
        client = WebClient(token=t, base_url=f"{served.url}/api/")
        ...
        post = slack.wait_for_post(lambda p: "Root cause" in p.text, timeout=30)
"""

from __future__ import annotations

from sandbox.chat_base import FakeChannel, FakeMessage, Post, as_channels
from sandbox.discord_api import FakeDiscordApi
from sandbox.discord_store import snowflake, snowflake_time
from sandbox.slack_api import FakeSlackApi
from sandbox.slack_store import micros_of, ts_micros, ts_text

__all__ = [
    "FakeChannel",
    "FakeDiscordApi",
    "FakeMessage",
    "FakeSlackApi",
    "Post",
    "as_channels",
    "micros_of",
    "snowflake",
    "snowflake_time",
    "ts_micros",
    "ts_text",
]
