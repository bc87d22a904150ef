"""An alert whose rule reads the ALERTS series (an inhibitor, a meta-alert) is about the alerting
pipeline: the scanner says so and points at no problem, whatever its expression evaluates to."""

from __future__ import annotations

from datetime import timedelta

from test_prometheus_analyzers import NOW, STEP, frame, line

from agents.prometheus.analyzers import AlertEvaluation, analyze_alert
from shared.contracts import CauseCategory

INHIBITOR = (
    'ALERTS{severity = "info"} == 1 unless on (namespace) '
    'ALERTS{alertname != "InfoInhibitor", severity =~ "warning|critical", alertstate="firing"} == 1'
)


def evaluation(expr: str) -> AlertEvaluation:
    held = [line({"namespace": "reporting"}, [1.0] * 60)]
    return AlertEvaluation(
        alert_name="Inhibitor", expr=expr, source="rules API", series=held, values=held, step=STEP
    )


def test_a_rule_over_alerts_is_no_issue_and_says_why() -> None:
    [finding] = analyze_alert(evaluation(INHIBITOR), frame(namespace="reporting"))
    assert finding.cause_hint is CauseCategory.NO_ISSUE
    assert "alert about other alerts" in finding.title and "ALERTS" in finding.title


def test_a_workload_rule_that_holds_is_not_mistaken_for_one() -> None:
    [finding] = analyze_alert(
        evaluation('sum(rate(http_requests_total{code=~"5.."}[5m])) > 1'), frame(namespace="reporting")
    )
    assert finding.cause_hint is None and finding.first_seen is not None
    assert finding.first_seen >= NOW - timedelta(hours=1)
