"""A CloudWatch metric as a finding's evidence names it: the reference is the metric array of a
CloudWatch dashboard's `metrics` (`["AWS/Lambda", "Errors", "FunctionName", "invoice-exporter",
{"stat": "Sum"}]`), which a person can paste into a dashboard's source and the master's graph of
what moved reads back with GetMetricData. A PromQL expression never starts with `[`, so the two
kinds of metric evidence never read as each other."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_STAT = "Average"


@dataclass(frozen=True)
class CloudWatchMetric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str = DEFAULT_STAT
    options: Mapping[str, Any] = field(default_factory=dict)

    def reference(self) -> str:
        """The dashboard metric array, as JSON."""
        flat: list[Any] = [self.namespace, self.name]
        for key, value in self.dimensions:
            flat += [key, value]
        flat.append({**self.options, "stat": self.stat})
        return json.dumps(flat, separators=(", ", ": "))

    @property
    def label(self) -> str:
        """`FunctionName=invoice-exporter` (the metric's name when it has no dimension)."""
        return ",".join(f"{k}={v}" for k, v in self.dimensions) or self.name


def cloudwatch_reference(
    namespace: str, name: str, dimensions: Mapping[str, str] | None = None, stat: str = DEFAULT_STAT
) -> str:
    """The evidence reference of a CloudWatch metric (what a scanner puts in `Evidence.reference`)."""
    return CloudWatchMetric(namespace, name, tuple((dimensions or {}).items()), stat).reference()


def parse_cloudwatch_reference(text: str) -> CloudWatchMetric | None:
    """The metric a reference names, or None when it is not a dashboard metric array (a PromQL)."""
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        flat = json.loads(text)
    except ValueError:
        return None
    if not isinstance(flat, list) or len(flat) < 2:
        return None
    options: dict[str, Any] = {}
    if isinstance(flat[-1], dict):
        options = dict(flat.pop())
    if len(flat) < 2 or len(flat) % 2 or not all(isinstance(part, str) and part for part in flat):
        return None
    namespace, name, *rest = flat
    dimensions = tuple(zip(rest[0::2], rest[1::2], strict=True))
    stat = str(options.pop("stat", DEFAULT_STAT) or DEFAULT_STAT)
    return CloudWatchMetric(namespace, name, dimensions, stat, options)
