"""Slack and Discord messages as HTML, close to how their clients draw them: Block Kit (header,
section text and fields, context, divider, actions, image) and Discord messages (markdown content,
embeds with their colour bar and fields, button rows). For the README's screenshots
(`scripts/screenshots.py` shoots these pages with headless Chromium) and for looking at what the
stand-ins received. Every string is escaped: message text is untrusted."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

EMOJI = {
    "rotating_light": "🚨",
    "white_check_mark": "✅",
    "warning": "⚠️",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "fire": "🔥",
    "mag": "🔍",
    "chart_with_upwards_trend": "📈",
    "no_bell": "🔕",
    "repeat": "🔁",
    "+1": "👍",
    "-1": "👎",
    "thumbsup": "👍",
    "thumbsdown": "👎",
    "hourglass_flowing_sand": "⏳",
    "information_source": "\u2139\ufe0f",
    "x": "❌",
}
_SLACK_SPECIAL = re.compile(r"<([^<>]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
# [label](<url>) (the form that suppresses the preview; the URL may hold parentheses) or [label](url)
_DISCORD_LINK = re.compile(r"\[([^\[\]]+)\]\((?:&lt;(https?://.+?)&gt;|(https?://[^\s()]+))\)")
_DISCORD_ESCAPE = re.compile(r"\\(&lt;|&gt;|&amp;|[*_~`|\\#\-\[\]()!.:>])")
_DISCORD_MENTION = re.compile(r"&lt;(@[!&]?|#)(\d+)&gt;")
_DISCORD_TIME = re.compile(r"&lt;t:(\d+)(?::[tTdDfFR])?&gt;")
BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link"}


@dataclass(frozen=True)
class Image:
    """An uploaded file shown under its message: PNG bytes, a title, the alt text."""

    data: bytes
    title: str = ""
    alt: str = ""

    def tag(self) -> str:
        src = "data:image/png;base64," + base64.b64encode(self.data).decode()
        title = f'<div class="file-title">{html.escape(self.title)}</div>' if self.title else ""
        return f'<div class="file">{title}<img src="{src}" alt="{html.escape(self.alt, quote=True)}"></div>'


@dataclass(frozen=True)
class Message:
    """One message of a thread: its text, Slack blocks or Discord embeds and components."""

    text: str = ""
    author: str = "sre-on-call"  # "sre-on-call" is the app; anyone else is shown as a bot user
    blocks: Sequence[dict[str, Any]] = ()
    embeds: Sequence[dict[str, Any]] = ()
    components: Sequence[dict[str, Any]] = ()
    images: Sequence[Image] = field(default_factory=tuple)


# ----------------------------------------------------------------------------------------- Slack


def _code_spans(text: str, render: Any) -> str:
    """`render` applied outside ``` blocks and `code` spans; those kept verbatim (escaped)."""
    out = []
    for index, chunk in enumerate(re.split(r"(```.*?```|`[^`\n]+`)", text, flags=re.S)):
        if index % 2:
            if chunk.startswith("```"):
                out.append(f"<pre>{chunk[3:-3].strip(chr(10))}</pre>")
            else:
                out.append(f"<code>{chunk[1:-1]}</code>")
        else:
            out.append(render(chunk))
    return "".join(out)


def _slack_special(match: re.Match[str]) -> str:
    inner = html.unescape(match.group(1))  # Slack escapes &, < and > inside links too
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(label or target[1:])}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{html.escape(label or target[1:])}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(target[1:].split("^")[0])}</span>'
    if target.startswith(("http://", "https://", "mailto:")):
        href = html.escape(target, quote=True)
        return f'<a href="{href}">{html.escape(label or target)}</a>'
    return html.escape(f"<{inner}>")


def _emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def mrkdwn(text: str) -> str:
    """Slack mrkdwn as HTML: links and mentions, *bold*, _italic_, ~strike~, `code`, ```pre```,
    > quotes, :emoji:, line breaks. Slack's own escapes (&amp; &lt; &gt;) are read back first."""
    pieces = []
    last = 0
    for match in _SLACK_SPECIAL.finditer(text):
        pieces.append(html.escape(html.unescape(text[last : match.start()]), quote=False))
        pieces.append("\0" + str(len(pieces)) + "\0")
        last = match.end()
    pieces.append(html.escape(html.unescape(text[last:]), quote=False))
    specials = {
        "\0" + str(i * 2 + 1) + "\0": _slack_special(m) for i, m in enumerate(_SLACK_SPECIAL.finditer(text))
    }

    def inline(chunk: str) -> str:
        chunk = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<b>\1</b>", chunk)
        chunk = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"<i>\1</i>", chunk)
        chunk = re.sub(r"(?<![\w~])~([^~\n]+)~(?![\w~])", r"<s>\1</s>", chunk)
        return _emoji(chunk)

    rendered = _code_spans("".join(pieces), inline)
    for key, value in specials.items():
        rendered = rendered.replace(key, value)
    return _lines(rendered)


