"""Report renderers: Slack (Block Kit), Discord (embeds, markdown and components), Markdown, JSON; plus the
"investigating" notice and late-result updates.

Every untrusted string (finding titles, log lines, chat text, labels) is redacted and escaped for
its platform; every message stays within its platform's limits, splitting into several when needed.
`posted_text(parts)` is exactly what was posted: the text of every part, joined.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.actions import ActionSigner
from shared.contracts import IncidentReport
from shared.render.discord import render_discord, render_discord_parts
from shared.render.document import shown_findings
from shared.render.markdown import render_json, render_markdown
from shared.render.slack import SlackPart, render_slack
from shared.render.updates import platform_of, render_investigating, render_update

Part = SlackPart

__all__ = [
    "ActionSigner",
    "Part",
    "SlackPart",
    "platform_of",
    "posted_text",
    "render_discord",
    "render_discord_parts",
    "render_investigating",
    "render_json",
    "render_markdown",
    "render_parts",
    "render_slack",
    "render_update",
    "shown_findings",
]

PART_SEPARATOR = "\n\n"


def render_parts(
    platform: str, report: IncidentReport, signer: ActionSigner | None = None
) -> list[SlackPart]:
    """The messages to post on `platform` ("slack" or "discord"), in order; `signer` signs the
    buttons that act (silence, re-run), which are left out without it."""
    if platform == "discord":
        return render_discord_parts(report, signer)
    return render_slack(report, signer)


def posted_text(parts: Sequence[SlackPart | str]) -> str:
    """Every part's text joined: exactly the report as posted (a Discord embed included)."""
    return PART_SEPARATOR.join(p if isinstance(p, str) else p.posted for p in parts)
