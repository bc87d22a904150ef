"""The transport-neutral core: routes, and that it never raises nor answers 5xx, whatever arrives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_adapter.core import route_path
from lambda_adapter.webhook import Headers, WebhookRequest
from sandbox.intake_fakes import Harness
from sandbox.signing import TEST_ALERTMANAGER_TOKEN, discord_headers, slack_headers

EVENTS = Path(__file__).resolve().parents[1] / "events"
PATHS = ["/slack/events", "/slack/commands", "/discord/interactions", "/alertmanager", "/healthz", "/", "/x"]
HARNESS = Harness(run_jobs=False)  # shared: the properties below must hold whatever state it is in


def test_health() -> None:
    answer = Harness().request("/healthz", b"", method="GET")
    assert answer.status == 200 and json.loads(answer.body)["status"] == "ok"


def test_unknown_route_and_wrong_method() -> None:
    h = Harness()
    assert h.request("/nope", b"{}").status == 404
    answer = h.request("/slack/events", b"", method="GET")
    assert answer.status == 405 and answer.headers["allow"] == "POST"


def test_oversized_body_is_refused_before_anything_else() -> None:
    h = Harness()
    assert h.slack(b"{" + b" " * 600_000 + b"}").status == 413


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/prod/slack/events", "/slack/events"),
        ("/slack/events/", "/slack/events"),
        ("/a/b/slack/events", "/a/b/slack/events"),
        ("/healthz", "/healthz"),
    ],
)
def test_stage_prefix_is_tolerated(path: str, route: str) -> None:
    assert route_path(path) == route


def test_headers_are_case_insensitive_and_never_show_values() -> None:
    headers = Headers(
        [("X-Slack-Signature", "v0=abc"), ("x-forwarded-for", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2")]
    )
    assert headers["x-slack-signature"] == "v0=abc" and "X-SLACK-SIGNATURE" in headers
    assert headers["x-forwarded-for"] == "1.1.1.1, 2.2.2.2"
    assert "v0=abc" not in repr(headers)


header_names = st.sampled_from(
    [
        "x-slack-signature",
        "x-slack-request-timestamp",
        "x-signature-ed25519",
        "x-signature-timestamp",
        "authorization",
        "content-type",
        "x-slack-retry-num",
    ]
)
header_values = st.text(max_size=80)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.sampled_from(PATHS) | st.text(max_size=30),
    body=st.binary(max_size=512),
    headers=st.dictionaries(header_names | st.text(max_size=20), header_values, max_size=6),
    query=st.dictionaries(
        st.sampled_from(["channel", "platform"]) | st.text(max_size=8), st.text(max_size=20)
    ),
)
def test_core_never_raises_or_answers_5xx_on_arbitrary_requests(
    method: str, path: str, body: bytes, headers: dict[str, str], query: dict[str, str]
) -> None:
    answer = HARNESS.intake.handle_webhook(
        WebhookRequest.build(method, path, body=body, headers=headers, query=query)
    )
    assert 200 <= answer.status < 500


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
slack_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"])
        | st.text(max_size=10)
    },
    optional={
        "event": st.fixed_dictionaries(
            {"type": st.sampled_from(["app_mention", "message", "reaction_added"]) | st.text(max_size=10)},
            optional={
                "text": json_values,
                "ts": json_values,
                "channel": json_values,
                "thread_ts": json_values,
                "subtype": json_values,
                "bot_id": json_values,
                "reaction": json_values,
                "item": json_values,
                "attachments": json_values,
                "blocks": json_values,
                "user": json_values,
            },
        ),
        "event_id": json_values,
        "challenge": json_values,
        "authorizations": json_values,
        "api_app_id": json_values,
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payload=slack_like | json_values, retry=st.sampled_from([None, "1"]))
def test_signed_arbitrary_slack_payloads_never_5xx(payload: object, retry: str | None) -> None:
    """Past verification too: a correctly signed but odd body is 2xx or 4xx, never a crash."""
    body = json.dumps(payload).encode()
    extra = {"x_slack_retry_num": retry} if retry else {}
    headers = slack_headers("8f742231b10e8888abcd99yyyzzz85a5", body, int(HARNESS.clock()), **extra)
    answer = HARNESS.request("/slack/events", body, headers)
    assert 200 <= answer.status < 500


alertmanager_like = st.fixed_dictionaries(
    {
        "version": st.just("4") | json_values,
        "groupKey": st.text(max_size=30) | json_values,
        "status": st.sampled_from(["firing", "resolved"]) | json_values,
    },
    optional={
        "alerts": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "labels": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4)
                    | json_values,
                    "annotations": json_values,
                    "startsAt": st.text(max_size=30) | json_values,
                    "status": st.sampled_from(["firing", "resolved"]),
                },
            ),
            max_size=3,
        ),
        "commonLabels": st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4) | json_values,
        "groupLabels": json_values,
        "truncatedAlerts": json_values,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(payload=alertmanager_like | json_values)
def test_authorised_arbitrary_alertmanager_payloads_never_5xx(payload: object) -> None:
    body = json.dumps(payload).encode()
    answer = HARNESS.request("/alertmanager", body, {"authorization": f"Bearer {TEST_ALERTMANAGER_TOKEN}"})
    assert 200 <= answer.status < 500


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.fixed_dictionaries(
        {
            "id": st.text(max_size=20) | json_values,
            "application_id": st.text(max_size=20) | json_values,
            "type": st.sampled_from([1, 2, 3]) | json_values,
        },
        optional={
            "channel_id": st.text(max_size=20) | json_values,
            "token": json_values,
            "data": st.fixed_dictionaries(
                {"name": st.sampled_from(["investigate", "sre-snapshot", "Investigate"]) | json_values},
                optional={
                    "type": st.sampled_from([1, 3]),
                    "options": json_values,
                    "target_id": json_values,
                    "resolved": json_values,
                },
            ),
        },
    )
    | json_values
)
def test_signed_arbitrary_discord_payloads_never_5xx(payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = discord_headers(HARNESS.signing_key, body, int(HARNESS.clock()))
    answer = HARNESS.request("/discord/interactions", body, headers)
    assert 200 <= answer.status < 500


def test_canonical_payloads_are_all_accepted() -> None:
    h = Harness()
    for name in (
        "slack_url_verification.json",
        "slack_app_mention.json",
        "slack_bot_alert_message.json",
        "slack_reaction_added.json",
        "slack_app_mention_thread.json",
    ):
        assert h.slack((EVENTS / name).read_bytes()).status == 200, name
    assert h.slack((EVENTS / "slack_slash_snapshot.form").read_bytes(), path="/slack/commands").status == 200
    for name in (
        "discord_ping.json",
        "discord_sre_snapshot.json",
        "discord_investigate.json",
        "discord_message_command.json",
    ):
        assert h.discord((EVENTS / name).read_bytes()).status == 200, name
    for name in ("alertmanager_firing.json", "alertmanager_resolved.json"):
        assert h.alertmanager((EVENTS / name).read_bytes()).status == 200, name


@pytest.mark.parametrize(
    ("route", "body", "sent_as"),
    [
        ("/slack/events", (EVENTS / "slack_app_mention.json").read_bytes(), "text/plain"),
        ("/slack/commands", (EVENTS / "slack_slash_snapshot.form").read_bytes(), "application/json"),
        ("/alertmanager", (EVENTS / "alertmanager_firing.json").read_bytes(), "text/plain; charset=utf-8"),
        (
            "/discord/interactions",
            (EVENTS / "discord_ping.json").read_bytes(),
            "application/x-www-form-urlencoded",
        ),
    ],
)
def test_a_signed_body_of_the_wrong_content_type_is_415_with_the_reason(
    route: str, body: bytes, sent_as: str
) -> None:
    h = Harness()
    stamp = int(h.clock())
    if route.startswith("/slack"):
        headers = slack_headers("8f742231b10e8888abcd99yyyzzz85a5", body, stamp)
    elif route == "/alertmanager":
        headers = {"authorization": f"Bearer {TEST_ALERTMANAGER_TOKEN}"}
    else:
        headers = discord_headers(h.signing_key, body, stamp)
    headers["content-type"] = sent_as
    answer = h.request(route, body, headers, query={"channel": "C0LAN2Q65"})

    assert answer.status == 415
    assert sent_as.split(";")[0] in json.loads(answer.body)["error"]
    assert h.started == [] and h.jobs.submitted == []


def test_a_discord_ping_without_application_id_is_answered() -> None:
    # discord-interactions-js's own PING fixture carries no application_id.
    body = b'{"id": "787053080478613555", "token": "ThisIsATokenFromDiscord", "type": 1, "version": 1}'
    answer = Harness().discord(body)
    assert answer.status == 200 and json.loads(answer.body) == {"type": 1}
