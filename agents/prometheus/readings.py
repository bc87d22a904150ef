"""What the fetchers hand the analyzers: each signal's PromQL and the series it returned."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.prometheus.client import Series


@dataclass
class Readings:
    exprs: dict[str, str] = field(default_factory=dict)
    series: dict[str, list[Series]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, key: str) -> list[Series]:
        return self.series.get(key, [])

    def expr(self, key: str) -> str:
        return self.exprs.get(key, "")

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.series if k.startswith(prefix))
