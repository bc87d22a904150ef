"""Alertmanager webhooks through the intake core: one investigation per group, resolved notices in
the existing thread, auth, destination, storms."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sandbox.intake_fakes import Harness

EVENTS = Path(__file__).resolve().parents[1] / "events"
FIRING = json.loads((EVENTS / "alertmanager_firing.json").read_text())
RESOLVED = json.loads((EVENTS / "alertmanager_resolved.json").read_text())


def firing(
    alertname: str = "KubePodCrashLooping", service: str = "checkout", **labels: str
) -> dict[str, Any]:
    payload = copy.deepcopy(FIRING)
    all_labels = {**payload["commonLabels"], "alertname": alertname, "service": service, **labels}
    payload["groupKey"] = f'{{}}:{{alertname="{alertname}", service="{service}"}}'
    payload["groupLabels"] = {"alertname": alertname}
    payload["commonLabels"] = all_labels
    payload["alerts"][0]["labels"] = all_labels
    return payload


def test_firing_posts_the_alert_and_investigates_in_its_thread() -> None:
    h = Harness()
    answer = h.alertmanager(FIRING)
    assert answer.status == 200
    [root] = h.slack_chat.posted
    assert root.channel == "C0LAN2Q65" and root.thread_id is None and "KubePodCrashLooping" in root.text
    [ctx] = h.started
    assert ctx.platform.value == "alertmanager" and ctx.thread_id == root.id
    assert ctx.labels["pod"] == "checkout-7d9f-x2k4p" and ctx.hints.cluster == "prod-eks"
    assert ctx.alert_started_at is not None and ctx.alert_started_at.isoformat().startswith(
        "2024-04-05T19:25"
    )
    assert ctx.hints.generator_url and ctx.hints.generator_url.startswith("http://prometheus.example/graph")


def test_one_investigation_per_group_key() -> None:
    h = Harness()
    h.alertmanager(FIRING)
    h.alertmanager(FIRING)  # Alertmanager's own retry: the same bytes, dropped silently
    later = copy.deepcopy(FIRING)
    later["alerts"].append(
        {**later["alerts"][0], "labels": {**later["alerts"][0]["labels"], "pod": "checkout-x"}}
    )
    h.clock.advance(300)
    h.alertmanager(later)  # the group grew: a line in the thread, not a new investigation
    assert len(h.started) == 1
    root, note = h.slack_chat.posted
    assert note.thread_id == root.id and note.text.startswith("Still firing")


def test_the_same_notification_after_the_delivery_window_is_a_still_firing_line() -> None:
    """Alertmanager's repeat of an unchanged group (repeat_interval) sends the same bytes: past the
    window in which a delivery counts as a retry, it says the group still fires."""
    h = Harness()
    h.alertmanager(FIRING)
    h.clock.advance(h.settings.delivery_seconds - 1)
    assert json.loads(h.alertmanager(FIRING).body)["outcome"] == "duplicate_delivery"
    assert len(h.slack_chat.posted) == 1
    h.clock.advance(2)
    assert json.loads(h.alertmanager(FIRING).body)["outcome"] == "duplicate"
    root, note = h.slack_chat.posted
    assert note.thread_id == root.id and note.text.startswith("Still firing")
    assert len(h.started) == 1


def test_resolved_is_an_update_in_the_existing_thread() -> None:
    h = Harness()
    h.alertmanager(FIRING)
    h.clock.advance(600)
    answer = h.alertmanager(RESOLVED)
    assert json.loads(answer.body)["outcome"] == "replied"
    root, update = h.slack_chat.posted
    assert update.thread_id == root.id and "Resolved" in update.text
    assert len(h.started) == 1
    # The group is free again: the next firing is a new investigation.
    h.clock.advance(60)
    h.alertmanager(FIRING | {"truncatedAlerts": 0, "externalURL": "http://alertmanager.example:9093/"})
    assert len(h.started) == 2


def test_resolved_for_a_group_we_never_saw_fire_is_looked_back_at() -> None:
    """Its firing notification never reached us: the resolution is the last chance to report on it."""
    h = Harness()
    answer = h.alertmanager(RESOLVED)
    assert answer.status == 200 and json.loads(answer.body)["outcome"] == "started"
    [root] = h.slack_chat.posted
    assert "[RESOLVED] KubePodCrashLooping" in root.text and "FIRING" not in root.text
    [ctx] = h.started
    assert "[RESOLVED]" in ctx.text and ctx.thread_id == root.id
    # Alertmanager's retry of the same notification is not a second look.
    h.alertmanager(RESOLVED)
    assert len(h.started) == 1


def test_resolved_for_an_unknown_group_older_than_our_records_is_ignored() -> None:
    h = Harness()
    h.clock.advance(2 * 24 * 3600)  # the group started two days before: we may have reported on it
    answer = h.alertmanager(RESOLVED)
    assert answer.status == 200 and json.loads(answer.body)["outcome"] == "ignored"
    assert h.slack_chat.posted == [] and h.started == []


def test_channel_and_platform_from_the_query() -> None:
    h = Harness()
    h.alertmanager(FIRING, query={"channel": "1226150000000000777", "platform": "discord"})
    [root] = h.discord_chat.posted
    assert root.channel == "1226150000000000777"
    assert h.started[0].channel == "1226150000000000777" and h.slack_chat.posted == []


@pytest.mark.parametrize(
    ("query", "reason"), [({"platform": "teams"}, "platform"), ({"channel": " "}, "channel")]
)
def test_bad_destination_is_400(query: dict[str, str], reason: str) -> None:
    h = Harness()
    if reason == "channel":  # no ?channel= and no intake.alertmanager_channel
        h = Harness(settings=replace(h.settings, alertmanager_channel=None))
    answer = h.alertmanager(FIRING, query=query)
    assert answer.status == 400 and reason in json.loads(answer.body)["error"]


def test_wrong_or_missing_credentials_are_401() -> None:
    h = Harness()
    assert h.alertmanager(FIRING, token="guess").status == 401
    body = json.dumps(FIRING).encode()
    assert h.request("/alertmanager", body, {"content-type": "application/json"}).status == 401
    assert h.started == [] and h.slack_chat.posted == []


def test_basic_auth_is_accepted() -> None:
    h = Harness()
    body = json.dumps(FIRING).encode()
    basic = base64.b64encode(b"alertmanager:" + h.settings.secrets.alertmanager_token.encode()).decode()
    assert h.request("/alertmanager", body, {"authorization": f"Basic {basic}"}).status == 200
    assert len(h.started) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": "3"}, "version"),
        ({"status": "pending"}, "status"),
        ({"groupKey": ""}, "groupKey"),
        ({"alerts": "many"}, "alerts"),
    ],
)
def test_malformed_webhook_is_400_with_the_reason(change: dict[str, Any], reason: str) -> None:
    answer = Harness().alertmanager(FIRING | change)
    assert answer.status == 400 and reason in json.loads(answer.body)["error"]


def test_a_storm_for_one_service_is_one_investigation_and_one_thread() -> None:
    h = Harness()
    names = ["KubePodCrashLooping", "HighErrorRate", "HighLatency", "KubeDeploymentReplicasMismatch"]
    for name in names:
        assert h.alertmanager(firing(name)).status == 200
        h.clock.advance(10)
    assert len(h.started) == 1
    root, *notes = h.slack_chat.posted
    assert len(notes) == 3 and all(n.thread_id == root.id for n in notes)
    assert "HighErrorRate" in notes[0].text and "\n" not in notes[0].text
    # Another service is its own investigation, and after the window the service storms anew.
    h.alertmanager(firing("HighErrorRate", service="payments"))
    h.clock.advance(h.settings.storm_window_seconds + 1)
    h.alertmanager(firing("DiskPressure"))
    assert len(h.started) == 3


def test_a_resolved_storm_member_reports_in_the_storms_thread() -> None:
    h = Harness()
    h.alertmanager(firing("KubePodCrashLooping"))
    member = firing("HighErrorRate")
    h.alertmanager(member)
    resolved = copy.deepcopy(member) | {"status": "resolved"}
    resolved["alerts"][0]["status"] = "resolved"
    h.alertmanager(resolved)
    root = h.slack_chat.posted[0]
    assert (
        h.slack_chat.posted[-1].thread_id == root.id
        and "Resolved: HighErrorRate" in h.slack_chat.posted[-1].text
    )


def test_hand_off_failure_is_503_and_alertmanagers_retry_investigates() -> None:
    h = Harness()
    h.jobs.fail_times = 1
    assert h.alertmanager(FIRING).status == 503
    assert h.alertmanager(FIRING).status == 200
    assert len(h.started) == 1


def test_a_mention_under_the_alerts_root_finds_the_running_investigation() -> None:
    h = Harness()
    h.alertmanager(FIRING)
    [root] = h.slack_chat.posted
    mention = json.loads((EVENTS / "slack_app_mention_thread.json").read_text())
    mention["event"].update(thread_ts=root.id, channel=root.channel)
    h.slack(mention)
    assert len(h.started) == 1
    assert h.slack_chat.posted[-1].thread_id == root.id and "already" in h.slack_chat.posted[-1].text


def test_storm_members_are_not_lost_when_the_leading_investigation_fails() -> None:
    h = Harness(run_jobs=False)
    h.dispatcher.fail_times = 1
    h.alertmanager(firing("KubePodCrashLooping"))
    h.alertmanager(firing("HighErrorRate"))  # joins the storm while the leader's job is still queued
    for job in list(h.jobs.submitted):
        h.worker.run(job)  # the leader's hand-off fails: its claims are released
    assert h.started == []
    assert any("could not start" in p.text for p in h.slack_chat.posted)
    h.clock.advance(300)
    again = firing("HighErrorRate")
    again["alerts"][0]["annotations"] = {"summary": "still failing"}
    h.alertmanager(again)  # the member's next notification: investigated, not swallowed
    for job in h.jobs.submitted[2:]:
        h.worker.run(job)
    assert [ctx.labels["alertname"] for ctx in h.started] == ["HighErrorRate"]


def test_resolved_frees_the_group_even_if_posting_the_update_fails() -> None:
    h = Harness()
    h.alertmanager(FIRING)
    h.slack_chat.post = _broken  # type: ignore[method-assign]
    h.alertmanager(RESOLVED)
    del h.slack_chat.post
    h.clock.advance(h.settings.storm_window_seconds + 1)  # past the storm: a flap within it joins the thread
    h.alertmanager(FIRING | {"receiver": "sre-on-call "})
    assert len(h.started) == 2


def _broken(*_args: object, **_kwargs: object) -> str:
    raise ConnectionError("slack is down")


def test_a_group_of_several_rules_is_told_by_its_most_severe_earliest_alert() -> None:
    payload = copy.deepcopy(FIRING)
    template = payload["alerts"][0]
    node = {
        **template,
        "labels": {"alertname": "KubeNodeNotReady", "node": "ip-10-0-5-23", "severity": "warning"},
        "startsAt": "2024-04-05T19:27:00Z",
    }
    workload = {
        **template,
        "labels": {
            "alertname": "TargetDown",
            "namespace": "realtime",
            "service": "ws-gateway",
            "severity": "critical",
        },
        "startsAt": "2024-04-05T19:25:00Z",
    }
    payload["groupLabels"] = {}
    payload["commonLabels"] = {}
    payload["commonAnnotations"] = {}
    payload["groupKey"] = "{}:{}"
    # Whichever order the group lists them in, the critical alert leads.
    for alerts in ([node, workload], [workload, node]):
        h = Harness()
        h.alertmanager(payload | {"alerts": alerts})
        [ctx] = h.started
        assert ctx.labels["alertname"] == "TargetDown"
        # ...and what it is about is the lead alert's, as if it had fired alone.
        assert (ctx.labels["namespace"], ctx.labels["service"]) == ("realtime", "ws-gateway")
        assert "node" not in ctx.labels


def test_a_redriven_job_keeps_its_storm_in_the_thread_it_starts() -> None:
    """A job run again after a failed hand-off (a redrive) takes its claims back; a storm member
    that arrives afterwards still lands in the thread the second run started."""
    from lambda_adapter.worker import JobError

    h = Harness(run_jobs=False)
    h.worker.raise_failures = True
    h.alertmanager(firing("KubePodCrashLooping"))
    [job] = h.jobs.submitted
    h.dispatcher.fail_times = 1
    with pytest.raises(JobError):
        h.worker.run(job)  # the hand-off fails: its claims are released
    assert h.worker.run(job) is True  # redriven: it takes them back and investigates
    assert len(h.started) == 1
    h.clock.advance(10)
    h.alertmanager(firing("HighErrorRate"))  # a member of the same storm
    for member in h.jobs.submitted[1:]:
        h.worker.run(member)
    assert len(h.started) == 1
    root = h.slack_chat.posted[-2]
    note = h.slack_chat.posted[-1]
    assert note.thread_id == root.id and "HighErrorRate" in note.text
