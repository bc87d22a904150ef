"""A liveness probe that kills a container before its application has started: the probe finds
nothing listening (connection refused, or no answer in time) and the container has no startupProbe
to hold the liveness probe back. The fix is a startupProbe, not a longer-lived pod."""

from __future__ import annotations

from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.pod_problem import PodProblem

# What a probe sees while the application is still starting: nothing listening yet, or no answer.
_NOT_LISTENING = ("connection refused", "i/o timeout", "context deadline exceeded", "client.timeout")
_KILLS = frozenset({"crashloop", "restarts"})


def _spec(problem: PodProblem) -> dict[str, Any] | None:
    for container in o.spec(problem.pod).get("containers") or []:
        if container.get("name") == problem.container:
            return dict(container)
    return None


def _liveness_not_listening(problem: PodProblem) -> bool:
    for event in problem.events:
        message = str(event.get("message", "")).lower()
        if "liveness probe" in message and any(sign in message for sign in _NOT_LISTENING):
            return True
    return False


def killed_before_started(problem: PodProblem) -> str | None:
    """`killed by its liveness probe before it listens ... no startupProbe` for a restarting
    container whose liveness probe finds nothing listening, when it has no startupProbe; else None."""
    if problem.kind not in _KILLS or not _liveness_not_listening(problem):
        return None
    container = _spec(problem)
    if container is None or container.get("startupProbe") or not container.get("livenessProbe"):
        return None
    probe = container["livenessProbe"]
    delay = int(probe.get("initialDelaySeconds") or 0)
    period = int(probe.get("periodSeconds") or 10)
    threshold = int(probe.get("failureThreshold") or 3)
    return (
        f"killed by its liveness probe before it listens (no startupProbe; {delay + period * threshold} s "
        f"to start: initialDelaySeconds {delay} + {threshold} x {period} s)"
    )
