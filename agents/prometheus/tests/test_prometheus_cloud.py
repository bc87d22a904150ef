"""AWS resources named after the workload, from a CloudWatch exporter: found by the names the
workload's resources carry (a load balancer the AWS Load Balancer Controller named, a Lambda, a
database), and read for what moved: a surge of requests, storage running out."""

from __future__ import annotations

import re

from test_prometheus_analyzers import NOW, POINTS, analyze, frame, line, only, readings, steps

from agents.prometheus.cloud_signals import cloud_lookup
from agents.prometheus.common import Frame
from agents.prometheus.promql import Subject, alarm_dimensions
from shared.alerts.context import build_alert_context
from shared.contracts import CauseCategory, Severity, Trigger

ALB = {"dimension_LoadBalancer": "app/k8s-web-shopfron-2b3c4d5e6f/1a2b3c4d5e6f7a8b", "job": "yace"}


def _matches(selector: str, value: str) -> bool:
    pattern = re.search(r'=~"(.*)"', selector)
    assert pattern is not None
    return re.fullmatch(pattern.group(1).replace("\\\\", "\\"), value) is not None


def test_the_lookup_finds_the_load_balancer_the_controller_named_after_the_workload() -> None:
    lookup = cloud_lookup(Subject(service="web-shopfront"))
    assert lookup is not None
    kind, names, selectors = lookup
    assert (kind, names) == ("cloud", "aws_.+")
    lb = next(s for s in selectors if s.startswith("dimension_LoadBalancer"))
    assert _matches(lb, ALB["dimension_LoadBalancer"])
    assert not _matches(lb, "app/k8s-web-checkout-9f8e7d6c5b/0a1b2c3d4e5f6a7b")
    fn = next(s for s in selectors if s.startswith("dimension_FunctionName"))
    assert _matches(fn, "web-shopfront") and not _matches(fn, "web-shopfront2")
    assert cloud_lookup(Subject(namespace="web")) is None


def test_a_request_count_surge_on_the_workloads_load_balancer_is_traffic() -> None:
    key = "cloud:aws_applicationelb_request_count_sum:x"
    found = analyze(readings(**{key: [line(ALB, steps(1400, 11200, 80))]}), frame(service="web-shopfront"))
    surge = only(found, "cloud")
    assert surge.cause_hint is CauseCategory.TRAFFIC_SPIKE and surge.change is Trigger.TRAFFIC
    assert "request_count" in surge.title and "8.0x" in surge.title and "k8s-web-shopfron" in surge.title


def test_a_database_that_ran_out_of_storage_is_a_full_disk_and_flat_series_say_nothing() -> None:
    db = {"dimension_DBInstanceIdentifier": "shopfront-db", "job": "yace"}
    falling = [4.0e10 - 4.0e10 * i / (POINTS - 10) for i in range(POINTS - 10)] + [0.0] * 10
    found = analyze(
        readings(
            **{
                "cloud:aws_rds_free_storage_space_average:x": [line(db, falling)],
                "cloud:aws_rds_cpuutilization_average:x": [line(db, [31.0] * POINTS)],
            }
        ),
        frame(service="shopfront"),
    )
    full = only(found, "cloud")
    assert full.cause_hint is CauseCategory.DISK_FULL and full.severity is Severity.CRITICAL
    assert "shopfront-db" in full.title and "free_storage_space" in full.title


ALARM = (
    ":rotating_light: *CloudWatch Alarm | cart-items-gsi-WriteThrottleEvents | us-east-1*\n"
    "*Metric:* AWS/DynamoDB WriteThrottleEvents TableName=cart-items "
    "GlobalSecondaryIndexName=by-sku-index (Sum, 60s)"
)


def test_a_cloudwatch_alarm_names_the_dimensions_of_its_own_metric() -> None:
    assert alarm_dimensions(ALARM) == (
        ("TableName", "cart-items"),
        ("GlobalSecondaryIndexName", "by-sku-index"),
    )
    assert alarm_dimensions(
        "(TargetGroup: targetgroup/k8s-docs-document-5e1c9a7b21/8d2f, LoadBalancer: app/x/1b9e)"
    )[0] == ("TargetGroup", "targetgroup/k8s-docs-document-5e1c9a7b21/8d2f")
    sns = '{"Dimensions": [{"name": "FunctionName", "value": "billing-fn"}]}'
    assert alarm_dimensions(sns) == (("FunctionName", "billing-fn"),)
    assert alarm_dimensions("checkout 5xx above 2% for 10 min") == ()


