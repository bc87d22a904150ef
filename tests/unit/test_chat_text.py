"""The text a person sees in a chat message, wherever the sending tool put it."""

from __future__ import annotations

from shared.chat.text import discord_message_text, slack_message_text


def test_attachments_built_from_blocks_are_read_and_placeholders_are_not() -> None:
    text = slack_message_text(
        "KubePodCrashLooping",
        attachments=[
            {
                "color": "#EF311F",
                "fallback": "[no preview available]",
                "blocks": [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": "Alert labels\n● namespace `shop`"},
                    },
                    {
                        "type": "actions",
                        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Silence"}}],
                    },
                ],
            }
        ],
        blocks=[{"type": "header", "text": {"type": "plain_text", "text": "🔥 Pod crash looping"}}],
    )

    assert text.splitlines() == [
        "KubePodCrashLooping",
        "🔥 Pod crash looping",
        "Alert labels",
        "● namespace `shop`",
    ]


def test_discord_embed_author_and_footer_are_read() -> None:
    text = discord_message_text(
        "",
        [{"author": {"name": "Sentry"}, "title": "ZeroDivisionError", "footer": {"text": "checkout-api"}}],
    )
    assert text.splitlines() == ["Sentry", "ZeroDivisionError", "checkout-api"]
