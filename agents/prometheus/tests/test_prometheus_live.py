"""Snapshot, the LLM-mode tools and failure handling against a real Prometheus on loopback."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from agents.common.base import Budget
from agents.prometheus.agent import PrometheusScanner
from agents.prometheus.client import PrometheusClient, client_from_env
from sandbox.procs import free_port
from sandbox.prometheus import PrometheusSandbox
from sandbox.scenario import parse_scenario
from shared.alerts.context import build_alert_context
from shared.config import PrometheusSource, load_config
from shared.contracts import AgentStatus, CauseCategory

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="the prometheus package is not installed"),
]

SCENARIO = {
    "id": "live-checks",
    "title": "series and rules for the live checks",
    "alert": {"platform": "slack", "channel": "C0", "at": "now", "text": "test"},
    "sources": {
        "prometheus": {
            "series": [
                {
                    "labels": {
                        "__name__": "kube_node_status_condition",
                        "node": "ip-10-0-3-17.ec2.internal",
                        "condition": "DiskPressure",
                        "status": "true",
                    },
                    "samples": [
                        {"from": "now-60m", "to": "now-10m", "value": 0},
                        {"from": "now-10m", "to": "now", "value": 1},
                    ],
                },
                {
                    "labels": {"__name__": "queue_depth", "namespace": "jobs", "service": "worker"},
                    "samples": [
                        {"from": "now-60m", "to": "now-20m", "value": 10},
                        {"from": "now-20m", "to": "now", "value": 90},
                    ],
                },
            ],
            "rules": (
                "groups:\n  - name: g\n    rules:\n"
                "      - alert: Watchdog\n        expr: vector(1)\n        labels: {severity: none}\n"
                "      - alert: QueueBacklog\n        expr: queue_depth > 50\n        for: 5m\n"
            ),
        }
    },
    "expected": {"category": "no_issue"},
}


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    resolved = parse_scenario(SCENARIO).resolve()
    with PrometheusSandbox(resolved, tmp_path_factory.mktemp("live")) as prometheus:
        yield prometheus.url


def scanner(url: str) -> PrometheusScanner:
    return PrometheusScanner(load_config(), "prometheus", PrometheusClient(url, timeout=3))


def test_snapshot_lists_firing_alerts(prometheus_url: str) -> None:
    ctx = build_alert_context(
        platform="slack", channel="C0", text="/sre-snapshot", received_at=datetime.now(UTC)
    )
    ctx = ctx.model_copy(update={"mode": "snapshot"})
    deadline = time.monotonic() + 15
    while True:  # the rule group needs one evaluation (1 s interval) before anything fires
        result = scanner(prometheus_url).run(ctx, Budget.of(5))
        if result.findings or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    watchdog = [f for f in result.findings if f.id.startswith("prometheus:firing:Watchdog")]
    assert watchdog and watchdog[0].cause_hint is CauseCategory.NO_ISSUE
    assert result.notes[0].endswith("0 of 0 targets up.")


def test_tools_read_the_server_with_change_points_and_links(prometheus_url: str) -> None:
    tools = {t.tool_name: t for t in scanner(prometheus_url).tools()}
    ranged = tools["prometheus_query_range"](expr='queue_depth{service="worker"}', minutes=60)
    assert ranged["status"] == "ok"
    change = ranged["changes"][0]
    assert change["kind"] == "step" and (change["before"], change["after"]) == (10.0, 90.0)
    onset = datetime.fromisoformat(change["onset"])
    assert abs(onset - (datetime.now(UTC) - timedelta(minutes=20))) < timedelta(minutes=2)
    assert ranged["graph"].startswith(f"{prometheus_url}/graph?g0.expr=queue_depth")
    rules = tools["prometheus_alert_rules"](alert_name="QueueBacklog")
    assert rules["rules"][0]["expr"] == "queue_depth > 50" and rules["rules"][0]["for_seconds"] == 300
    found = tools["prometheus_series"](match='{namespace="jobs"}')
    assert found["series"] == [{"__name__": "queue_depth", "namespace": "jobs", "service": "worker"}]
    bad = tools["prometheus_query"](expr="sum(")
    assert bad["status"] == "error" and "bad_data" in bad["error"]


def test_a_rule_found_by_name_is_evaluated_with_its_breach_start(prometheus_url: str) -> None:
    now = datetime.now(UTC)
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0",
        received_at=now,
        starts_at=now - timedelta(minutes=15),
        labels={"alertname": "QueueBacklog", "namespace": "jobs", "service": "worker"},
    )
    result = scanner(prometheus_url).run(ctx, Budget.of(10))
    expr = next(f for f in result.findings if f.id == "prometheus:alert-expr:QueueBacklog")
    assert expr.first_seen is not None
    assert abs(expr.first_seen - (now - timedelta(minutes=20))) < timedelta(minutes=1)
    assert "now 90 > 50" in expr.title
    queue = next(f for f in result.findings if f.id.startswith("prometheus:queue-growing:"))
    assert "grew from 10 to 90" in queue.title


def test_links_open_the_configured_ui_while_queries_go_to_the_query_url(prometheus_url: str) -> None:
    """Amazon Managed Prometheus serves no UI: with `ui_url_env` set, every link a person clicks opens
    that UI, while the queries still go to the query URL."""
    ui = "https://prometheus-ui.example.com/"
    source = PrometheusSource(ui_url_env="PROMETHEUS_UI_URL")
    client = client_from_env(source, {"PROMETHEUS_URL": prometheus_url, "PROMETHEUS_UI_URL": ui}, timeout=3)
    now = datetime.now(UTC)
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0",
        received_at=now,
        starts_at=now - timedelta(minutes=15),
        labels={"alertname": "QueueBacklog", "namespace": "jobs", "service": "worker"},
    )
    scanner = PrometheusScanner(load_config(), "prometheus", client)
    result = scanner.run(ctx, Budget.of(10))
    assert result.status is AgentStatus.OK and result.findings
    links = [e.url for f in result.findings for e in f.evidence if e.url]
    assert links and all(link.startswith(f"{ui}graph?g0.expr=") for link in links), links
    tools = {t.tool_name: t for t in scanner.tools()}
    ranged = tools["prometheus_query_range"](expr='queue_depth{service="worker"}', minutes=60)
    assert ranged["status"] == "ok" and ranged["graph"].startswith(f"{ui}graph?g0.expr=queue_depth")
    unset = client_from_env(source, {"PROMETHEUS_URL": prometheus_url, "PROMETHEUS_UI_URL": " "})
    assert unset.ui_url == prometheus_url.rstrip("/")


def test_a_node_named_with_dots_is_looked_up_by_a_valid_matcher(prometheus_url: str) -> None:
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0",
        received_at=datetime.now(UTC),
        labels={"alertname": "KubeNodeDiskPressure", "node": "ip-10-0-3-17.ec2.internal"},
    )
    result = scanner(prometheus_url).run(ctx, Budget.of(10))
    assert not result.errors
    node = next(f for f in result.findings if f.id.startswith("prometheus:node-condition:"))
    assert node.title.startswith("Node ip-10-0-3-17.ec2.internal is DiskPressure=True since")
    assert node.cause_hint is CauseCategory.NODE_FAILURE


def test_an_unreachable_server_is_an_error_with_the_reason() -> None:
    ctx = build_alert_context(
        platform="slack",
        channel="C0",
        text="namespace=shop deployment=checkout",
        received_at=datetime.now(UTC),
    )
    result = scanner(f"http://127.0.0.1:{free_port()}").run(ctx, Budget.of(5))
    assert result.status is AgentStatus.ERROR
    assert "ConnectError" in result.errors[0]


def test_a_missing_url_setting_is_an_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_URL", raising=False)
    ctx = build_alert_context(platform="slack", channel="C0", text="x", received_at=datetime.now(UTC))
    result = PrometheusScanner(load_config(), "prometheus").run(ctx, Budget.of(5))
    assert result.status is AgentStatus.ERROR and "PROMETHEUS_URL is not set" in result.errors[0]
