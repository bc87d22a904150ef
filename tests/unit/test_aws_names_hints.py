"""Alert hints from the names of the AWS resources made for Kubernetes objects, and from people's
words naming an object with its kind."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.alerts.alert_text import parse_alert_text
from shared.alerts.aws_names import controller_names
from shared.alerts.context import build_alert_context


def test_a_controller_made_target_group_gives_the_namespace_and_the_name() -> None:
    names = controller_names(["targetgroup/k8s-payments-ledger-0f1e2d3c4b/9a8b7c6d5e4f3a21"])
    assert [(n.namespace, n.name, n.cut) for n in names] == [("payments", "ledger", False)]
    assert controller_names(["targetgroup/web-blue/0123456789abcdef"]) == []


def test_an_alarm_on_a_target_group_is_about_the_service_behind_it() -> None:
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C1",
        text="[FIRING:1] ALBUnhealthyTargets (warning): ALB target group has unhealthy targets",
        labels={
            "alertname": "ALBUnhealthyTargets",
            "job": "cloudwatch-exporter",
            "target_group": "targetgroup/k8s-web-frontend-0a1b2c3d4e/8a7b6c5d4e3f2a10",
        },
        received_at=datetime(2026, 11, 22, 21, 40, tzinfo=UTC),
    )
    assert ctx.hints.namespace == "web"
    assert ctx.hints.service == "frontend"


def test_a_load_balancer_word_is_not_the_subject_of_the_alert() -> None:
    assert parse_alert_text("ELB target group has unhealthy targets").service is None


def test_a_person_naming_an_object_and_its_namespace() -> None:
    hints = parse_alert_text("the new billing-web ingress in `invoicing` has no address since the deploy")
    assert (hints.service, hints.namespace) == ("billing-web", "invoicing")
    hints = parse_alert_text("the ledger deployment in the payments namespace has no ready pods")
    assert (hints.workload, hints.namespace) == ("ledger", "payments")


def test_a_plain_word_after_in_is_not_taken_for_a_namespace() -> None:
    hints = parse_alert_text("the checkout service in prod is down")
    assert hints.namespace is None


def test_an_alarm_on_a_database_instance_is_about_that_database() -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C1",
        text=(
            "CloudWatch Alarm | ledger-db-DatabaseConnections-high | eu-west-1\n"
            "Namespace: AWS/RDS  Metric: DatabaseConnections  Dimensions: DBInstanceIdentifier = ledger-db"
        ),
        received_at=datetime(2026, 11, 22, 21, 40, tzinfo=UTC),
    )
    assert ctx.hints.service == "ledger-db"
