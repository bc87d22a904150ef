"""Matchers from the alert's hints, the discovery look-ups and plan, and PromQL helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agents.prometheus.promql import (
    Subject,
    expr_from_generator_url,
    is_constant,
    quote,
    split_threshold,
)
from agents.prometheus.signals import Discovery, build_plan, lookups, node_lookups
from shared.alerts.context import build_alert_context

NOW = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)


def subject(**labels: str) -> Subject:
    ctx = build_alert_context(
        platform="alertmanager", channel="C0", labels={"alertname": "X", **labels}, received_at=NOW
    )
    return Subject.from_context(ctx)


def test_the_pod_regex_matches_the_workloads_pods_only() -> None:
    pods = re.compile(subject(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p").pod_regex() or "")
    for name in ("checkout-7d9f8c6b5-x2k4p", "checkout-6b8d5f4c9-q8m2n", "checkout-0", "checkout-x7k2p"):
        assert pods.fullmatch(name), name
    for name in ("checkout-worker-7d9f8c6b5-x2k4p", "frontend-5c4b9d7f6-q8m2n", "checkoutx-0"):
        assert not pods.fullmatch(name), name


def test_lookups_are_bounded_and_scoped_by_namespace() -> None:
    planned = lookups(subject(namespace="payments", service="payments-api"))
    # No workload named: the service's name stands for its Deployment's pods.
    # AWS resources (a load balancer, a database) carry the name, never a namespace.
    # Data stores' limits beside their usage, wherever they live (by metric name).
    kinds = ["pod", "app", "hpa", "volume", "up", "cloud", "ena", "cloud_any", "limits"]
    assert [kind for kind, _, _ in planned] == kinds
    assert 'pod=~"payments-api-([a-z0-9]{5,10}-)?[a-z0-9]{5}|payments-api-[0-9]+"' in planned[0][2][0]
    # ...and the ENA drop counters, per node across the cluster: which node drops is what they tell.
    scoped = [m for kind, _, ms in planned if kind not in ("cloud", "ena", "cloud_any", "limits") for m in ms]
    assert all('namespace="payments"' in m for m in scoped)
    assert lookups(Subject()) == []
    assert [k for k, _, _ in node_lookups(["ip-10-0-3-17.ec2.internal"])] == ["node", "node_instance"]


def test_the_plan_asks_only_for_signals_whose_metrics_exist() -> None:
    s = subject(namespace="shop", pod="checkout-7d9f8c6b5-x2k4p")
    discovery = Discovery()
    pod = {"namespace": "shop", "pod": "checkout-7d9f8c6b5-x2k4p", "container": "app"}
    discovery.add("pod", "m", [{"__name__": "container_memory_working_set_bytes", **pod}])
    discovery.add(
        "app",
        "m",
        [
            {"__name__": "http_requests_total", "namespace": "shop", "service": "checkout", "code": "200"},
            {
                "__name__": "http_request_duration_seconds_bucket",
                "namespace": "shop",
                "service": "checkout",
                "le": "1",
            },
            {
                "__name__": "hikaricp_connections_active",
                "namespace": "shop",
                "service": "checkout",
                "pool": "p",
            },
            {"__name__": "hikaricp_connections_max", "namespace": "shop", "service": "checkout", "pool": "p"},
        ],
    )
    plan = build_plan(discovery, s)
    assert set(plan) == {
        "memory",
        "requests",
        "errors",
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "pool:hikaricp_connections:active",
        "pool:hikaricp_connections:max",
    }
    assert plan["errors"] == (
        'sum(rate(http_requests_total{namespace="shop",service="checkout",code=~"5.."}[5m]))'
        ' / sum(rate(http_requests_total{namespace="shop",service="checkout"}[5m]))'
    )
    assert plan["latency_p99"].startswith("histogram_quantile(0.99, sum by (le) (rate(http_request_duration")
    assert 'container!="POD"' in plan["memory"]


def test_a_volume_reported_by_its_available_bytes_is_read_as_used_of_capacity() -> None:
    # kube-prometheus' KubePersistentVolumeFillingUp reads available/capacity: many setups keep no
    # `used` series at all.
    claim = {"namespace": "streaming", "persistentvolumeclaim": "data-kafka-2"}
    discovery = Discovery()
    discovery.add(
        "volume",
        "m",
        [
            {"__name__": "kubelet_volume_stats_available_bytes", **claim},
            {"__name__": "kubelet_volume_stats_capacity_bytes", **claim},
        ],
    )
    plan = build_plan(discovery, subject(namespace="streaming"))
    by_claim = "max by (namespace, persistentvolumeclaim)"
    assert plan["volume_used"] == (
        f'{by_claim} (kubelet_volume_stats_capacity_bytes{{namespace="streaming"}})'
        f' - {by_claim} (kubelet_volume_stats_available_bytes{{namespace="streaming"}})'
    )
    assert "capacity" in plan["volume_capacity"]
    discovery.add("volume", "m", [{"__name__": "kubelet_volume_stats_used_bytes", **claim}])
    assert "available" not in build_plan(discovery, subject(namespace="streaming"))["volume_used"]


def test_alert_expressions_from_generator_urls_and_thresholds() -> None:
    url = (
        "http://prometheus:9090/graph?g0.expr=sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D"
        "%29%29+%2F+sum%28rate%28http_requests_total%5B5m%5D%29%29+%3E+0.05&g0.tab=1"
    )
    expr = expr_from_generator_url(url)
    assert (
        expr == 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05'
    )
    assert split_threshold(expr) == (
        'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
        ">",
        0.05,
    )
    assert split_threshold('up{job="a"} == bool 0') == ('up{job="a"}', "==", 0.0)
    assert split_threshold('rate(x{a=~"b>1"}[5m])') is None
    assert split_threshold("a > b") is None
    assert expr_from_generator_url("http://x/graph?g0.tab=1") is None
    assert is_constant("vector(1)") and not is_constant("vector(1) and on() up == 0")
    assert quote('a"b\\c') == '"a\\"b\\\\c"'


def test_a_node_alert_in_a_group_led_by_a_pods_alert_still_names_its_node() -> None:
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0",
        labels={"alertname": "KubePodNotReady", "namespace": "billing"},
        text=(
            "[FIRING:2] KubePodNotReady, NodeFilesystemAlmostOutOfSpace\n"
            "- Pod not ready [alertname=KubePodNotReady, namespace=billing, pod=invoicer-7d9f8c6b5-x2k4p]\n"
            "- Filesystem has less than 5% left [alertname=NodeFilesystemAlmostOutOfSpace, "
            "device=/dev/nvme0n1p1, instance=10.41.3.7:9100, mountpoint=/]"
        ),
        received_at=NOW,
    )
    s = Subject.from_context(ctx)
    assert s.alert_nodes == ("10.41.3.7",)
    hosts = node_lookups(list(s.alert_nodes))
    assert any("ip-10-41-3-7" in m for _, _, ms in hosts for m in ms)
