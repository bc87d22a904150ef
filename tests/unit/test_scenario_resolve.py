from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.resolved import fingerprint, resolve_times_deep
from sandbox.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)


def test_oom_example_resolves_to_absolute_times() -> None:
    resolved = load_scenario(ROOT / "examples/scenarios/oom-after-deploy.yaml").resolve(NOW)
    assert resolved.now == NOW
    assert resolved.alert.at == NOW - timedelta(minutes=2)
    assert resolved.alert.text is not None and "KubePodCrashLooping" in resolved.alert.text
    messages = resolved.slack_channels[0].messages
    assert [m.at for m in messages][:2] == [NOW - timedelta(hours=3), NOW - timedelta(minutes=41)]
    assert messages[-1].bot is True

    stream = resolved.log_groups[0].streams[0]
    times = [e.timestamp for e in stream.events]
    assert times == sorted(times)
    heap = [e for e in stream.events if "heap usage 93%" in e.message]
    assert len(heap) == 12
    assert heap[0].timestamp == NOW - timedelta(minutes=14)
    assert heap[-1].timestamp == NOW - timedelta(minutes=14) + 11 * timedelta(seconds=30)

    pod = next(o for o in resolved.kube_objects if o["metadata"]["name"] == "checkout-7d9f8c6b5-x2k4p")
    assert pod["metadata"]["creationTimestamp"] == "2026-11-22T21:00:00Z"
    terminated = pod["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert terminated == {
        "reason": "OOMKilled",
        "exitCode": 137,
        "startedAt": "2026-11-22T21:35:00Z",
        "finishedAt": "2026-11-22T21:36:00Z",
    }
    assert "shop/checkout-7d9f8c6b5-x2k4p/app/previous" in resolved.pod_logs


def test_resolving_twice_does_not_share_objects() -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/oom-after-deploy.yaml")
    first = scenario.resolve(NOW)
    second = scenario.resolve(NOW + timedelta(hours=1))
    assert first.kube_objects[1]["metadata"]["creationTimestamp"] == "2026-11-22T20:59:00Z"
    assert second.kube_objects[1]["metadata"]["creationTimestamp"] == "2026-11-22T21:59:00Z"


def test_series_expand_into_steps_with_value_and_ramp_segments() -> None:
    resolved = load_scenario(ROOT / "examples/scenarios/oom-after-deploy.yaml").resolve(NOW)
    assert resolved.prometheus is not None
    memory = resolved.prometheus.series[0]
    assert memory.name == "container_memory_working_set_bytes"
    samples = dict(memory.samples)
    assert len(samples) == 81  # 40 minutes every 30 s, both ends
    assert samples[NOW - timedelta(minutes=40)] == pytest.approx(2.4e8)
    # a ramp's midpoint, and the boundary belonging to the next segment
    assert samples[NOW - timedelta(minutes=22, seconds=30)] == pytest.approx((2.4e8 + 5.36e8) / 2)
    assert samples[NOW - timedelta(minutes=5)] == pytest.approx(2.5e8)
    assert samples[NOW] == pytest.approx(4.9e8)
    steps = {b - a for (a, _), (b, _) in zip(memory.samples, memory.samples[1:], strict=False)}
    assert steps == {timedelta(seconds=30)}


def test_now_is_truncated_to_whole_seconds_and_made_utc() -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/oom-after-deploy.yaml")
    resolved = scenario.resolve(NOW.replace(microsecond=700_000))
    assert resolved.now == NOW
    assert resolved.now.tzinfo is UTC


def test_deep_replacement_only_touches_exact_relative_strings() -> None:
    obj = {"a": ["now-1m", "now-1m ago", {"b": "now"}], "now-5m": 3, "c": 5, "d": "Now"}
    assert resolve_times_deep(obj, NOW) == {
        "a": ["2026-11-22T21:39:00Z", "now-1m ago", {"b": "2026-11-22T21:40:00Z"}],
        "now-5m": 3,
        "c": 5,
        "d": "Now",
    }


def test_alertmanager_payload_is_a_version_4_webhook() -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/db-pool-exhausted.yaml")
    body = scenario.alertmanager_payload(NOW, receiver="sre", external_url="http://am:9093")
    assert body["version"] == "4"
    assert body["receiver"] == "sre"
    assert body["status"] == "firing"
    assert body["groupKey"] == '{}:{alertname="HighErrorRate"}'
    assert body["groupLabels"] == {"alertname": "HighErrorRate"}
    assert body["commonLabels"]["service"] == "payments-api"
    assert body["externalURL"] == "http://am:9093"
    assert body["truncatedAlerts"] == 0
    (alert,) = body["alerts"]
    assert alert["startsAt"] == "2026-11-22T21:36:00Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["status"] == "firing"
    assert alert["fingerprint"] == fingerprint(alert["labels"])
    assert set(alert) == {
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    }


def test_resolved_alerts_and_common_labels() -> None:
    scenario = parse_scenario(
        {
            "id": "two-alerts",
            "title": "t",
            "alert": {
                "platform": "alertmanager",
                "channel": "C1",
                "at": "now",
                "alerts": [
                    {
                        "labels": {"alertname": "A", "pod": "p1", "ns": "x"},
                        "startsAt": "now-10m",
                        "endsAt": "now-1m",
                    },
                    {
                        "labels": {"alertname": "A", "pod": "p2", "ns": "x"},
                        "startsAt": "now-5m",
                        "generatorURL": "http://prom/graph",
                    },
                ],
            },
            "expected": {"category": "no_issue"},
        }
    )
    body = scenario.alertmanager_payload(NOW)
    assert [a["status"] for a in body["alerts"]] == ["resolved", "firing"]
    assert body["status"] == "firing"
    assert body["alerts"][0]["endsAt"] == "2026-11-22T21:39:00Z"
    assert body["commonLabels"] == {"alertname": "A", "ns": "x"}
    assert body["alerts"][1]["generatorURL"] == "http://prom/graph"
    assert body["alerts"][0]["fingerprint"] != body["alerts"][1]["fingerprint"]


def test_chat_scenarios_have_no_alertmanager_payload() -> None:
    scenario = load_scenario(ROOT / "examples/scenarios/oom-after-deploy.yaml")
    with pytest.raises(ValueError, match="not alertmanager"):
        scenario.alertmanager_payload(NOW)


def test_fingerprint_is_order_independent_and_16_hex() -> None:
    a = fingerprint({"alertname": "X", "pod": "p"})
    assert a == fingerprint({"pod": "p", "alertname": "X"})
    assert len(a) == 16 and int(a, 16) >= 0
