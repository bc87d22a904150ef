"""Grafana unified alerting's webhook contact point on `/grafana`: Alertmanager's body with
`version: "1"` and Grafana's fields (orgId, state, title, message; per alert values, valueString,
dashboardURL, panelURL, silenceURL) is investigated as the Alertmanager group it is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sandbox.intake_fakes import Harness

CORPUS = Path(__file__).resolve().parents[1] / "events" / "corpus"
DOCUMENTED = json.loads((CORPUS / "W05_grafana_webhook_contact_point_v1.payload.json").read_text())
K8S_RULE = json.loads((CORPUS / "GW01_grafana_webhook_k8s_rule.payload.json").read_text())


def resolved(payload: dict[str, Any]) -> dict[str, Any]:
    done = copy.deepcopy(payload) | {"status": "resolved", "state": "ok"}
    for alert in done["alerts"]:
        alert.update(status="resolved", endsAt="2026-11-24T10:02:10Z")
    return done


def test_grafanas_documented_webhook_body_is_investigated() -> None:
    h = Harness()
    answer = h.grafana(DOCUMENTED)
    assert answer.status == 200 and json.loads(answer.body)["outcome"] == "started"
    [root] = h.slack_chat.posted
    # Two rules in one group: both are named, not a generic "Alert".
    assert "High memory usage" in root.text and "High CPU usage" in root.text
    [ctx] = h.started
    assert ctx.hints.alert_name == "High memory usage"
    assert ctx.hints.severity is None  # "High" starts the rule's name; no label gives a severity
    assert "B=44.24" in ctx.text  # the query result that fired the rule reaches the master
    assert ctx.hints.generator_url == "https://play.grafana.org/alerting/1afz29v7z/edit"


def test_a_kubernetes_rule_gives_the_master_its_target() -> None:
    h = Harness()
    h.grafana(K8S_RULE)
    [ctx] = h.started
    hints = ctx.hints
    assert (hints.alert_name, hints.namespace, hints.service) == ("High 5xx rate", "shop", "checkout")
    assert hints.severity is not None and hints.severity.value == "critical"
    started = ctx.alert_started_at
    assert started is not None and started.isoformat().startswith("2026-11-24T09:41")


def test_resolved_state_ok_replies_in_the_thread_and_frees_the_group() -> None:
    h = Harness()
    h.grafana(K8S_RULE)
    h.clock.advance(600)
    answer = h.grafana(resolved(K8S_RULE))
    assert json.loads(answer.body)["outcome"] == "replied"
    root, update = h.slack_chat.posted
    assert update.thread_id == root.id and update.text.startswith("Resolved: High 5xx rate")
    h.clock.advance(60)
    again = copy.deepcopy(K8S_RULE)
    again["alerts"][0]["startsAt"] = "2026-11-24T10:40:00Z"
    h.grafana(again)
    assert len(h.started) == 2


def test_a_value_grafana_could_not_give_costs_the_value_not_the_alert() -> None:
    h = Harness()
    odd = copy.deepcopy(K8S_RULE)
    odd["alerts"][0]["values"] = {"B": "NaN", "C": None}
    assert h.grafana(odd).status == 200
    [ctx] = h.started
    assert ctx.hints.alert_name == "High 5xx rate" and "values:" not in ctx.text


def test_grafana_legacy_alerting_and_unknown_versions_are_400_with_the_reason() -> None:
    legacy = {  # Grafana's legacy (pre-8) alerting webhook: not Alertmanager's shape at all
        "title": "[Alerting] High CPU",
        "ruleName": "High CPU",
        "state": "alerting",
        "evalMatches": [{"value": 100, "metric": "cpu", "tags": None}],
    }
    answer = Harness().grafana(legacy)
    assert answer.status == 400 and "version" in json.loads(answer.body)["error"]
    answer = Harness().grafana(K8S_RULE | {"version": "2"})
    reason = json.loads(answer.body)["error"]
    assert answer.status == 400 and "'2'" in reason and "'1'" in reason


def test_grafanas_body_on_alertmanagers_route_is_400_naming_its_route() -> None:
    h = Harness()
    answer = h.alertmanager(DOCUMENTED)
    reason = json.loads(answer.body)["error"]
    assert answer.status == 400 and "/grafana" in reason
    assert h.started == [] and h.slack_chat.posted == []


def test_alertmanagers_body_on_grafanas_route_is_400_naming_its_route() -> None:
    body = DOCUMENTED | {"version": "4"}
    answer = Harness().grafana(body)
    assert answer.status == 400 and "/alertmanager" in json.loads(answer.body)["error"]
