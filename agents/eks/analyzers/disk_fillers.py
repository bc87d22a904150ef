"""Which pod may be filling a node's disk: among the pods still running on a node under disk
pressure (the kubelet evicts the ones above their request; a writer that survives has a request
or a priority), those that log at a verbose level (a log storm fills /var/log/containers) or started
shortly before the pressure began."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago
from agents.eks.objects import Obj

# An env var that sets a log level (`LOG_LEVEL`, `LOGGING_LEVEL`, `RUST_LOG`, `logging.level`), set
# to a level that writes every step.
_LEVEL_NAME = re.compile(r"log(?:ging)?[_.\-]?level|^rust_log$|^log$|verbosity", re.IGNORECASE)
_VERBOSE = re.compile(r"^(?:trace|debug|all|verbose|finest|v=?[4-9])$", re.IGNORECASE)
# A pod started this long before the pressure began can be what filled the disk.
RECENT = timedelta(hours=6)
MAX_NAMED = 2


def _verbose_env(pod: Obj) -> str | None:
    for container in o.spec(pod).get("containers") or []:
        for env in container.get("env") or []:
            name, value = str(env.get("name", "")), str(env.get("value", "")).strip()
            if _LEVEL_NAME.search(name) and _VERBOSE.match(value):
                return f"{name}={value}"
    return None


def disk_fillers(analysis: Analysis, node: str, since: datetime | None) -> list[str]:
    """`ledger-sync-84f6c9d7b-wq5tz (LOG_LEVEL=TRACE, started 2 h before the alert)` for the pods
    on `node` that may be filling its disk, most likely first; none when no pod shows a sign."""
    suspects: list[tuple[int, float, str]] = []
    for pod in analysis.state.pods:
        if o.spec(pod).get("nodeName") != node or o.status(pod).get("phase") != "Running":
            continue
        started = o.created(pod)
        verbose = _verbose_env(pod)
        recent = started is not None and since is not None and since - RECENT <= started <= since
        if not verbose and not recent:
            continue
        signs = [s for s in (verbose, f"started {ago(analysis.scope, started)}" if started else None) if s]
        newest_first = -started.timestamp() if started else 0.0
        suspects.append((0 if verbose else 1, newest_first, _named(pod, signs)))
    suspects.sort()
    return [text for _, _, text in suspects[:MAX_NAMED]]


def _named(pod: Obj, signs: list[str]) -> str:
    return f"{o.namespace(pod)}/{o.name(pod)}" + (f" ({', '.join(signs)})" if signs else "")