def _lines(rendered: str) -> str:
    out = []
    for line in rendered.split("\n"):
        if line.startswith("&gt; "):
            out.append(f'<span class="quote">{line[5:]}</span>')
        else:
            out.append(line)
    return "<br>".join(out)


def _text_object(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    text = str(obj.get("text") or "")
    return (
        mrkdwn(text)
        if obj.get("type") == "mrkdwn"
        else html.escape(_emoji(text) if obj.get("emoji") else text)
    )


def _slack_button(element: dict[str, Any]) -> str:
    style = str(element.get("style") or "default")
    label = _text_object(element.get("text"))
    if element.get("url"):
        href = html.escape(str(element["url"]), quote=True)
        return f'<a class="button {style}" href="{href}">{label} ↗</a>'
    return f'<span class="button {style}">{label}</span>'


def slack_block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f'<div class="header">{_text_object(block.get("text"))}</div>'
    if kind == "divider":
        return '<hr class="divider">'
    if kind == "section":
        text = f'<div class="text">{_text_object(block.get("text"))}</div>' if block.get("text") else ""
        fields = "".join(f'<div class="field">{_text_object(f)}</div>' for f in block.get("fields") or [])
        fields = f'<div class="fields">{fields}</div>' if fields else ""
        accessory = block.get("accessory") or {}
        side = _slack_button(accessory) if accessory.get("type") == "button" else ""
        return f'<div class="section"><div class="body">{text}{fields}</div>{side}</div>'
    if kind == "context":
        items = []
        for element in block.get("elements") or []:
            if element.get("type") == "image":
                src = html.escape(str(element.get("image_url") or ""), quote=True)
                items.append(f'<img class="context-image" src="{src}" alt="">')
            else:
                items.append(f"<span>{_text_object(element)}</span>")
        return f'<div class="context">{"".join(items)}</div>'
    if kind == "actions":
        buttons = "".join(_slack_button(e) for e in block.get("elements") or [] if e.get("type") == "button")
        return f'<div class="actions">{buttons}</div>'
    if kind == "image":
        src = html.escape(str(block.get("image_url") or ""), quote=True)
        alt = html.escape(str(block.get("alt_text") or ""), quote=True)
        return f'<div class="image"><img src="{src}" alt="{alt}"></div>'
    return f'<div class="text">{mrkdwn(str((block.get("text") or {}).get("text") or ""))}</div>'


def _head(message: Message) -> str:
    ours = message.author == "sre-on-call"
    avatar, kind, badge = ("🔍", "avatar", "APP") if ours else ("🚨", "avatar other", "BOT")
    return (
        f'<div class="message"><div class="{kind}">{avatar}</div><div class="content">'
        f'<div class="author">{html.escape(message.author)} <span class="app">{badge}</span></div>'
    )


def slack_message(message: Message) -> str:
    body = "".join(slack_block(b) for b in message.blocks) if message.blocks else mrkdwn(message.text)
    images = "".join(image.tag() for image in message.images)
    return f"{_head(message)}{body}{images}</div></div>"


# --------------------------------------------------------------------------------------- Discord


def discord_markdown(text: str) -> str:
    """Discord markdown as HTML: [label](url), **bold**, __underline__, *italic*, ~~strike~~,
    `code`, ```pre```, > quotes, -# small lines, # headings, mentions and <t:…> times."""
    escaped = html.escape(text, quote=False)

    def inline(chunk: str) -> str:
        chunk = _DISCORD_ESCAPE.sub(
            lambda m: m.group(1) if "&" in m.group(1) else f"&#{ord(m.group(1))};", chunk
        )
        chunk = _DISCORD_LINK.sub(
            lambda m: f'<a href="{(m.group(2) or m.group(3)).replace(chr(34), "%22")}">{m.group(1)}</a>',
            chunk,
        )
        chunk = re.sub(r"\*\*([^*\n]+)\*\*", r"<b>\1</b>", chunk)
        chunk = re.sub(r"__([^_\n]+)__", r"<u>\1</u>", chunk)
        chunk = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<i>\1</i>", chunk)
        chunk = re.sub(r"~~([^~\n]+)~~", r"<s>\1</s>", chunk)
        chunk = _DISCORD_MENTION.sub(
            lambda m: f'<span class="mention">{m.group(1)[0]}{m.group(2)[-4:]}</span>', chunk
        )
        return _DISCORD_TIME.sub(lambda m: f'<span class="time">&lt;t:{m.group(1)}&gt;</span>', chunk)

    rendered = _code_spans(escaped, inline)
    out = []
    for line in rendered.split("\n"):
        if line.startswith("-# "):
            out.append(f'<span class="subtext">{line[3:]}</span>')
        elif re.match(r"^#{1,3} ", line):
            out.append(f'<span class="heading">{line.split(" ", 1)[1]}</span>')
        else:
            out.append(line)
    return _lines("\n".join(out))


def _colour(value: Any) -> str:
    return f"#{int(value):06x}" if isinstance(value, int) else "#1e1f22"


def discord_embed(embed: dict[str, Any]) -> str:
    parts = []
    author = (embed.get("author") or {}).get("name")
    if author:
        parts.append(f'<div class="embed-author">{html.escape(str(author))}</div>')
    if embed.get("title"):
        title = html.escape(str(embed["title"]))
        if embed.get("url"):
            title = f'<a href="{html.escape(str(embed["url"]), quote=True)}">{title}</a>'
        parts.append(f'<div class="embed-title">{title}</div>')
    if embed.get("description"):
        parts.append(f'<div class="embed-description">{discord_markdown(str(embed["description"]))}</div>')
    fields = []
    for one in embed.get("fields") or []:
        inline = " inline" if one.get("inline") else ""
        fields.append(
            f'<div class="embed-field{inline}"><div class="embed-field-name">'
            f"{discord_markdown(str(one.get('name') or ''))}</div>"
            f'<div class="embed-field-value">{discord_markdown(str(one.get("value") or ""))}</div></div>'
        )
    if fields:
        parts.append(f'<div class="embed-fields">{"".join(fields)}</div>')
    image = (embed.get("image") or {}).get("url")
    if image:
        parts.append(f'<img class="embed-image" src="{html.escape(str(image), quote=True)}" alt="">')
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(f'<div class="embed-footer">{html.escape(str(footer))}</div>')
    return (
        f'<div class="embed" style="border-left-color: {_colour(embed.get("color"))}">{"".join(parts)}</div>'
    )


def discord_components(rows: Iterable[dict[str, Any]]) -> str:
    out = []
    for row in rows:
        buttons = []
        for button in row.get("components") or []:
            style = BUTTON_STYLES.get(int(button.get("style") or 2), "secondary")
            emoji = (button.get("emoji") or {}).get("name") or ""
            label = html.escape(f"{emoji} {button.get('label') or ''}".strip())
            if button.get("url"):
                href = html.escape(str(button["url"]), quote=True)
                buttons.append(f'<a class="dbutton {style}" href="{href}">{label} ↗</a>')
            else:
                buttons.append(f'<span class="dbutton {style}">{label}</span>')
        out.append(f'<div class="drow">{"".join(buttons)}</div>')
    return "".join(out)


def discord_message(message: Message) -> str:
    content = f'<div class="dcontent">{discord_markdown(message.text)}</div>' if message.text else ""
    embeds = "".join(discord_embed(e) for e in message.embeds)
    images = "".join(image.tag() for image in message.images)
    return f"{_head(message)}{content}{embeds}{images}{discord_components(message.components)}</div></div>"


# ------------------------------------------------------------------------------------------ page

SLACK_CSS = """
body { margin: 0; background: #fff; font: 15px/1.46 Lato, 'Liberation Sans', 'DejaVu Sans', Arial,
  sans-serif, 'Noto Color Emoji'; color: #1d1c1d; }
.thread { width: 760px; padding: 12px 20px; }
.channel { font-weight: 700; padding: 6px 0 10px; border-bottom: 1px solid #e8e8e8; margin-bottom: 8px; }
.message { display: flex; gap: 8px; padding: 8px 0; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #4a154b; color: #fff;
  display: flex; align-items: center; justify-content: center; flex: none; }
.content { flex: 1; min-width: 0; } .avatar.other { background: #e01e5a; }
.author { font-weight: 900; } .app { font-size: 10px; background: #e8e8e8; color: #616061;
  padding: 1px 3px; border-radius: 2px; font-weight: 700; vertical-align: middle; }
.header { font-size: 18px; font-weight: 900; margin: 4px 0; }
.section { display: flex; gap: 12px; margin: 4px 0; } .section .body { flex: 1; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
.context { color: #616061; font-size: 12px; margin: 4px 0; display: flex; gap: 8px; flex-wrap: wrap; }
.divider { border: 0; border-top: 1px solid #dddddd; margin: 8px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.button { border: 1px solid #c9c9c9; border-radius: 4px; padding: 3px 12px; font-size: 13px; font-weight: 700;
  color: #1d1c1d; text-decoration: none; background: #fff; white-space: nowrap; }
.button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
.button.danger { color: #e01e5a; border-color: #e01e5a; }
a { color: #1264a3; text-decoration: none; }
code { font: 12px Monaco, Menlo, monospace; color: #e01e5a; background: #f6f6f6; border: 1px solid #e8e8e8;
  border-radius: 3px; padding: 0 3px; }
pre { font: 12px Monaco, Menlo, monospace; background: #f8f8f8; border: 1px solid #e8e8e8; border-radius: 4px;
  padding: 8px; white-space: pre-wrap; margin: 4px 0; }
.quote { border-left: 4px solid #dddddd; padding-left: 8px; display: inline-block; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
.file { margin-top: 6px; } .file-title { font-size: 13px; color: #616061; }
.file img, .image img { max-width: 600px; border: 1px solid #e8e8e8; border-radius: 8px; }
"""

DISCORD_CSS = """
body { margin: 0; background: #313338; font: 16px/1.375 'gg sans', 'Liberation Sans', 'DejaVu Sans', Arial,
  sans-serif, 'Noto Color Emoji'; color: #dbdee1; }
.thread { width: 760px; padding: 12px 16px; }
.channel { font-weight: 600; color: #f2f3f5; padding: 6px 0 10px; border-bottom: 1px solid #3f4147;
  margin-bottom: 8px; }
.message { display: flex; gap: 16px; padding: 6px 0; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #5865f2; display: flex;
  align-items: center; justify-content: center; flex: none; }
.content { flex: 1; min-width: 0; } .avatar.other { background: #da373c; }
.author { color: #f2f3f5; font-weight: 500; } .app { font-size: 10px; background: #5865f2; color: #fff;
  padding: 1px 4px; border-radius: 3px; vertical-align: middle; }
.dcontent { margin: 2px 0; }
.embed { background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 12px 12px;
  margin: 4px 0; max-width: 520px; font-size: 14px; }
.embed-author { font-size: 13px; font-weight: 600; color: #f2f3f5; margin-top: 4px; }
.embed-title { font-weight: 600; color: #f2f3f5; margin-top: 6px; font-size: 16px; }
.embed-description { margin-top: 6px; }
.embed-fields { display: flex; flex-wrap: wrap; gap: 6px 12px; margin-top: 8px; }
.embed-field { flex: 1 1 100%; } .embed-field.inline { flex: 1 1 30%; }
.embed-field-name { font-weight: 600; color: #f2f3f5; }
.embed-footer { font-size: 12px; color: #b5bac1; margin-top: 8px; }
.drow { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0; }
.dbutton { border-radius: 3px; padding: 2px 16px; font-size: 14px; font-weight: 500; color: #fff;
  text-decoration: none; line-height: 32px; white-space: nowrap; }
.dbutton.primary { background: #5865f2; } .dbutton.secondary, .dbutton.link { background: #4e5058; }
.dbutton.success { background: #248046; } .dbutton.danger { background: #da373c; }
a { color: #00a8fc; text-decoration: none; }
code { font: 13px Consolas, 'Andale Mono', monospace; background: #2b2d31; border-radius: 3px;
  padding: 0 3px; }
pre { font: 13px Consolas, 'Andale Mono', monospace; background: #2b2d31; border: 1px solid #1e1f22;
  border-radius: 4px; padding: 8px; white-space: pre-wrap; margin: 4px 0; }
.quote { border-left: 4px solid #4e5058; padding-left: 8px; display: inline-block; }
.mention { background: rgba(88, 101, 242, .3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; }
.subtext { font-size: 12px; color: #949ba4; } .heading { font-weight: 700; font-size: 18px; color: #f2f3f5; }
.file { margin-top: 6px; } .file-title { font-size: 13px; color: #949ba4; }
.file img { max-width: 600px; border-radius: 8px; }
"""


def thread_page(platform: str, channel: str, messages: Sequence[Message]) -> str:
    """A whole HTML page: the thread's messages as the platform's client lays them out."""
    slack = platform == "slack"
    body = "".join((slack_message if slack else discord_message)(m) for m in messages)
    css = SLACK_CSS if slack else DISCORD_CSS
    name = html.escape(channel)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(platform)} thread</title><style>{css}</style></head>"
        f'<body><div class="thread"><div class="channel">Thread in #{name}</div>{body}</div></body></html>'
    )
