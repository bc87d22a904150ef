"""Alert storms: many alerts about one service within `storm_window_seconds` share one
investigation and one thread; the later ones become a one-line note in that thread.

The group is the service (or, without one, the namespace) in its cluster, read from the alert's
labels first and from the hints extracted from its text second. An alert naming neither is never
grouped: joining unrelated alerts would hide one of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.contracts import Hints

_SERVICE_LABELS = ("service", "service_name", "app_kubernetes_io_name", "app", "deployment", "workload")
_NAMESPACE_LABELS = ("namespace", "kubernetes_namespace", "exported_namespace")
_CLUSTER_LABELS = ("cluster", "cluster_name", "eks_cluster")


def _first(labels: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = labels.get(name)
        if value:
            return value.strip().lower()
    return None


def storm_group(labels: Mapping[str, str], hints: Hints | None = None) -> str | None:
    """`cluster|namespace|service` (service `*` when only the namespace is known), or None."""
    hints = hints or Hints()
    service = _first(labels, _SERVICE_LABELS) or (hints.service or hints.workload or "").lower() or None
    namespace = _first(labels, _NAMESPACE_LABELS) or (hints.namespace or "").lower() or None
    if service is None and namespace is None:
        return None
    cluster = _first(labels, _CLUSTER_LABELS) or (hints.cluster or "").lower()
    return f"{cluster}|{namespace or '*'}|{service or '*'}"


def storm_note(alert_name: str, severity: str | None, summary: str) -> str:
    """The one line a joining alert adds to the storm's thread."""
    head = f"Also firing: *{alert_name}*" if alert_name else "Another alert for this service"
    tail = f" ({severity})" if severity else ""
    line = f"{head}{tail}"
    if summary:
        line = f"{line}: {summary}"
    line = " ".join(line.split())
    return line if len(line) <= 300 else f"{line[:297]}..."
