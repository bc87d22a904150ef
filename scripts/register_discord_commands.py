"""Register sre-on-call's Discord application commands (a bulk overwrite, so it is idempotent).

    DISCORD_BOT_TOKEN=... python scripts/register_discord_commands.py --app-id 123456789012345678 \\
        [--guild-id 987654321098765432]      # guild commands appear at once; global ones take up to an hour
    python scripts/register_discord_commands.py --app-id 1 --dry-run   # print the JSON, send nothing

The token is read from the environment variable named by --token-env, never from the command line.
The names match what lambda_adapter.discord_routes answers: `/sre-snapshot`, `/investigate` and the
"Investigate" message command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx

API = "https://discord.com/api/v10"
CHAT_INPUT = 1  # a slash command
MESSAGE = 3  # a context-menu command on a message
STRING = 3  # option type


def commands() -> list[dict[str, Any]]:
    """The command set, in Discord's application-command JSON."""
    return [
        {
            "type": CHAT_INPUT,
            "name": "sre-snapshot",
            "description": "Investigate now and post a snapshot of what the scanners see",
            "options": [
                {
                    "type": STRING,
                    "name": "scope",
                    "description": "Service, namespace or alert text to focus on",
                    "required": False,
                }
            ],
        },
        {
            "type": CHAT_INPUT,
            "name": "investigate",
            "description": "Investigate an alert (the newest one in this channel when no text is given)",
            "options": [
                {
                    "type": STRING,
                    "name": "alert",
                    "description": "The alert text to investigate",
                    "required": False,
                }
            ],
        },
        # Discord delivers channel messages only over the Gateway, so an alert another bot posted
        # reaches the webhook intake through this right-click action.
        {"type": MESSAGE, "name": "Investigate"},
    ]


def endpoint(app_id: str, guild_id: str | None) -> str:
    if guild_id:
        return f"{API}/applications/{app_id}/guilds/{guild_id}/commands"
    return f"{API}/applications/{app_id}/commands"


def register(app_id: str, guild_id: str | None, token: str, client: httpx.Client) -> httpx.Response:
    """PUT the whole command set (Discord replaces what was registered before)."""
    return client.put(
        endpoint(app_id, guild_id),
        json=commands(),
        headers={"Authorization": f"Bot {token}", "User-Agent": "sre-on-call (register_discord_commands)"},
        timeout=15.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--app-id", required=True, help="Discord application id")
    parser.add_argument("--guild-id", default=None, help="register in one guild instead of globally")
    parser.add_argument("--token-env", default="DISCORD_BOT_TOKEN", help="env var holding the bot token")
    parser.add_argument("--dry-run", action="store_true", help="print the request and send nothing")
    args = parser.parse_args(argv)
    if not args.app_id.isdigit():
        parser.error("--app-id must be a Discord snowflake (digits)")

    if args.dry_run:
        print(f"PUT {endpoint(args.app_id, args.guild_id)}")
        print(json.dumps(commands(), indent=2))
        return 0
    token = os.environ.get(args.token_env, "")
    if not token:
        print(f"error: set {args.token_env} to the bot token", file=sys.stderr)
        return 2
    with httpx.Client() as client:
        try:
            answer = register(args.app_id, args.guild_id, token, client)
        except httpx.HTTPError as e:
            print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    if answer.is_success:
        names = [c.get("name") for c in answer.json()]
        print(f"registered {len(names)} commands: {', '.join(map(str, names))}")
        return 0
    print(f"error: Discord answered {answer.status_code}: {answer.text[:500]}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