def test_the_alarms_own_resource_is_looked_up_even_when_it_names_no_workload() -> None:
    subject = Subject(dimensions=(("TableName", "cart-items"),))
    lookup = cloud_lookup(subject)
    assert lookup is not None and lookup[2] == ['dimension_TableName="cart-items"', 'table_name="cart-items"']
    assert cloud_lookup(Subject()) is None


def test_throttles_on_the_alarms_table_index_are_rate_limiting_named_with_its_table() -> None:
    ctx = build_alert_context(platform="slack", channel="C0ALERTS", text=ALARM, received_at=NOW)
    subject = Subject.from_context(ctx)
    assert ("TableName", "cart-items") in subject.dimensions
    gsi = {
        "dimension_TableName": "cart-items",
        "dimension_GlobalSecondaryIndexName": "by-sku-index",
        "job": "yace",
    }
    found = analyze(
        readings(**{"cloud:aws_dynamodb_write_throttle_events_sum:x": [line(gsi, steps(0, 1800, 80))]}),
        Frame(ctx, subject, "http://prometheus:9090"),
    )
    throttled = only(found, "cloud")
    assert throttled.cause_hint is CauseCategory.RATE_LIMITED and throttled.relevance >= 0.9
    assert "cart-items/by-sku-index" in throttled.title and "write_throttle_events" in throttled.title
    assert "the alarm's own metric" in throttled.detail


def test_the_cloudwatch_exporters_snake_case_dimensions_are_read_like_yaces() -> None:
    # The Prometheus CloudWatch exporter labels a dimension `dbinstance_identifier`, YACE
    # `dimension_DBInstanceIdentifier`: the alarm's resource is found and named either way.
    lookup = cloud_lookup(Subject(dimensions=(("DBInstanceIdentifier", "ledger-db"),)))
    assert lookup is not None
    assert 'dbinstance_identifier="ledger-db"' in lookup[2]
    assert 'dimension_DBInstanceIdentifier="ledger-db"' in lookup[2]
    named = cloud_lookup(Subject(service="orders-worker"))
    assert named is not None
    assert any(s.startswith("queue_name=~") and _matches(s, "orders-worker-events") for s in named[2])


def test_connections_to_a_database_that_climbed_to_its_alarm_are_its_slots_filling_up() -> None:
    db = {"dbinstance_identifier": "ledger-db", "job": "cloudwatch-exporter"}
    ctx = build_alert_context(
        platform="slack",
        channel="C0",
        text="ALARM ledger-db-connections | Dimensions: DBInstanceIdentifier = ledger-db",
        received_at=NOW,
    )
    found = analyze(
        readings(**{"cloud:aws_rds_database_connections_average:x": [line(db, steps(110, 395, 60))]}),
        Frame(ctx, Subject.from_context(ctx), "http://prom.test:9090"),
    )
    slots = only(found, "cloud")
    assert slots.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert "ledger-db" in slots.title and "database_connections" in slots.title and "3.6x" in slots.title
    assert "the resource the alarm's own metric is about" in slots.detail


def test_any_data_store_that_ran_out_of_storage_is_said_as_background_until_tied() -> None:
    # Not named after the workload: found by the estate-wide look-up, rated as background. A
    # client's error or the store's own log naming it is what ties it to the alert.
    db = {"dimension_DBInstanceIdentifier": "media-pg-prod", "job": "yace"}
    falling = [3.0e10 - 3.0e10 * i / (POINTS - 10) for i in range(POINTS - 10)] + [0.0] * 10
    found = analyze(
        readings(
            **{
                "cloud-any:aws_rds_free_storage_space_average:x": [line(db, falling)],
                "cloud-any:aws_rds_free_storage_space_average:y": [line(db, [8.0e10] * POINTS)],
            }
        ),
        frame(service="uploader"),
    )
    full = only(found, "cloud")
    assert full.cause_hint is CauseCategory.DISK_FULL and "media-pg-prod" in full.title
    assert full.resources == ("media-pg-prod",) and full.relevance == 0.3
