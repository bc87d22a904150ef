"""Neutralising untrusted text for each output format.

Finding titles, log lines, chat messages and alert labels are written by whoever can write a log
line or a chat message. Rendered as-is they could ping a whole channel (`<!channel>`, `@everyone`),
impersonate a link, or break the report's layout. Every renderer passes untrusted text through
`redact` and then through its platform's escaper here; our own wording goes through the same path.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from shared.redact import redact

ZWSP = "\u200b"
_BROADCAST = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_URL_OK = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
# Markdown characters that format, link or mention in Discord and CommonMark. `>` quotes only at a
# line start, `|` and `~` only doubled (spoiler, strike), so they are left alone elsewhere.
_MD_ALWAYS = re.compile(r"([\\*`\[\]<])")
_MD_DOUBLED = re.compile(r"(\|\||~~)")
_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_LINE_START = re.compile(r"(?m)^(\s*)([#>\-+]|\d+\.)")


def _no_broadcast(text: str) -> str:
    return _BROADCAST.sub(lambda m: "@" + ZWSP + m.group(1), text)


def slack_escape(text: str) -> str:
    """Slack mrkdwn: `&`, `<`, `>` as entities (no mentions, links or `<!channel>` survive), and the
    formatting characters swapped for look-alikes (Slack has no escape character)."""
    text = redact(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("*", "\u2217").replace("~", "\u223c").replace("`", "\u02cb")
    return _no_broadcast(text)


def slack_plain(text: str) -> str:
    """Slack `plain_text` (header blocks): nothing is parsed there, only secrets and pings matter."""
    return _no_broadcast(redact(text))


def markdown_escape(text: str) -> str:
    """Discord and CommonMark: backslash before every character that could format, link or
    mention; `_` only where it could start or end emphasis (`DB_POOL_MAX` stays readable)."""
    text = redact(text)
    text = _MD_ALWAYS.sub(r"\\\1", text)
    text = _MD_DOUBLED.sub(lambda m: "\\" + m.group(1)[0] + "\\" + m.group(1)[1], text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _no_broadcast(text)


def code_text(text: str) -> str:
    """Text for an inline code span: no backticks inside, no line breaks."""
    return " ".join(redact(text).replace("`", "\u02cb").split())


def safe_url(url: str | None, *, max_length: int = 1500) -> str | None:
    """An http(s) URL with the characters that would end a chat link percent-encoded; None when the
    URL is not http(s), carries credentials, or is too long to post."""
    if not url:
        return None
    url = url.strip()
    if not _URL_OK.match(url) or redact(url) != url:
        return None
    # Keep what URLs legitimately carry (console links use `~(`, `'`, `*`); encode what would end a
    # chat link: `|` and `>` in Slack's `<url|label>`, `>` in Discord's `<url>`, quotes, braces.
    url = quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")
    return url if len(url) <= max_length else None


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters (an ellipsis marks the cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def middle_cut(text: str, limit: int) -> str:
    """`one_line`, cut in its middle rather than at its end (an ellipsis marks the cut): a wrapped
    error keeps both what failed and, last, why."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 5
    tail = limit - 1 - head
    return text[:head].rstrip() + "…" + text[len(text) - tail :].lstrip()
