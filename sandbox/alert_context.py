"""The `AlertContext` a scenario's alert produces, built in process (tests and benchmarks that
run analyzers directly, without the intake)."""

from __future__ import annotations

from sandbox.resolved import ResolvedScenario
from shared.alerts.context import build_alert_context
from shared.contracts import AlertContext, Platform


def alert_context_of(resolved: ResolvedScenario) -> AlertContext:
    alert = resolved.alert
    first = alert.alerts[0] if alert.alerts else None
    return build_alert_context(
        platform=Platform(alert.platform),
        channel=alert.channel,
        text=alert.text or "",
        labels=first.labels if first else None,
        annotations=first.annotations if first else None,
        received_at=alert.at,
        starts_at=first.starts_at if first else None,
        generator_url=(first.generator_url or None) if first else None,
        cluster_default=resolved.context.cluster,
        region=resolved.region,
    )
