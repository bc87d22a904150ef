"""The intake's own health as CloudWatch metrics, in Embedded Metric Format: a JSON line on stdout
that Lambda's log stream turns into a metric (no API call, no permission, nothing to wait for on
the ack path). Published in the master's namespace (`SRE_METRICS_NAMESPACE`, set by the Terraform
module on both); without it (a local server), nothing is written: `/healthz` says the same.

- `DedupFallbacks` (Count): dedup calls answered from the process's memory because the dedup
  table failed (`lambda_adapter.dedup_fallback`); the module's alarm fires on any.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

ENV_METRICS_NAMESPACE = "SRE_METRICS_NAMESPACE"
DEDUP_FALLBACKS = "DedupFallbacks"


def emf_line(namespace: str, name: str, value: float, *, unit: str = "Count", at_ms: int) -> str:
    """One metric point as an Embedded Metric Format log line."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": at_ms,
                "CloudWatchMetrics": [
                    {"Namespace": namespace, "Dimensions": [[]], "Metrics": [{"Name": name, "Unit": unit}]}
                ],
            },
            name: value,
        },
        separators=(",", ":"),
    )


@dataclass
class IntakeMetrics:
    namespace: str = ""  # empty: publish nothing
    stream: TextIO | None = None  # None: this process's stdout at the time of writing
    clock: Callable[[], float] = time.time

    def count(self, name: str, value: float = 1) -> None:
        if not self.namespace:
            return
        line = emf_line(self.namespace, name, value, at_ms=int(self.clock() * 1000))
        try:
            out = self.stream or sys.stdout
            out.write(line + "\n")
            out.flush()
        except (OSError, ValueError):  # a closed stream must not cost a delivery
            return


def metrics_from_env(environ: Mapping[str, str] | None = None) -> IntakeMetrics:
    env = os.environ if environ is None else environ
    return IntakeMetrics(env.get(ENV_METRICS_NAMESPACE, ""))
