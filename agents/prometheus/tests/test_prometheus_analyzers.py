"""The Prometheus analyzers on synthetic readings: each standard signal gives the finding, cause hint,
change and title facts a person needs, and flat signals give nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.prometheus.analyzers import AlertEvaluation, analyze, analyze_alert
from agents.prometheus.client import Series
from agents.prometheus.common import Frame, fmt_cpu
from agents.prometheus.promql import Subject
from agents.prometheus.readings import Readings
from shared.alerts.context import build_alert_context
from shared.contracts import CauseCategory, Finding, Severity, Trigger

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)
POINTS = 120  # one hour
POD = {"namespace": "shop", "pod": "checkout-7d9f8c6b5-x2k4p", "container": "app"}


def line(labels: dict[str, str], values: list[float], start: datetime | None = None) -> Series:
    first = start or NOW - STEP * (len(values) - 1)
    return Series(labels, tuple((first + STEP * i, v) for i, v in enumerate(values)))


def steps(before: float, after: float, at: int) -> list[float]:
    return [before] * at + [after] * (POINTS - at)


def ramp(first: float, last: float, at: int = 0) -> list[float]:
    n = POINTS - at
    return [first] * at + [first + (last - first) * i / (n - 1) for i in range(n)]


def frame(**labels: str) -> Frame:
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        labels={"alertname": "Test", "severity": "critical", **labels},
        received_at=NOW,
        starts_at=NOW - timedelta(minutes=2),
    )
    return Frame(ctx, Subject.from_context(ctx), "http://prom.test:9090")


def readings(**series: list[Series]) -> Readings:
    return Readings(exprs={k: f"expr_of_{k}" for k in series}, series=dict(series))


def only(findings: list[Finding], kind: str) -> Finding:
    matching = [f for f in findings if f.id.split(":")[1] == kind]
    assert len(matching) == 1, [f.id for f in findings]
    return matching[0]


def test_memory_at_its_limit_is_oom_with_value_limit_and_graph_link() -> None:
    found = analyze(
        readings(
            memory=[
                line(POD, ramp(2.4e8, 5.3e8, at=40)),
                line({**POD, "pod": "checkout-7d9f8c6b5-m9t7c"}, [2.0e8] * POINTS),
            ],
            memory_limit=[
                line(POD, [536870912.0] * POINTS),
                line({**POD, "pod": "checkout-7d9f8c6b5-m9t7c"}, [536870912.0] * POINTS),
            ],
            restarts=[line(POD, steps(0, 3, 110))],
        ),
        frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"),
    )
    memory = only(found, "memory-near-limit")
    assert memory.cause_hint is CauseCategory.OOM and memory.severity is Severity.CRITICAL
    assert "505 MiB of its 512 MiB limit (98.7%)" in memory.title
    assert memory.id == "prometheus:memory-near-limit:shop/checkout-7d9f8c6b5-x2k4p/app"
    evidence = memory.evidence[0]
    assert evidence.reference == "expr_of_memory / on (namespace, pod, container) expr_of_memory_limit"
    assert evidence.url and evidence.url.startswith("http://prom.test:9090/graph?g0.expr=")
    assert "g0.range_input=64m" in evidence.url  # the investigation window: 1 h before the alert + 4 min
    assert "g0.end_input=2026-03-04+21%3A02%3A00" in evidence.url
    restarts = only(found, "restarts")
    assert restarts.cause_hint is CauseCategory.OOM  # restarting at the memory limit: OOM kills
    assert "restarted 3 times" in restarts.title


def test_memory_well_under_its_limit_gives_nothing() -> None:
    found = analyze(
        readings(memory=[line(POD, [2.0e8] * POINTS)], memory_limit=[line(POD, [5.0e8] * POINTS)]),
        frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"),
    )
    assert found == []


def test_cfs_throttling_is_cpu_saturation_with_the_before_level() -> None:
    found = analyze(
        readings(
            throttling=[line(POD, steps(0.02, 0.64, 80))],
            cpu=[line(POD, steps(0.3, 0.99, 80))],
            cpu_limit=[line(POD, [1.0] * POINTS)],
        ),
        frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"),
    )
    cpu = only(found, "cpu-throttled")
    assert cpu.cause_hint is CauseCategory.CPU_SATURATION and cpu.severity is Severity.CRITICAL
    assert "throttled in 64% of CFS periods (was 2% before 20:40 UTC)" in cpu.title
    assert "using 990m of its 1 core CPU limit" in cpu.title


def test_a_cpu_limit_under_one_core_is_named_as_the_pod_spec_writes_it() -> None:
    found = analyze(
        readings(
            throttling=[line(POD, [0.98] * POINTS)],
            cpu=[line(POD, [0.01] * POINTS)],
            cpu_limit=[line(POD, [0.01] * POINTS)],
        ),
        frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"),
    )
    assert "using 10m of its 10m CPU limit" in only(found, "cpu-throttled").title


def test_cpu_at_its_limit_without_throttling_series_is_still_cpu_saturation() -> None:
    other = {**POD, "pod": "checkout-7d9f8c6b5-m9t7c"}
    found = analyze(
        readings(
            cpu=[line(POD, steps(0.4, 1.96, 80)), line(other, [0.5] * POINTS)],
            cpu_limit=[line(POD, [2.0] * POINTS), line(other, [2.0] * POINTS)],
        ),
        frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"),
    )
    cpu = only(found, "cpu-at-limit")
    assert cpu.cause_hint is CauseCategory.CPU_SATURATION and cpu.severity is Severity.CRITICAL
    assert cpu.title == (
        "CPU of shop/checkout-7d9f8c6b5-x2k4p (app) at 98% of its limit: 1.96 cores of 2 cores"
        " (was 0.4 before 20:40 UTC)"
    )
    assert cpu.first_seen == NOW - STEP * 39  # the first sample at the new level
    assert cpu.evidence[0].reference == "expr_of_cpu / on (namespace, pod, container) expr_of_cpu_limit"


def test_cpu_under_its_limit_or_with_throttling_series_gives_no_at_limit_finding() -> None:
    calm = readings(cpu=[line(POD, [1.2] * POINTS)], cpu_limit=[line(POD, [2.0] * POINTS)])
    assert analyze(calm, frame(namespace="shop")) == []
    throttled = analyze(
        readings(
            throttling=[line(POD, steps(0.02, 0.64, 80))],
            cpu=[line(POD, steps(0.3, 0.99, 80))],
            cpu_limit=[line(POD, [1.0] * POINTS)],
        ),
        frame(namespace="shop"),
    )
    assert [f.id.split(":")[1] for f in throttled] == ["cpu-throttled"]  # one finding, not two


def test_latency_names_every_quantile_that_rose_led_by_the_highest() -> None:
    tail_only = analyze(
        readings(
            latency_p50=[line({}, [0.04] * POINTS)],
            latency_p95=[line({}, steps(0.09, 0.9, 80))],
            latency_p99=[line({}, steps(0.12, 2.1, 80))],
        ),
        frame(namespace="shop", service="checkout"),
    )
    latency = only(tail_only, "latency-p99")
    assert (
        latency.title == "checkout p99 latency rose from 120 ms to 2.1 s at 20:40 UTC (p95 90 ms to 900 ms)"
    )
    assert latency.detail == "Only the tail (p99, p95) slowed; the median held."
    assert [e.reference for e in latency.evidence] == ["expr_of_latency_p99", "expr_of_latency_p95"]
    everything = analyze(
        readings(
            latency_p50=[line({}, steps(0.04, 0.4, 80))],
            latency_p95=[line({}, steps(0.09, 0.9, 80))],
        ),
        frame(namespace="shop", service="checkout"),
    )
    latency = only(everything, "latency-p95")
    assert latency.title.endswith("(p50 40 ms to 400 ms)")
    assert latency.detail == "The median rose too: every request is slower, not only the tail."
    flat = readings(latency_p99=[line({}, [0.12] * 60 + [0.2] * 60)])
    assert analyze(flat, frame(namespace="shop", service="checkout")) == []


def test_hpa_at_max_under_a_surge_is_the_scaling_limit_and_the_surge_its_trigger() -> None:
    hpa = {"namespace": "shop", "horizontalpodautoscaler": "checkout"}
    found = analyze(
        readings(
            hpa_current=[line(hpa, [3.0] * 60 + ramp(3, 10, 0)[:30] + [10.0] * 30)],
            hpa_max=[line(hpa, [10.0] * POINTS)],
            hpa_desired=[line(hpa, [3.0] * 90 + [16.0] * 30)],
            requests=[line({}, steps(120.0, 410.0, 60))],
        ),
        frame(namespace="shop", deployment="checkout"),
    )
    at_max = only(found, "hpa-at-max")
    assert at_max.cause_hint is CauseCategory.SCALING_LIMIT
    assert "10 of 10 replicas since 20:45 UTC, desired 16" in at_max.title
    surge = only(found, "request-rate-surge")
    assert surge.change is Trigger.TRAFFIC and surge.cause_hint is None
    assert "3.4x: 120 req/s to 410 req/s from 20:30 UTC" in surge.title


def test_a_surge_without_an_autoscaler_limit_is_a_traffic_spike() -> None:
    found = analyze(
        readings(requests=[line({}, steps(50.0, 240.0, 90))]), frame(namespace="shop", service="api")
    )
    surge = only(found, "request-rate-surge")
    assert surge.cause_hint is CauseCategory.TRAFFIC_SPIKE and surge.change is Trigger.TRAFFIC


def test_steady_traffic_gives_nothing() -> None:
    found = analyze(
        readings(requests=[line({}, [100.0 + (i % 7) for i in range(POINTS)])]),
        frame(namespace="shop", service="api"),
    )
    assert found == []


def test_a_filling_volume_is_disk_full_with_a_projection() -> None:
    pvc = {"namespace": "data", "persistentvolumeclaim": "data-postgres-0"}
    gib = 2.0**30
    found = analyze(
        readings(
            volume_used=[line(pvc, ramp(30 * gib, 47.5 * gib))],
            volume_capacity=[line(pvc, [50 * gib] * POINTS)],
        ),
        frame(namespace="data", statefulset="postgres"),
    )
    volume = only(found, "volume-filling")
    assert volume.cause_hint is CauseCategory.DISK_FULL and volume.relevance >= 0.9
    assert volume.title.startswith("Volume data/data-postgres-0 is 95% full (47.5 GiB of 50 GiB), full in ~")


def test_pool_exhausted_after_its_maximum_was_lowered() -> None:
    pool = {"namespace": "payments", "service": "payments-api", "pool": "HikariPool-1"}
    found = analyze(
        readings(
            **{
                "pool:hikaricp_connections:active": [line(pool, steps(14, 8, 24))],
                "pool:hikaricp_connections:max": [line(pool, steps(40, 8, 24))],
                "pool:hikaricp_connections:pending": [line(pool, steps(0, 37, 96))],
            }
        ),
        frame(namespace="payments", service="payments-api"),
    )
    exhausted = only(found, "pool-exhausted")
    assert exhausted.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert (
        "HikariPool-1 pool exhausted: 8 of 8 connections in use, 37 waiting since 20:48 UTC"
        in exhausted.title
    )
    lowered = only(found, "pool-max-lowered")
    assert lowered.change is Trigger.CONFIG_CHANGE
    assert "lowered from 40 to 8 at 20:12 UTC" in lowered.title


def test_errors_starting_at_a_rollout_with_no_resource_signal_point_at_the_release() -> None:
    old = {"container": "app", "image": "shop/checkout:v2.2.4"}
    new = {"container": "app", "image": "shop/checkout:v2.3.0"}
    found = analyze(
        readings(
            errors=[line({}, steps(0.001, 0.22, 100))],
            images=[line(old, [2.0] * 95), line(new, [2.0] * 25, start=NOW - STEP * 24)],
        ),
        frame(namespace="shop", deployment="checkout"),
    )
    rollout = only(found, "version-change")
    assert rollout.change is Trigger.DEPLOY and "checkout:v2.3.0" in rollout.title
    assert "(was checkout:v2.2.4)" in rollout.title
    errors = only(found, "error-ratio")
    assert errors.cause_hint is CauseCategory.BAD_DEPLOY
    assert "rose from 0.1% to 22% at 20:50 UTC" in errors.title


def test_errors_with_a_resource_explanation_are_not_blamed_on_the_release() -> None:
    found = analyze(
        readings(
            errors=[line({}, steps(0.001, 0.22, 100))],
            images=[
                line({"image": "a:1"}, [1.0] * 95),
                line({"image": "a:2"}, [1.0] * 25, start=NOW - STEP * 24),
            ],
            throttling=[line(POD, steps(0.02, 0.7, 90))],
        ),
        frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"),
    )
    assert only(found, "error-ratio").cause_hint is None


def test_a_neighbour_going_down_is_a_dependency_failure() -> None:
    redis = {"__name__": "redis_up", "service": "redis"}
    found = analyze(
        readings(
            up=[line(redis, steps(1, 0, 70)), line({"__name__": "up", "job": "checkout"}, [1.0] * POINTS)]
        ),
        frame(namespace="shop", deployment="checkout"),
    )
    down = only(found, "target-down")
    assert down.cause_hint is CauseCategory.DEPENDENCY_FAILURE and down.change is Trigger.DEPENDENCY
    assert down.title.startswith("redis_up of shop/redis dropped to 0 at 20:35 UTC")


def test_node_conditions_and_full_node_disks() -> None:
    found = analyze(
        readings(
            node_conditions=[
                line({"node": "ip-10-0-3-17", "condition": "DiskPressure"}, steps(0, 1, 100)),
                line({"node": "ip-10-0-3-17", "condition": "Ready"}, [1.0] * POINTS),
            ],
            node_fs_free=[line({"instance": "ip-10-0-3-17:9100", "mountpoint": "/"}, ramp(0.3, 0.03))],
        ),
        frame(namespace="shop", node="ip-10-0-3-17"),
    )
    assert only(found, "node-condition").title == "Node ip-10-0-3-17 is DiskPressure=True since 20:50 UTC"
    assert only(found, "node-disk").cause_hint is CauseCategory.DISK_FULL


def evaluation(series: list[Series], expr: str = "rate(x[5m]) > 0.05", **kw: object) -> AlertEvaluation:
    return AlertEvaluation("HighErrorRate", expr, "generatorURL", series, STEP, **kw)  # type: ignore[arg-type]


def test_the_alert_expression_says_when_it_began_to_breach() -> None:
    breaching = line({"service": "api"}, [0.3] * 14)  # the last 7 minutes
    found = analyze_alert(
        evaluation([breaching], values=[line({"service": "api"}, [0.31] * 14)], op=">", threshold=0.05),
        frame(service="api"),
    )[0]
    assert found.title == "HighErrorRate: its expression has held since 20:53 UTC (6 min): now 0.31 > 0.05"
    assert found.severity is Severity.CRITICAL and found.cause_hint is None
    assert found.first_seen == NOW - STEP * 13


@pytest.mark.parametrize(
    ("expr", "cause"),
    [
        ("sum(aws_dynamodb_write_throttle_events_sum) > 50", CauseCategory.RATE_LIMITED),
        (
            "rate(container_cpu_cfs_throttled_periods_total[5m]) / rate(container_cpu_cfs_periods_total[5m])"
            " > 0.25",
            CauseCategory.CPU_SATURATION,
        ),
        (
            "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.03",
            CauseCategory.DISK_FULL,
        ),
        ("rate(http_requests_total{code=~'5..'}[5m]) > 1", None),
    ],
)
def test_the_alert_expression_is_evidence_of_what_it_measures(expr: str, cause: CauseCategory | None) -> None:
    breaching = line({"service": "api"}, [0.3] * 14)
    found = analyze_alert(evaluation([breaching], expr=expr), frame(service="api"))[0]
    assert found.cause_hint is cause


def test_a_heartbeat_or_cleared_expression_is_no_issue() -> None:
    heartbeat = analyze_alert(evaluation([], expr="vector(1)"), frame())[0]
    assert heartbeat.cause_hint is CauseCategory.NO_ISSUE and "heartbeat" in heartbeat.title
    earlier = line({}, [0.2] * 10, start=NOW - timedelta(minutes=40))
    cleared = analyze_alert(evaluation([earlier]), frame())[0]
    assert cleared.cause_hint is CauseCategory.NO_ISSUE and "has cleared since" in cleared.title
    never = analyze_alert(evaluation([]), frame())[0]
    assert never.cause_hint is None and "did not hold" in never.title


def test_ids_are_stable_for_the_same_input() -> None:
    data = readings(
        requests=[line({}, steps(50.0, 240.0, 90))], throttling=[line(POD, steps(0.02, 0.64, 80))]
    )
    first = [f.id for f in analyze(data, frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"))]
    assert first == [f.id for f in analyze(data, frame(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p"))]
    assert len(first) == 2


def test_cpu_quantities_are_written_as_a_manifest_writes_them() -> None:
    # A 10m limit is what the Deployment says and what a person searches for, not "0.01 core".
    assert (fmt_cpu(0.01), fmt_cpu(0.25), fmt_cpu(1), fmt_cpu(1.5)) == ("10m", "250m", "1 core", "1.5 cores")
