"""Regenerate the README's screenshots: a scenario played through the sandbox on Slack and one on
Discord, their threads as the stand-ins received them drawn as HTML (`sandbox.chat_html`), shot
with headless Chromium, and the graph of what moved as the master uploaded it.

    python scripts/screenshots.py [--out docs/screenshots] [--chromium chromium]
        [--slack-scenario examples/scenarios/db-pool-exhausted.yaml]
        [--discord-scenario examples/scenarios/discord-deploy-regression.yaml]

Needs the sandbox extra, Prometheus, and Chromium (Debian: `apt-get install chromium`). Writes
slack-report.png, discord-report.png, graph.png and the HTML pages beside them (build/screenshots).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.chat_html import Image, Message, thread_page  # noqa: E402
from sandbox.scenario import Scenario, load_scenario  # noqa: E402
from sandbox.stack import Played, Sandbox, with_scenario_channels  # noqa: E402
from shared.config import load_config  # noqa: E402

WIDTH = 800
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def slack_thread(sandbox: Sandbox, played: Played) -> tuple[list[Message], bytes | None]:
    """The alert, then every message of the report's thread in its last version, the graph under
    the message it was uploaded after."""
    report = played.report
    channel = report.alert.channel
    latest: dict[str, Any] = {}
    for post in sandbox.slack.posts:  # the sandbox holds only this scenario's posts
        if post.channel == channel:
            latest[post.ts] = post  # an edit (chat.update) replaces what was shown
    messages = _alert_message(played)
    graph = None
    for post in sorted(latest.values(), key=lambda p: float(p.ts)):
        messages.append(Message(text=post.text, blocks=post.blocks or ()))
    for file in sandbox.slack.files.shared:
        if file.channel == channel and file.data:
            graph = file.data
            messages.append(Message(images=(Image(file.data, file.title, file.alt_text),)))
    return messages, graph


def _alert_message(played: Played) -> list[Message]:
    """The alert the thread hangs from, when it was a chat message (Alertmanager posts none)."""
    alert = played.report.alert
    if alert.platform.value == "alertmanager" or not alert.text:
        return []
    return [Message(text=alert.text, author="alerts")]


def discord_thread(sandbox: Sandbox, played: Played) -> list[Message]:
    """The alert, then the thread's messages as the stand-in holds them (embeds, components, and
    the files attached: the graph of what moved)."""
    report = played.report
    guild = sandbox.discord.guild
    with guild.lock:
        channel = guild.channels.get(report.alert.thread_id or "")
        held = sorted(channel.messages.values(), key=lambda m: m.id) if channel else []
        found = [(guild.message_json(m), dict(m.files)) for m in held]
    messages = _alert_message(played)
    for one, files in found:
        if one.get("type") not in (0, 19):  # a thread's starter and system messages
            continue
        images = tuple(
            Image(files[a["id"]], a["filename"], a.get("description") or "")
            for a in one.get("attachments") or []
            if a["id"] in files and str(a.get("content_type", "")).startswith("image/")
        )
        if not one["content"] and not one["embeds"] and not images:
            continue
        messages.append(
            Message(text=one["content"], embeds=one["embeds"], components=one["components"], images=images)
        )
    return messages


def shoot(chromium: str, page: Path, out: Path) -> None:
    """A screenshot of `page`, `WIDTH` px wide, cut below the last line of content."""
    from PIL import Image as PILImage

    with tempfile.TemporaryDirectory(prefix="sre-shot-") as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={WIDTH},4000",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    image = PILImage.open(out).convert("RGB")
    background = image.getpixel((WIDTH - 1, image.height - 1))
    rows = [
        y
        for y in range(image.height)
        if any(image.getpixel((x, y)) != background for x in range(0, WIDTH, 2))
    ]
    bottom = min(image.height, (rows[-1] if rows else image.height) + 16)
    # A palette of 256 colours: a fifth of the size, no visible loss on flat chat colours.
    image.crop((0, 0, WIDTH, bottom)).quantize(256).save(out, optimize=True)


def _graph_came(sandbox: Sandbox, chat: Any) -> bool:
    """The graph was uploaded (Slack: a shared file; Discord: a message with an attachment), or the
    word that it was skipped was posted."""
    if any("No graph" in p.text for p in chat.posts):
        return True
    if chat is sandbox.slack:
        return bool(sandbox.slack.files.shared)
    with sandbox.discord.guild.lock:
        return any(m.files for c in sandbox.discord.guild.channels.values() for m in c.messages.values())


def play(sandbox: Sandbox, scenario: Scenario, chat: Any) -> Played:
    """Play `scenario`; wait (20 s at most) for the graph of what moved, or the word that it was
    skipped, which follow the report, then a moment for late updates."""
    played = sandbox.play(sandbox.load(scenario))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not _graph_came(sandbox, chat):
        time.sleep(0.2)
    time.sleep(1.0)
    return played


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--html", type=Path, default=ROOT / "build" / "screenshots")
    parser.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or ""
    )
    parser.add_argument(
        "--slack-scenario", type=Path, default=ROOT / "examples/scenarios/db-pool-exhausted.yaml"
    )
    parser.add_argument(
        "--discord-scenario", type=Path, default=ROOT / "examples/scenarios/discord-deploy-regression.yaml"
    )
    args = parser.parse_args()
    if not args.chromium:
        sys.stderr.write("Chromium is not installed (Debian: apt-get install chromium); --chromium PATH\n")
        return 2
    slack_scenario, discord_scenario = (
        load_scenario(args.slack_scenario),
        load_scenario(args.discord_scenario),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    args.html.mkdir(parents=True, exist_ok=True)
    with Sandbox(with_scenario_channels(load_config(), [slack_scenario, discord_scenario])) as sandbox:
        slack_played = play(sandbox, slack_scenario, sandbox.slack)
        slack_messages, graph = slack_thread(sandbox, slack_played)
        pages = {"slack-report": thread_page("slack", "alerts", slack_messages)}
        discord_played = play(sandbox, discord_scenario, sandbox.discord)
        pages["discord-report"] = thread_page("discord", "incidents", discord_thread(sandbox, discord_played))
    for name, text in pages.items():
        page = args.html / f"{name}.html"
        page.write_text(text, encoding="utf-8")
        shoot(args.chromium, page, args.out / f"{name}.png")
        sys.stdout.write(f"{args.out / f'{name}.png'}\n")
    if graph:
        (args.out / "graph.png").write_bytes(graph)
        sys.stdout.write(f"{args.out / 'graph.png'}\n")
    else:
        sys.stderr.write("no graph was uploaded to the Slack thread\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
