"""The `slack_scanner` kind: what people and bots said in Slack around the alert."""

from shared.config import SlackSource
from shared.plugins import ScannerKind

KIND = ScannerKind(
    name="slack_scanner",
    build="agents.slack_scanner.agent:build",
    description=(
        "Reads Slack channel history for deploy announcements, earlier firings and symptom reports."
    ),
    source=SlackSource,
    source_key="slack",
    secret_fields=("bot_token_env",),
    stand_in="slack",  # no AWS actions: it reads untrusted chat text and must reach nothing else
    default_skills=("chat-history",),
)
