"""A server's limit beside its usage: connections at Postgres' max_connections are said with both
numbers and the limit's name, and the client that only began in the window is named by its labels;
a server with room says nothing. Requests that rose from none are new, not a traffic surge."""

from __future__ import annotations

from test_prometheus_analyzers import NOW, POINTS, STEP, analyze, frame, line, only, readings, steps

from agents.prometheus.promql import Subject
from agents.prometheus.readings import Readings
from agents.prometheus.signals import Discovery, build_plan
from shared.contracts import CauseCategory, Severity, Trigger

PG = {"server": "fulfillment-pg"}


def _limits(usage: list, limit: list, by: list | None = None) -> Readings:
    series = {"limit:0:usage": usage, "limit:0:limit": limit, **({"limit:0:by": by} if by else {})}
    return Readings(exprs={k: f"expr_of_{k}" for k in series}, series=series)


def test_connections_at_max_connections_name_the_limit_and_the_new_client() -> None:
    old = line({**PG, "application_name": "shipment-tracker"}, [120.0] * POINTS)
    new = line({**PG, "application_name": "label-printer-worker"}, [270.0] * 40, start=NOW - STEP * 39)
    found = analyze(
        _limits(
            usage=[line(PG, steps(125, 397, POINTS - 40))],
            limit=[line(PG, [400.0] * POINTS)],
            by=[old, new],
        ),
        frame(namespace="fulfillment", service="shipment-tracker"),
    )
    f = only(found, "limit")
    assert "fulfillment-pg connections at 397 of max_connections 400" in f.title
    assert (
        "application_name=label-printer-worker" in f.title and "shipment-tracker" not in f.title.split(";")[1]
    )
    assert f.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION and f.severity is Severity.CRITICAL


def test_a_server_with_room_says_nothing() -> None:
    found = analyze(
        _limits(usage=[line(PG, [120.0] * POINTS)], limit=[line(PG, [400.0] * POINTS)]),
        frame(namespace="fulfillment", service="shipment-tracker"),
    )
    assert not [f for f in found if f.id.split(":")[1] == "limit"]


def test_the_plan_reads_a_found_limit_with_its_usage_by_server_and_client() -> None:
    discovery = Discovery()
    discovery.add(
        "limits",
        "m",
        [
            {"__name__": "pg_settings_max_connections", "server": "orders-pg"},
            {"__name__": "pg_stat_activity_count", "server": "orders-pg", "usename": "report"},
        ],
    )
    plan = build_plan(discovery, Subject(namespace="shop", workload="orders-api"))
    assert plan["limit:0:usage"] == "sum by (server) (pg_stat_activity_count)"
    assert plan["limit:0:limit"] == "max by (server) (pg_settings_max_connections)"
    assert plan["limit:0:by"] == "sum by (server, usename) (pg_stat_activity_count)"


def test_requests_that_rose_from_none_are_new_not_a_surge() -> None:
    found = analyze(
        readings(
            requests=[line({}, steps(0.0, 6.4, POINTS - 28))],
            errors=[line({}, steps(0.0, 1.0, POINTS - 28))],
        ),
        frame(namespace="shop", service="orders-api"),
    )
    f = only(found, "requests-began")
    assert "requests began at" in f.title and "100% of them failing" in f.title
    assert f.cause_hint is None and f.change is not Trigger.TRAFFIC
    assert not [x for x in found if x.id.split(":")[1] == "request-rate-surge"]


def test_a_cache_at_its_maxmemory_as_a_percentage_is_named_by_its_replication_group() -> None:
    node = {"cache_cluster_id": "sessions-prod-0001-001"}
    series = {"limit-pct:0": [line(node, steps(62.0, 99.6, POINTS - 40))]}
    found = analyze(
        Readings(exprs={k: f"expr_of_{k}" for k in series}, series=series),
        frame(namespace="identity", service="session-gateway"),
    )
    f = only(found, "limit")
    assert "ElastiCache sessions-prod memory at 99.6% of its maxmemory" in f.title
    assert "sessions-prod" in f.resources and f.cause_hint is CauseCategory.DEPENDENCY_FAILURE
    assert f.relevance >= 0.8  # the session store of session-gateway, by its name
