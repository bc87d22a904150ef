"""LLM mode: model providers, a scanner's model tier, MCP tools, guards and the master's narrative.

With `model.provider: none` nothing here runs. Otherwise `Scanner.run` calls
`scanner_agent.enhance` after the deterministic scan and the master calls `narrative.narrate`
after synthesis; both fall back to the deterministic result on any model failure.
"""
