"""The sandbox's real Prometheus: backfilled series answer PromQL, rules load, nothing is left running."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.prometheus import PrometheusSandbox, openmetrics_text
from sandbox.resolved import ResolvedScenario
from sandbox.scenario import load_scenario, parse_scenario
from shared.errors import SourceError

pytestmark = pytest.mark.functional
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resolved() -> ResolvedScenario:
    return load_scenario(ROOT / "tests/scenarios/prometheus-rules.yaml").resolve(datetime.now(UTC))


@pytest.fixture(scope="module")
def prometheus(
    resolved: ResolvedScenario, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusSandbox]:
    with PrometheusSandbox(resolved, tmp_path_factory.mktemp("prom")) as sandbox:
        yield sandbox


def api(sandbox: PrometheusSandbox, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{sandbox.url}/api/v1/{path}", params=params, timeout=5.0).json()
    assert answer["status"] == "success", answer
    return answer["data"]


def test_range_query_over_the_last_hour_returns_every_sample(
    prometheus: PrometheusSandbox, resolved: ResolvedScenario
) -> None:
    now = resolved.now.timestamp()
    data = api(
        prometheus,
        "query_range",
        query='http_requests_total{code="500"}',
        start=now - 3600,
        end=now,
        step="60s",
    )
    (series,) = data["result"]
    assert series["metric"] == {"__name__": "http_requests_total", "service": "api", "code": "500"}
    values = [(int(t), float(v)) for t, v in series["values"]]
    assert len(values) == 61
    assert values[0] == (int(now - 3600), 0.0)
    assert values[30] == (int(now - 1800), 0.0)
    assert values[45] == (int(now - 900), 900.0)  # halfway up the ramp
    assert values[-1] == (int(now), 1800.0)


def test_label_escaping_and_exponent_values(
    prometheus: PrometheusSandbox, resolved: ResolvedScenario
) -> None:
    data = api(prometheus, "query", query="queue_depth", time=resolved.now.timestamp())
    (series,) = data["result"]
    assert series["metric"]["note"] == 'quote " and back\\slash'
    assert float(series["value"][1]) == 2.5e8


def test_days_old_samples_are_kept(prometheus: PrometheusSandbox, resolved: ResolvedScenario) -> None:
    at = (resolved.now - timedelta(days=2, hours=12)).timestamp()
    data = api(prometheus, "query", query="disk_used_ratio", time=at)
    assert float(data["result"][0]["value"][1]) == 0.5


def test_rules_are_loaded_and_evaluated(prometheus: PrometheusSandbox) -> None:
    groups = api(prometheus, "rules")["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert set(rules) == {"service:http_500:rate5m", "ApiErrors"}
    assert rules["ApiErrors"]["type"] == "alerting"
    assert rules["ApiErrors"]["labels"] == {"severity": "critical"}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the recording rule runs every evaluation_interval (1 s)
        result = api(prometheus, "query", query="service:http_500:rate5m")["result"]
        if result:
            break
        time.sleep(0.2)
    assert result and float(result[0]["value"][1]) > 0


def test_openmetrics_text_shape(resolved: ResolvedScenario) -> None:
    assert resolved.prometheus is not None
    text = openmetrics_text(resolved.prometheus.series)
    assert text.endswith("# EOF\n")
    assert "# TYPE http_requests_total unknown" in text
    first = text.splitlines()[1]
    assert first.startswith('http_requests_total{code="500",service="api"} 0.0 ')
    assert float(first.rsplit(" ", 1)[1]) == pytest.approx((resolved.now - timedelta(minutes=60)).timestamp())


def test_stops_cleanly(resolved: ResolvedScenario, tmp_path: Path) -> None:
    sandbox = PrometheusSandbox(resolved, tmp_path)
    with sandbox:
        assert sandbox.process is not None
        pid = sandbox.process.pid
        assert pid is not None
        httpx.get(f"{sandbox.url}/-/ready", timeout=5.0).raise_for_status()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.url}/-/ready", timeout=2.0)


def test_bad_rules_fail_to_start_with_the_reason(tmp_path: Path) -> None:
    scenario = parse_scenario(
        {
            "id": "bad-rules",
            "title": "t",
            "alert": {"platform": "slack", "channel": "C1", "at": "now", "text": "x"},
            "sources": {
                "prometheus": {
                    "rules": "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'sum('\n"
                }
            },
            "expected": {"category": "unknown"},
        }
    )
    sandbox = PrometheusSandbox(scenario.resolve(), tmp_path, start_timeout=10)
    with pytest.raises(SourceError, match="exited"):
        sandbox.start()
    assert sandbox.process is None


def test_empty_prometheus_still_serves(tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "tests/scenarios/minimal-discord.yaml")
    with PrometheusSandbox(scenario.resolve(), tmp_path) as sandbox:
        assert api(sandbox, "query", query="up")["result"] == []
