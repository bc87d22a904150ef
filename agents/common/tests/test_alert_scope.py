"""Where the scanners look from an alert that names its target only loosely: an alarm named after its
resource, and prose words read as names."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.common.scope import scope_from_context
from shared.alerts.context import build_alert_context

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_an_alarm_named_after_its_resource_gives_the_workload_to_look_for() -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        text=":rotating_light: CloudWatch Alarm | statements-renderer-Errors | us-east-1 | OK -> ALARM",
        received_at=NOW,
    )
    scope = scope_from_context(ctx)
    assert "statements-renderer" in scope.names
    assert scope.text_relevance("/aws/lambda/statements-renderer") > scope.text_relevance("/aws/lambda/other")


def test_a_capitalised_prose_word_is_not_taken_for_a_service() -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        text="account pages return 503 Service Temporarily Unavailable since 12:20",
        received_at=NOW,
    )
    scope = scope_from_context(ctx)
    assert "Temporarily" not in scope.names
    assert scope.relevance("web", "account-web") >= 0.5  # nothing named: every object is possible


def test_the_exporter_that_scraped_the_metric_is_not_the_target() -> None:
    """A blackbox probe's `job` and kube-state-metrics' `service` name the scraper, not the app."""
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        labels={
            "alertname": "BlackboxProbeFailed",
            "job": "blackbox-http",
            "instance": "https://docs.example.com/healthz",
            "namespace": "docs",
        },
        received_at=NOW,
    )
    assert scope_from_context(ctx).service is None
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        labels={
            "alertname": "KubeDeploymentReplicasMismatch",
            "service": "kube-prometheus-stack-kube-state-metrics",
            "job": "kube-state-metrics",
            "deployment": "checkout",
            "namespace": "shop",
        },
        received_at=NOW,
    )
    scope = scope_from_context(ctx)
    assert scope.service is None and scope.workload == "checkout"


def test_an_alarm_name_led_by_its_environment_is_about_the_resource_after_it() -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        text=":rotating_light: *CloudWatch Alarm | docs-prod-documents-service-target-5xx | us-east-1*",
        received_at=NOW,
    )
    scope = scope_from_context(ctx)
    assert "documents-service" in scope.names
    stream = "documents-service-5c7d9f8b6-8kq2r_docs_api"
    assert scope.text_relevance(stream) > scope.text_relevance("thumbnailer-6b8f7c5d4-wp9xl_docs_worker")
