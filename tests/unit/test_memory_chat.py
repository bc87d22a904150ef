"""The one in-memory chat of the tests answers as the Slack and Discord clients do: what other tests
rely on when they read, post or fail through it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox.intake_fakes import MemoryChat as FromIntakeFakes
from sandbox.memory_chat import NOW, MemoryChat
from shared.chat.discord import DiscordApiError
from shared.errors import SourceError


def test_the_intake_fakes_name_the_same_chat() -> None:
    assert FromIntakeFakes is MemoryChat


def test_a_read_only_chat_refuses_every_post_and_records_the_attempt() -> None:
    chat = MemoryChat(read_only=True)
    with pytest.raises(AssertionError, match="must never post"):
        chat.post("C0ALERTS", "hello")
    assert chat.posted == [] and ("post", ("C0ALERTS", None)) in chat.calls


def test_refused_posts_fail_as_each_platform_answers() -> None:
    slack, discord = MemoryChat("slack"), MemoryChat("discord")
    slack.refuse, discord.refuse = "not_in_channel", 50001
    with pytest.raises(SourceError, match=r"chat\.postMessage: not_in_channel"):
        slack.post("C0", "x")
    with pytest.raises(DiscordApiError) as raised:
        discord.post("1100", "x")
    assert raised.value.code == 50001 and slack.texts() == [] and discord.texts() == []


def test_history_is_newest_first_in_pages_and_leaves_thread_replies_out() -> None:
    chat = MemoryChat()
    chat.seed("C0", "alerts", *[(m, "U0ANA", f"message {m}") for m in (5, 1, 3)])
    parent = chat.seed("C0", "alerts", (10, "B0ALERTS", "[FIRING:1] HighErrorRate"))[0]
    chat.reply("C0", parent.id, 8, "U0ANA", "looking")
    first = chat.history("C0", limit=2)
    second = chat.history("C0", limit=2, cursor=first.next_cursor)
    assert [m.text for m in first.messages + second.messages] == [
        "message 1",
        "message 3",
        "message 5",
        "[FIRING:1] HighErrorRate",
    ]
    assert second.next_cursor is None and parent.bot and not first.messages[0].bot
    assert chat.history("C0", oldest=NOW - timedelta(minutes=4)).messages[-1].text == "message 3"


def test_a_replys_id_stands_for_its_whole_thread() -> None:
    chat = MemoryChat()
    chat.add("C0", "1.0", "[FIRING:1] HighErrorRate")
    chat.add("C0", "2.0", "looking", thread_id="1.0", bot=False)
    chat.add("C0", "3.0", "rolled back", thread_id="1.0", bot=False)
    assert [m.text for m in chat.replies("C0", "3.0").messages] == ["looking", "rolled back"]


def test_channels_users_and_forbidden_ones() -> None:
    chat = MemoryChat(users={"U0ANA": "ana"}, forbidden={"C0SECRET"})
    chat.seed("C0DEPLOYS", "deploys")
    assert chat.channel_id("#deploys") == "C0DEPLOYS" and chat.channel_name("C0DEPLOYS") == "deploys"
    assert chat.user_name("U0ANA") == "ana" and chat.user_name("U0BOB") == "U0BOB"
    with pytest.raises(SourceError, match="no channel named #random"):
        chat.channel_id("#random")
    with pytest.raises(SourceError, match="not_in_channel"):
        chat.history("C0SECRET")
