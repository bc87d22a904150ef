"""The master agent: context, fan-out, ranking and synthesis, orchestration, archive."""
