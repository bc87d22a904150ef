"""The real Alertmanager turns posted alerts into exactly one version-4 webhook with our token."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sandbox.alertmanager import AlertmanagerSandbox, alertmanager_binary, scenario_alerts
from sandbox.resolved import scenario_group_by
from sandbox.scenario import load_scenario
from shared.errors import SourceError

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(alertmanager_binary() is None, reason="prometheus-alertmanager is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A loopback webhook endpoint that records every delivery."""

    def __init__(self) -> None:
        self.deliveries: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        deliveries = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                deliveries.put((self.headers.get("Authorization", ""), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alertmanager"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_posted_alert_arrives_once_as_a_v4_webhook(receiver: Receiver, tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/db-pool-exhausted.yaml")
    resolved = scenario.resolve(datetime.now(UTC))
    with AlertmanagerSandbox(tmp_path, receiver.url, bearer_token="am-secret-token") as am:
        am.post_alerts(scenario_alerts(resolved))
        authorization, payload = receiver.deliveries.get(timeout=15)
        assert authorization == "Bearer am-secret-token"
        assert payload["version"] == "4"
        assert payload["status"] == "firing"
        assert payload["receiver"] == "sre-on-call"
        assert payload["groupKey"] == '{}:{alertname="HighErrorRate"}'
        assert payload["groupLabels"] == {"alertname": "HighErrorRate"}
        assert payload["externalURL"] == am.url
        (alert,) = payload["alerts"]
        assert alert["labels"]["service"] == "payments-api"
        assert alert["annotations"]["summary"].startswith("payments-api 5xx")
        # The payload the sandbox builds itself must match what the real Alertmanager sends.
        built = scenario.alertmanager_payload(resolved.now, external_url=am.url)
        assert set(payload) == set(built)
        assert set(alert) == set(built["alerts"][0])
        for key in ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"):
            assert alert[key] == built["alerts"][0][key], key
        for key in ("groupKey", "groupLabels", "commonLabels", "commonAnnotations", "truncatedAlerts"):
            assert payload[key] == built[key], key
        with pytest.raises(queue.Empty):  # group_wait passed once: no second delivery
            receiver.deliveries.get(timeout=1.0)
    assert am.process is None


def test_missing_alertmanager_reports_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert alertmanager_binary() is None
    with pytest.raises(SourceError, match="not installed"):
        AlertmanagerSandbox(tmp_path, "http://127.0.0.1:9/x").start()


def test_post_requires_a_running_alertmanager(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not running"):
        AlertmanagerSandbox(tmp_path, "http://127.0.0.1:9/x").post_alerts([])


TWO_RULES = """\
id: two-rules
title: a node alert and a workload alert about one outage
alert:
  platform: alertmanager
  channel: C0ALERTS
  at: now-1m
  alerts:
    - labels: {alertname: KubeNodeNotReady, node: ip-10-0-5-23.ec2.internal, severity: warning, cluster: prod}
      annotations: {summary: "Node is not ready."}
      startsAt: now-3m
    - labels: {alertname: TargetDown, namespace: realtime, service: ws-gateway,
               severity: critical, cluster: prod}
      annotations: {summary: "One or more targets are unreachable."}
      startsAt: now-5m
expected:
  category: node_failure
"""


def test_a_scenarios_alerts_of_several_rules_arrive_as_one_notification(
    receiver: Receiver, tmp_path: Path
) -> None:
    path = tmp_path / "two-rules.yaml"
    path.write_text(TWO_RULES, encoding="utf-8")
    scenario = load_scenario(path)
    resolved = scenario.resolve(datetime.now(UTC))
    workdir = tmp_path / "am"
    with AlertmanagerSandbox(
        workdir, receiver.url, group_by=scenario_group_by(resolved), group_wait="0s"
    ) as am:
        am.post_alerts(scenario_alerts(resolved))
        _, payload = receiver.deliveries.get(timeout=15)
        names = sorted(a["labels"]["alertname"] for a in payload["alerts"])
        assert names == ["KubeNodeNotReady", "TargetDown"]
        built = scenario.alertmanager_payload(resolved.now, external_url=am.url)
        assert payload["groupKey"] == built["groupKey"] == '{}:{cluster="prod"}'
        with pytest.raises(queue.Empty):
            receiver.deliveries.get(timeout=1.0)
