"""The Discord scanner agent (see `agent.py` for its card)."""
