"""The Prometheus scanner's read-only Strands tools (LLM mode), over the same client and change-point
detection as the deterministic scan; every answer is capped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from strands import tool

from agents.prometheus.changepoint import detect_change
from agents.prometheus.client import PrometheusClient, Series
from agents.prometheus.promql import graph_link
from agents.prometheus.reader import Window
from shared.errors import SourceError


def _compact(series: list[Series], max_series: int = 10, max_points: int = 30) -> list[dict[str, Any]]:
    out = []
    for s in series[:max_series]:
        stride = max(1, len(s.points) // max_points)
        out.append(
            {
                "labels": s.labels,
                "points": [[t.strftime("%H:%M:%S"), round(v, 6)] for t, v in s.points[::stride]],
            }
        )
    return out


def make_tools(client_for: Callable[[], PrometheusClient]) -> list[Any]:
    """Read-only Strands tools over the client `client_for()` returns; every answer is capped."""

    def window(minutes: int) -> Window:
        end = datetime.now(UTC)
        return Window(end - timedelta(minutes=max(1, min(minutes, 24 * 60))), end)

    def guarded(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return {"status": "ok", **call()}
        except SourceError as e:
            return {"status": "error", "error": str(e)}

    @tool
    def prometheus_query(expr: str) -> dict:
        """Evaluate a PromQL expression now (an instant query). Use it for current values, e.g.
        `kube_pod_container_resource_limits{namespace="shop",resource="memory"}`. Returns at most 20
        series with their labels and value.

        Args:
            expr: the PromQL expression.
        """
        client = client_for()
        return guarded(
            lambda: {
                "result": [
                    {"labels": s.metric, "value": s.value[1] if s.value else None}
                    for s in client.query(expr)[:20]
                ]
            }
        )

    @tool
    def prometheus_query_range(expr: str, minutes: int = 60) -> dict:
        """Evaluate a PromQL expression over the last `minutes` (at most 24 h) and report, per
        series (at most 10, 30 points each), the points and the change-point: whether it stepped or
        ramped, when (onset, UTC), and the level before and after. Includes the Prometheus graph link.

        Args:
            expr: the PromQL expression, e.g. `sum(rate(http_requests_total{service="checkout"}[5m]))`.
            minutes: how far back to look, in minutes.
        """
        w = window(minutes)

        def run() -> dict[str, Any]:
            client = client_for()
            series = client.query_range(expr, w.start, w.end, w.step)
            changes = []
            for s in series[:10]:
                change = detect_change(s.points)
                changes.append(
                    None
                    if change is None
                    else {
                        "kind": change.kind,
                        "onset": change.onset.isoformat(),
                        "before": round(change.before, 6),
                        "after": round(change.after, 6),
                    }
                )
            return {
                "series": _compact(series),
                "changes": changes,
                "graph": graph_link(client.ui_url, expr, w.end - w.start),
            }

        return guarded(run)

    @tool
    def prometheus_series(match: str, minutes: int = 60) -> dict:
        """List the label sets of series matching a selector seen in the last `minutes` (at most
        100), to find which metrics and labels exist, e.g. `{namespace="shop",pod=~"checkout-.*"}`.

        Args:
            match: a series selector with at least one non-empty matcher.
            minutes: how far back to look, in minutes.
        """
        w = window(minutes)
        return guarded(lambda: {"series": client_for().series([match], w.start, w.end, limit=100)})

    @tool
    def prometheus_alert_rules(alert_name: str = "") -> dict:
        """The alerting rules Prometheus evaluates (name, expression, for, labels, state); only those
        named `alert_name` when given. At most 30 rules.

        Args:
            alert_name: an alert name such as "HighErrorRate", or empty for all.
        """

        def run() -> dict[str, Any]:
            rules = [
                r
                for g in client_for().rules("alert")
                for r in g.rules
                if not alert_name or r.name == alert_name
            ]
            return {
                "rules": [
                    {
                        "name": r.name,
                        "expr": r.query,
                        "for_seconds": r.duration,
                        "labels": r.labels,
                        "state": r.state,
                    }
                    for r in rules[:30]
                ]
            }

        return guarded(run)

    @tool
    def prometheus_firing_alerts() -> dict:
        """Alerts Prometheus currently has pending or firing (at most 50), with labels and since when."""
        return guarded(
            lambda: {
                "alerts": [
                    {
                        "labels": a.labels,
                        "state": a.state,
                        "active_at": a.activeAt.isoformat() if a.activeAt else None,
                    }
                    for a in client_for().alerts()[:50]
                ]
            }
        )

    @tool
    def prometheus_target_health() -> dict:
        """Scrape targets that are not up (at most 50), with their last error: a down exporter
        means missing data, not necessarily a down service."""
        return guarded(
            lambda: {
                "unhealthy": [
                    {"labels": t.labels, "health": t.health, "error": t.lastError}
                    for t in client_for().targets()
                    if t.health != "up"
                ][:50]
            }
        )

    return [
        prometheus_query,
        prometheus_query_range,
        prometheus_series,
        prometheus_alert_rules,
        prometheus_firing_alerts,
        prometheus_target_health,
    ]
