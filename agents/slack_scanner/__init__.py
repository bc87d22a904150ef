"""The Slack scanner agent (see `agent.py` for its card)."""
