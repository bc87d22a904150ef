"""The `discord_scanner` kind: what people and bots said in Discord around the alert."""

from shared.config import DiscordSource
from shared.plugins import ScannerKind

KIND = ScannerKind(
    name="discord_scanner",
    build="agents.discord_scanner.agent:build",
    description=(
        "Reads Discord channel history for deploy announcements, earlier firings and symptom reports."
    ),
    source=DiscordSource,
    source_key="discord",
    secret_fields=("bot_token_env",),
    stand_in="discord",  # no AWS actions: it reads untrusted chat text and must reach nothing else
    default_skills=("chat-history",),
)
