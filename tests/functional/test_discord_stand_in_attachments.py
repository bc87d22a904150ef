"""The Discord stand-in takes a message with a file as Discord does (multipart: `payload_json` and
`files[n]`): the graph of what moved, uploaded by the Discord platform client, is in the channel
as an attachment with its bytes, name and description."""

from __future__ import annotations

from sandbox.chat import FakeChannel
from sandbox.discord_api import FakeDiscordApi
from sandbox.http import ServedApp
from shared.chat.discord import DiscordPlatform

CHANNEL = "1100000000000000001"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_an_uploaded_png_is_an_attachment_of_the_message() -> None:
    api = FakeDiscordApi([FakeChannel(id=CHANNEL, name="incidents")], token="t0ken")
    with ServedApp(api.app) as served:
        platform = DiscordPlatform("t0ken", f"{served.url}/api/v10")
        message_id = platform.upload(
            CHANNEL, "what-moved.png", PNG, thread_id=CHANNEL, alt_text="memory; alert"
        )
    shown = api.message_json(CHANNEL, message_id)
    assert shown is not None
    [attachment] = shown["attachments"]
    assert attachment["filename"] == "what-moved.png" and attachment["description"] == "memory; alert"
    assert attachment["size"] == len(PNG) and attachment["content_type"] == "image/png"
    message = api.guild.find(CHANNEL, message_id)
    assert message is not None and message.files[attachment["id"]] == PNG


def test_a_json_message_still_has_no_attachment() -> None:
    api = FakeDiscordApi([FakeChannel(id=CHANNEL, name="incidents")], token="t0ken")
    with ServedApp(api.app) as served:
        message_id = DiscordPlatform("t0ken", f"{served.url}/api/v10").post(CHANNEL, "hello")
    shown = api.message_json(CHANNEL, str(message_id))
    assert shown is not None and shown["attachments"] == [] and shown["content"] == "hello"
