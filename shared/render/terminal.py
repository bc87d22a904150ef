"""A posted thread reply as a person sees it in the chat client, for printing in a terminal.

Slack's wire text escapes `&`, `<` and `>` and writes links as `<url|label>`; the client shows the
label and the plain characters. The demo prints what the reader would read, not the wire format
(the exact posted text stays in the report's `posted_text`).
"""

from __future__ import annotations

import html
import re

_SLACK_LINK = re.compile(r"<(?:https?://|mailto:)[^|>\s]+\|([^>]*)>")
_BARE_SLACK_LINK = re.compile(r"<((?:https?://|mailto:)[^|>\s]+)>")


def as_seen(posted_text: str) -> str:
    """Slack links shown by their label, bare links as the URL, entities decoded."""
    text = _SLACK_LINK.sub(lambda m: m.group(1), posted_text)
    text = _BARE_SLACK_LINK.sub(lambda m: m.group(1), text)
    return html.unescape(text)
