"""The report's Silence button end to end against the real Alertmanager: a signed, confirmed click
by an allowed user creates the silence through the API v2; anyone else, or a value edited on the
way, creates nothing. Re-run starts a new investigation of the thread's alert."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lambda_adapter.settings import ActionSettings, IntakeSettings, Secrets
from sandbox.alertmanager import AlertmanagerSandbox, alertmanager_binary
from sandbox.http import ServedApp
from sandbox.intake_fakes import Harness
from sandbox.signing import TEST_SLACK_SECRET, discord_keypair
from shared.actions import ActionSigner
from shared.contracts import AlertContext, Cause, CauseCategory, Hints, IncidentReport, Platform, Severity
from shared.render import render_discord_parts, render_slack

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(alertmanager_binary() is None, reason="prometheus-alertmanager is not installed"),
]
KEY = "functional-action-key"
ONCALL, STRANGER, ROLE = "U0ONCALL", "U0STRANGER", "111122223333444455"
CHANNEL, ROOT = "C0ALERTS99", "1712345600.000100"
LABELS = {
    "alertname": "KubePodCrashLooping",
    "namespace": "shop",
    "service": "checkout",
    "pod": "checkout-7d9f-x2k4p",
    "severity": "critical",
}


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[AlertmanagerSandbox]:
    # Nothing fires here: the receiver is never called, only the silences API is.
    with AlertmanagerSandbox(tmp_path, "http://127.0.0.1:9/unused") as am:
        yield am


def harness(am_url: str, response_url_prefix: str = "https://hooks.slack.com/") -> Harness:
    _, public_key = discord_keypair()
    settings = IntakeSettings(
        response_url_prefix=response_url_prefix,
        secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET, discord_public_key=public_key),
        actions=ActionSettings(
            key=KEY, alertmanager_url=am_url, allowed_users=(ONCALL,), allowed_groups=(ROLE,)
        ),
    )
    return Harness(settings)


def report() -> IncidentReport:
    at = datetime.now(UTC)
    ctx = AlertContext(
        investigation_id="slack-silence-test-0001",
        platform=Platform.SLACK,
        channel=CHANNEL,
        thread_id=ROOT,
        labels=LABELS,
        received_at=at,
        window_start=at - timedelta(hours=1),
        window_end=at,
        hints=Hints(alert_name="KubePodCrashLooping", severity=Severity.CRITICAL),
    )
    cause = Cause(category=CauseCategory.OOM, summary="Memory exhausted.", confidence=0.9)
    return IncidentReport(investigation_id=ctx.investigation_id, alert=ctx, title="Crash loop", cause=cause)


def slack_button(action_id: str) -> dict[str, Any]:
    [part] = render_slack(report(), ActionSigner(KEY))
    assert part.blocks is not None
    [actions] = [b for b in part.blocks if b["type"] == "actions"]
    return next(e for e in actions["elements"] if e.get("action_id") == action_id)


def click(h: Harness, button: dict[str, Any], user: str, response_url: str = "") -> dict[str, Any]:
    payload = {
        "response_url": response_url,
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "channel_id": CHANNEL, "thread_ts": ROOT},
        "message": {"ts": "1712345700.000300", "thread_ts": ROOT},
        "trigger_id": f"trigger-{user}-{len(h.slack_chat.posted)}",
        "actions": [{"action_id": button["action_id"], "value": button.get("value", ""), "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    answer = h.slack(body, path="/slack/interactions", content_type="application/x-www-form-urlencoded")
    assert answer.status == 200
    return dict(json.loads(answer.body))


def silences(am: AlertmanagerSandbox) -> list[dict[str, Any]]:
    found = httpx.get(f"{am.url}/api/v2/silences", timeout=5, trust_env=False).json()
    return [s for s in found if s["status"]["state"] == "active"]


def test_a_signed_click_by_an_allowed_user_silences_the_alert_for_one_hour(
    alertmanager: AlertmanagerSandbox,
) -> None:
    h = harness(alertmanager.url)
    button = slack_button("sre_silence")
    # Slack shows the confirmation before it sends the click.
    assert button["confirm"]["confirm"]["text"] and "alertname" in button["confirm"]["text"]["text"]

    assert click(h, button, STRANGER)["outcome"] == "refused"
    assert silences(alertmanager) == []
    forged = {**button, "value": button["value"].replace("checkout", "payments")}
    assert click(h, forged, ONCALL)["outcome"] == "refused"
    assert silences(alertmanager) == []

    answer = click(h, button, ONCALL)
    assert answer["outcome"] == "silenced", answer
    [silence] = silences(alertmanager)
    matchers = {m["name"]: m["value"] for m in silence["matchers"]}
    assert matchers == {k: v for k, v in LABELS.items() if k != "severity"}
    assert all(m["isEqual"] and not m["isRegex"] for m in silence["matchers"])
    length = datetime.fromisoformat(silence["endsAt"]) - datetime.fromisoformat(silence["startsAt"])
    assert timedelta(minutes=59) <= length <= timedelta(minutes=61)
    # The thread is told who silenced what.
    [line] = [p for p in h.slack_chat.posted if "Silenced" in p.text]
    assert line.thread_id == ROOT and f"<@{ONCALL}>" in line.text and silence["id"] in line.text


def test_discord_asks_for_confirmation_then_silences_for_a_member_of_an_allowed_role(
    alertmanager: AlertmanagerSandbox,
) -> None:
    h = harness(alertmanager.url)
    parts = render_discord_parts(report(), ActionSigner(KEY))
    message = {"id": "900", "embeds": parts[0].blocks[0]["embeds"] if parts[0].blocks else []}
    rows = parts[-1].blocks[0]["components"] if parts[-1].blocks else []
    custom_id = next(
        b["custom_id"] for row in rows for b in row["components"] if "silence" in b.get("custom_id", "")
    )

    def interact(custom: str, msg: dict[str, Any], roles: list[str]) -> dict[str, Any]:
        answer = h.discord(
            {
                "id": "1234",
                "application_id": "42",
                "type": 3,
                "token": "tok",
                "channel_id": "800",
                "channel": {"id": "800", "parent_id": "700"},
                "member": {"user": {"id": "555"}, "roles": roles},
                "message": msg,
                "data": {"custom_id": custom, "component_type": 2},
            }
        )
        assert answer.status == 200
        return dict(json.loads(answer.body))

    assert "not in a group" in interact(custom_id, message, [])["data"]["content"]
    asked = interact(custom_id, message, [ROLE])
    assert asked["type"] == 4 and asked["data"]["flags"] == 64 and "?" in asked["data"]["content"]
    assert silences(alertmanager) == []  # asking is not doing
    [confirm] = asked["data"]["components"][0]["components"]
    done = interact(confirm["custom_id"], {"id": "901", "embeds": asked["data"]["embeds"]}, [ROLE])
    assert done["type"] == 7 and "Silenced" in done["data"]["content"]
    [silence] = silences(alertmanager)
    assert {m["name"]: m["value"] for m in silence["matchers"]}["pod"] == "checkout-7d9f-x2k4p"


def test_rerun_starts_a_new_investigation_of_the_threads_alert(alertmanager: AlertmanagerSandbox) -> None:
    h = harness(alertmanager.url)
    h.slack_chat.add(
        CHANNEL,
        ROOT,
        "[FIRING:1] KubePodCrashLooping shop checkout",
        at=datetime.fromtimestamp(float(ROOT), UTC),
    )
    answer = click(h, slack_button("sre_rerun"), STRANGER)  # re-running needs no group
    assert answer["outcome"] == "rerun"
    [ctx] = h.started
    assert ctx.thread_id == ROOT and "KubePodCrashLooping" in ctx.text
    assert silences(alertmanager) == []


def test_discord_rerun_investigates_the_message_the_thread_started_from(
    alertmanager: AlertmanagerSandbox,
) -> None:
    h = harness(alertmanager.url)
    # A Discord thread started from a message has that message's id.
    h.discord_chat.add("700", "800", "[FIRING:1] KubePodCrashLooping shop checkout")
    parts = render_discord_parts(report(), ActionSigner(KEY))
    embeds = parts[0].blocks[0]["embeds"] if parts[0].blocks else []
    rows = parts[-1].blocks[0]["components"] if parts[-1].blocks else []
    rerun = next(
        b["custom_id"] for row in rows for b in row["components"] if ":rerun:" in b.get("custom_id", "")
    )
    interaction = {
        "id": "4321",
        "application_id": "42",
        "type": 3,
        "token": "tok",
        "channel_id": "800",
        "channel": {"id": "800", "parent_id": "700", "type": 11},
        "member": {"user": {"id": "555"}, "roles": []},
        "message": {"id": "901", "embeds": embeds},
        "data": {"custom_id": rerun, "component_type": 2},
    }
    answer = json.loads(h.discord(interaction).body)
    assert "Re-running" in answer["data"]["content"]
    [ctx] = h.started
    assert ctx.platform.value == "discord" and ctx.thread_id == "800" and "KubePodCrashLooping" in ctx.text
    # The same button on a message whose embed was edited does nothing.
    forged = {
        **interaction,
        "id": "4322",
        "message": {"id": "901", "embeds": [{**embeds[0], "footer": {"text": "investigation other"}}]},
    }
    assert "signature" in json.loads(h.discord(forged).body)["data"]["content"]
    assert len(h.started) == 1


def test_the_clicker_hears_the_outcome_through_the_response_url(alertmanager: AlertmanagerSandbox) -> None:
    heard: list[dict[str, Any]] = []

    async def respond(request: Request) -> JSONResponse:
        heard.append(await request.json())
        return JSONResponse({"ok": True})

    with ServedApp(Starlette(routes=[Route("/actions/{rest:path}", respond, methods=["POST"])])) as served:
        h = harness(alertmanager.url, response_url_prefix=served.url)
        click(h, slack_button("sre_silence"), STRANGER, response_url=f"{served.url}/actions/T0/1/abc")
        click(h, slack_button("sre_silence"), STRANGER, response_url="https://elsewhere.example/x")
    [said] = heard  # only the intake's configured prefix is followed
    assert said["response_type"] == "ephemeral" and "not in a group" in said["text"]


def test_a_member_of_an_allowed_slack_user_group_may_silence(alertmanager: AlertmanagerSandbox) -> None:
    from lambda_adapter.actions import slack_interactions
    from lambda_adapter.webhook import WebhookRequest
    from sandbox.signing import slack_headers

    h = harness(alertmanager.url)
    looked_up: list[str] = []

    def members(group: str) -> set[str]:
        looked_up.append(group)
        return {"U0MEMBER"} if group == ROLE else set()

    button = slack_button("sre_silence")

    def press(user: str) -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "channel": {"id": CHANNEL},
            "message": {"ts": "1712345700.000300", "thread_ts": ROOT},
            "actions": [{"action_id": "sre_silence", "value": button["value"]}],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = slack_headers(
            TEST_SLACK_SECRET, body, int(h.clock()), content_type="application/x-www-form-urlencoded"
        )
        request = WebhookRequest.build("POST", "/slack/interactions", body=body, headers=headers)
        return str(json.loads(slack_interactions(h.intake, request, members).body)["outcome"])

    assert press(STRANGER) == "refused" and looked_up == [ROLE]
    assert press("U0MEMBER") == "silenced"
    assert len(silences(alertmanager)) == 1
