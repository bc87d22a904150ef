"""The Prometheus scanner agent (see `agent.py` for its card)."""
