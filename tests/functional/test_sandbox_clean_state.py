"""One sandbox, many scenarios: each starts clean (log groups of another region included, so two
scenarios may create the same group), a load error names the resource, and the report's Silence
button silences in the sandbox's real Alertmanager (the intake is given its URL)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from sandbox.alertmanager import alertmanager_binary
from sandbox.aws import client, seed_cloudwatch_logs
from sandbox.scenario import Scenario, parse_scenario
from sandbox.settings import ONCALL_SLACK_USER
from sandbox.signing import slack_headers
from sandbox.stack import Sandbox, with_scenario_channels
from shared.config import load_config
from shared.errors import SourceError

pytestmark = pytest.mark.functional

GROUP = "/aws/lambda/invoice-exporter"
REGION = "eu-west-1"


def logs_scenario(scenario_id: str, message: str) -> Scenario:
    return parse_scenario(
        {
            "id": scenario_id,
            "title": "t",
            "alert": {"at": "now-1m", "platform": "slack", "channel": "C0ALERTS", "text": "exporter errors"},
            "context": {"region": REGION},
            "sources": {
                "slack": {"channels": [{"id": "C0ALERTS", "name": "alerts", "messages": []}]},
                "cloudwatch_logs": {
                    "log_groups": [
                        {
                            "name": GROUP,
                            "streams": [{"name": "s1", "events": [{"at": "now-5m", "message": message}]}],
                        }
                    ]
                },
            },
            "expected": {"category": "unknown"},
        }
    )


FIRST = logs_scenario("first-with-the-group", "first scenario's line")
SECOND = logs_scenario("second-with-the-group", "second scenario's line")
LABELS = {
    "alertname": "HighErrorRate",
    "namespace": "payments",
    "service": "payments-api",
    "severity": "critical",
}
FIRING = parse_scenario(
    {
        "id": "alertmanager-to-slack",
        "title": "t",
        "alert": {
            "at": "now-1m",
            "platform": "alertmanager",
            "channel": "C0ALERTS",
            "alerts": [{"labels": LABELS, "annotations": {"summary": "5xx above 5%"}, "startsAt": "now-2m"}],
        },
        "sources": {"slack": {"channels": [{"id": "C0ALERTS", "name": "alerts", "messages": []}]}},
        "expected": {"category": "unknown"},
    }
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(with_scenario_channels(load_config(), [FIRST, SECOND, FIRING])) as running:
        yield running


def events(sandbox: Sandbox) -> list[str]:
    logs = client("logs", sandbox.moto.url, REGION)
    return [e["message"] for e in logs.filter_log_events(logGroupName=GROUP)["events"]]


def test_two_scenarios_may_create_the_same_log_group_in_another_region(sandbox: Sandbox) -> None:
    assert sandbox.config.sources.aws.region != REGION  # the group is not in the config's region
    sandbox.load(FIRST)
    assert events(sandbox) == ["first scenario's line"]
    sandbox.load(SECOND)  # was ResourceAlreadyExistsException
    assert events(sandbox) == ["second scenario's line"]


def test_a_load_error_names_the_log_group_and_its_region(sandbox: Sandbox) -> None:
    resolved = sandbox.load(FIRST)
    with pytest.raises(SourceError) as error:
        seed_cloudwatch_logs(sandbox.moto.url, resolved)  # the group exists already
    assert GROUP in str(error.value) and REGION in str(error.value)
    assert "ResourceAlreadyExists" in str(error.value)


def silence_button(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    for block in blocks:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == "sre_silence":
                return element
    return None


def press(sandbox: Sandbox, button: dict[str, Any], thread: str, user: str) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C0ALERTS"},
        "message": {"ts": thread, "thread_ts": thread},
        "trigger_id": f"trigger-{time.time()}",
        "actions": [{"action_id": "sre_silence", "value": button["value"], "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = slack_headers(
        sandbox.secrets.slack_signing_secret,
        body,
        int(time.time()),
        content_type="application/x-www-form-urlencoded",
    )
    answer = httpx.post(
        f"{sandbox.intake.url}/slack/interactions", content=body, headers=headers, timeout=10, trust_env=False
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_reports_silence_button_silences_the_alert_in_the_sandboxs_alertmanager(
    sandbox: Sandbox,
) -> None:
    if alertmanager_binary() is None:
        pytest.skip("prometheus-alertmanager is not installed")
    played = sandbox.play(sandbox.load(FIRING))
    assert played.delivery.path == "alertmanager" and sandbox.alertmanager is not None
    am = sandbox.alertmanager.url
    assert sandbox.env[sandbox.config.intake.actions.alertmanager_url_env] == am
    [button] = [b for p in sandbox.slack.posts if (b := silence_button(p.blocks or []))]
    thread = played.report.alert.thread_id or ""

    assert press(sandbox, button, thread, "U0SOMEONE")["outcome"] == "refused"  # not allowed
    answer = press(sandbox, button, thread, ONCALL_SLACK_USER)
    assert answer["outcome"] == "silenced", answer

    silences = [
        s for s in httpx.get(f"{am}/api/v2/silences", timeout=5).json() if s["status"]["state"] == "active"
    ]
    [silence] = silences
    matchers = {m["name"]: m["value"] for m in silence["matchers"]}
    assert matchers["alertname"] == "HighErrorRate" and matchers["namespace"] == "payments"
    # The firing alert is now silenced in Alertmanager itself.
    alerts = httpx.get(f"{am}/api/v2/alerts", timeout=5).json()
    assert [a["status"]["silencedBy"] for a in alerts] == [[silence["id"]]]
    # Everyone in the thread is told.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("Silenced" in p.text for p in sandbox.slack.posts):
        time.sleep(0.1)
    assert any("Silenced" in p.text and silence["id"] in p.text for p in sandbox.slack.posts)


def test_the_next_scenario_starts_with_an_empty_alertmanager(sandbox: Sandbox) -> None:
    if alertmanager_binary() is None:
        pytest.skip("prometheus-alertmanager is not installed")
    resolved = sandbox.load(SECOND)
    am = sandbox.serve_alertmanager(resolved)
    assert am is not None and am.url == sandbox.env[sandbox.config.intake.actions.alertmanager_url_env]
    assert httpx.get(f"{am.url}/api/v2/silences", timeout=5).json() == []
    assert httpx.get(f"{am.url}/api/v2/alerts", timeout=5).json() == []
