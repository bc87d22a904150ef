"""Slack through the intake core: what starts an investigation, what is recognised as the same,
what gets a one-line reply, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from lambda_adapter.dedup import Claim, InMemoryDedupStore, Record
from lambda_adapter.settings import IntakeSettings
from lambda_adapter.worker import HAND_OFF_FAILED
from sandbox.intake_fakes import Harness
from sandbox.signing import TEST_SLACK_SECRET
from shared.config import load_config
from shared.errors import ConfigError

EVENTS = Path(__file__).resolve().parents[1] / "events"
ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "C0LAN2Q65"
ALERT_TS = "1712345600.000100"
ALERT_TEXT = "[FIRING:1] KubePodCrashLooping shop (checkout critical) pod=checkout-7d9f-x2k4p"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def raw(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def seed_alert(h: Harness, ts: str = ALERT_TS, text: str = ALERT_TEXT) -> None:
    h.slack_chat.add(CHANNEL, ts, text, at=datetime.fromtimestamp(float(ts), UTC))


def test_url_verification_echoes_the_challenge() -> None:
    answer = Harness().slack(raw("slack_url_verification.json"))
    assert answer.status == 200
    assert json.loads(answer.body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_app_mention_starts_one_investigation_in_the_mentions_thread() -> None:
    h = Harness()
    answer = h.slack(raw("slack_app_mention.json"))
    assert answer.status == 200
    [ctx] = h.started
    assert ctx.platform.value == "slack" and ctx.channel == CHANNEL
    assert ctx.thread_id == "1712345640.000200"
    assert ctx.hints.service == "checkout" and ctx.hints.namespace == "shop"
    assert "<@" not in ctx.text and "HighErrorRate" in ctx.text


def test_retries_and_duplicate_deliveries_never_investigate_twice() -> None:
    h = Harness()
    body = raw("slack_app_mention.json")
    h.slack(body)
    for retry in ("1", "2", "3"):
        answer = h.slack(body, x_slack_retry_num=retry, x_slack_retry_reason="http_timeout")
        assert answer.status == 200
    h.slack(body)  # a duplicate delivery without retry headers
    assert len(h.started) == 1
    assert h.slack_chat.posted == []  # nothing said for duplicates


def test_message_and_app_mention_events_of_one_message_collapse() -> None:
    """Slack sends both `message` and `app_mention` for a bot alert that mentions the app."""
    h = Harness()
    mention = event("slack_app_mention.json")
    message = event("slack_app_mention.json")
    message["event_id"] = "Ev0OTHER01"
    message["event"].update(type="message", bot_id="B0ALERTMGR", user=None)
    h.slack(message)
    h.slack(mention)
    assert len(h.started) == 1
    assert h.slack_chat.posted == []


def test_mention_in_a_thread_investigates_the_parent_with_the_note() -> None:
    h = Harness()
    seed_alert(h)
    answer = h.slack(raw("slack_app_mention_thread.json"))
    assert answer.status == 200
    [ctx] = h.started
    assert ctx.thread_id == ALERT_TS
    assert ctx.text == ALERT_TEXT  # the parent message, not the mention
    assert ctx.operator_notes == ("can you look at this one? payments deployed v2.3.1 at 19:20",)
    assert ctx.hints.pod == "checkout-7d9f-x2k4p"


def test_second_mention_in_the_same_thread_says_it_is_already_running() -> None:
    h = Harness()
    seed_alert(h)
    h.slack(raw("slack_app_mention_thread.json"))
    again = event("slack_app_mention_thread.json")
    again["event_id"] = "Ev0SECOND01"
    again["event"]["ts"] = "1712345699.000900"
    h.slack(again)
    assert len(h.started) == 1
    [note] = h.slack_chat.posted
    assert note.thread_id == ALERT_TS and "already investigating" in note.text


def test_trigger_reaction_investigates_the_reacted_message() -> None:
    h = Harness()
    seed_alert(h)
    h.slack(raw("slack_reaction_added.json"))
    [ctx] = h.started
    assert ctx.thread_id == ALERT_TS and ctx.text == ALERT_TEXT


def test_other_reactions_are_ignored() -> None:
    h = Harness()
    seed_alert(h)
    payload = event("slack_reaction_added.json")
    payload["event"]["reaction"] = "eyes"
    assert json.loads(h.slack(payload).body)["outcome"] == "ignored"
    assert h.started == []


def test_reaction_on_an_alert_already_investigated_starts_nothing_new() -> None:
    h = Harness()
    seed_alert(h)
    h.slack(raw("slack_bot_alert_message.json"))
    h.slack(raw("slack_reaction_added.json"))
    assert len(h.started) == 1


def test_bot_alert_message_is_investigated_from_its_attachments() -> None:
    h = Harness()
    h.slack(raw("slack_bot_alert_message.json"))
    [ctx] = h.started
    assert ctx.thread_id == ALERT_TS
    assert "KubePodCrashLooping" in ctx.text and "checkout-7d9f-x2k4p" in ctx.text


def _bot_message(text: str, ts: str = "1712345610.000100", event_id: str = "Ev0BOT0001") -> dict[str, Any]:
    payload = event("slack_bot_alert_message.json")
    payload["event_id"] = event_id
    payload["event"].update(text=text, attachments=[], ts=ts, event_ts=ts)
    return payload


def test_bot_messages_that_are_not_alerts_are_left_alone() -> None:
    h = Harness()
    h.slack(_bot_message("Deployed payments v2.3.1 to production by jane"))
    assert h.started == [] and h.slack_chat.posted == []


def test_people_talking_in_the_channel_are_left_alone() -> None:
    h = Harness()
    payload = _bot_message("[FIRING:1] is this the alert from before?")
    payload["event"].pop("bot_id")
    payload["event"].pop("subtype")
    payload["event"]["user"] = "U061F7AUR"
    h.slack(payload)
    assert h.started == []


def test_our_own_messages_never_trigger_anything() -> None:
    h = Harness()
    payload = _bot_message("Report: critical OOMKilled in shop/checkout (ALERT)")
    payload["event"]["app_id"] = payload["api_app_id"]
    h.slack(payload)
    payload = _bot_message("critical ALERT again", ts="1712345611.000100", event_id="Ev0BOT0002")
    payload["event"]["user"] = "U0LAN0Z89"  # the bot user of `authorizations`
    h.slack(payload)
    assert h.started == []


def test_the_same_alert_posted_again_is_noted_in_the_first_thread() -> None:
    h = Harness()
    h.slack(_bot_message("[FIRING:1] DiskFull node ip-10-0-1-12 at 19:30 UTC", ts="1712345610.000100"))
    h.clock.advance(60)
    h.slack(
        _bot_message(
            "[FIRING:1] DiskFull node ip-10-0-1-12 at 19:31 UTC",
            ts="1712345670.000100",
            event_id="Ev0BOT0002",
        )
    )
    assert len(h.started) == 1
    [note] = h.slack_chat.posted
    assert note.thread_id == "1712345610.000100" and "posted again" in note.text


def test_retries_of_a_repost_or_a_storm_member_say_nothing_more() -> None:
    """A delivery answered with a line in another thread (a re-post, a storm member) is not answered
    again when Slack retries it: one line each, and still one investigation."""
    h = Harness()
    h.slack(_bot_message("[FIRING:1] DiskFull node ip-10-0-1-12 at 19:30 UTC", ts="1712345610.000100"))
    h.clock.advance(60)
    repost = _bot_message(
        "[FIRING:1] DiskFull node ip-10-0-1-12 at 19:31 UTC", ts="1712345670.000100", event_id="Ev0BOT0002"
    )
    lead = _bot_message(
        "[FIRING:1] HighErrorRate namespace=shop service=checkout",
        ts="1712345690.000100",
        event_id="Ev0BOT0004",
    )
    h.slack(lead)
    storm = _bot_message(
        "[FIRING:1] HighLatency namespace=shop service=checkout",
        ts="1712345695.000100",
        event_id="Ev0BOT0005",
    )
    for payload in (repost, storm):
        outcomes = [json.loads(h.slack(payload).body)["outcome"]]
        outcomes += [json.loads(h.slack(payload, x_slack_retry_num=n).body)["outcome"] for n in ("1", "2")]
        assert outcomes[1:] == ["duplicate_delivery", "duplicate_delivery"], outcomes
    assert [ctx.thread_id for ctx in h.started] == ["1712345610.000100", "1712345690.000100"]
    again, joined = h.slack_chat.posted
    assert again.thread_id == "1712345610.000100" and "posted again" in again.text
    assert joined.thread_id == "1712345690.000100" and "HighLatency" in joined.text


def test_after_the_dedup_window_the_same_alert_is_investigated_again() -> None:
    h = Harness()
    h.slack(_bot_message("[FIRING:1] DiskFull node ip-10-0-1-12"))
    h.clock.advance(h.settings.dedup_window_seconds + 1)
    h.slack(
        _bot_message("[FIRING:1] DiskFull node ip-10-0-1-12", ts="1712346300.000100", event_id="Ev0BOT0002")
    )
    assert len(h.started) == 2


@pytest.mark.parametrize(
    ("text", "reply"),
    [("<@U0LAN0Z89> thanks!", "welcome"), ("<@U0LAN0Z89>", "react"), ("<@U0LAN0Z89> hi there", "react")],
)
def test_chatter_gets_one_line_in_its_thread(text: str, reply: str) -> None:
    h = Harness()
    payload = event("slack_app_mention.json")
    payload["event"]["text"] = text
    h.slack(payload)
    h.slack(payload, x_slack_retry_num="1")
    assert h.started == []
    [posted] = h.slack_chat.posted
    assert posted.thread_id == "1712345640.000200" and reply in posted.text and "\n" not in posted.text


def test_thanks_in_a_report_thread_is_not_a_new_investigation() -> None:
    h = Harness()
    payload = event("slack_app_mention_thread.json")
    payload["event"]["text"] = "<@U0LAN0Z89> thank you!"
    h.slack(payload)
    assert h.started == []
    [posted] = h.slack_chat.posted
    assert posted.thread_id == ALERT_TS


def test_resolved_in_an_alerts_thread_is_noted_and_investigate_still_works() -> None:
    h = Harness()
    seed_alert(h)
    payload = event("slack_app_mention_thread.json")
    payload["event"]["text"] = "<@U0LAN0Z89> resolved: rolled back v2.3.1"
    h.slack(payload)
    assert h.started == []
    [posted] = h.slack_chat.posted
    assert posted.thread_id == ALERT_TS and posted.text.startswith("Noted: resolved")

    asked = event("slack_app_mention_thread.json")
    asked["event_id"], asked["event"]["ts"] = "Ev0ASKED001", "1712345699.000900"
    asked["event"]["text"] = "<@U0LAN0Z89> resolved, but investigate why it fired"
    h.slack(asked)
    [ctx] = h.started
    assert ctx.thread_id == ALERT_TS and ctx.operator_notes == ("resolved, but investigate why it fired",)


def test_unsure_mention_is_investigated_fail_open() -> None:
    h = Harness()
    payload = event("slack_app_mention.json")
    payload["event"]["text"] = "<@U0LAN0Z89> checkout feels slow for some users"
    h.slack(payload)
    assert len(h.started) == 1


def test_the_model_tier_decides_unsure_text_after_the_ack() -> None:
    asked: list[str] = []

    def model(text: str) -> str:
        asked.append(text)
        return "chatter"

    h = Harness(llm=model)
    payload = event("slack_app_mention.json")
    payload["event"]["text"] = "<@U0LAN0Z89> checkout feels slow for some users"
    assert h.slack(payload).status == 200
    assert asked == ["checkout feels slow for some users"]
    assert h.started == [] and len(h.slack_chat.posted) == 1
    # Clear alerts never wait for the model.
    h.slack(raw("slack_app_mention.json"))
    assert len(asked) == 1 and len(h.started) == 1


def test_bad_or_stale_signature_is_401_and_nothing_happens() -> None:
    h = Harness()
    body = raw("slack_app_mention.json")
    stale = h.slack(body, timestamp=h.clock() - 301)
    forged = h.request(
        "/slack/events",
        body,
        {"x-slack-request-timestamp": str(int(h.clock())), "x-slack-signature": "v0=" + "0" * 64},
    )
    unsigned = h.request("/slack/events", body)
    assert [stale.status, forged.status, unsigned.status] == [401, 401, 401]
    assert h.started == [] and h.jobs.submitted == []
    # Nothing was claimed either: the genuine delivery still investigates.
    h.slack(body)
    assert len(h.started) == 1


@pytest.mark.parametrize(
    ("body", "reason"), [(b"not json", "not JSON"), (b"[1, 2]", "JSON object"), (b'{"event": {}}', "type")]
)
def test_malformed_body_is_400_with_the_reason(body: bytes, reason: str) -> None:
    answer = Harness().slack(body)
    assert answer.status == 400
    assert reason in json.loads(answer.body)["error"]


def test_hand_off_failure_is_503_and_the_retry_investigates() -> None:
    h = Harness()
    h.jobs.fail_times = 1
    body = raw("slack_app_mention.json")
    assert h.slack(body).status == 503
    assert h.started == []
    assert h.slack(body, x_slack_retry_num="1").status == 200
    assert len(h.started) == 1


def test_master_unreachable_releases_the_claims_and_says_so() -> None:
    h = Harness()
    h.dispatcher.fail_times = 1
    seed_alert(h)
    h.slack(raw("slack_reaction_added.json"))
    assert h.started == []
    [posted] = h.slack_chat.posted
    assert posted.text == HAND_OFF_FAILED and posted.thread_id == ALERT_TS
    again = event("slack_reaction_added.json")
    again["event_id"] = "Ev0AGAIN01"
    h.slack(again)  # someone reacts again: now it runs
    assert len(h.started) == 1


def test_unreadable_message_is_reported_not_lost_silently() -> None:
    h = Harness()  # the reacted-to message is not in the channel's history
    h.slack(raw("slack_reaction_added.json"))
    assert h.started == []
    [posted] = h.slack_chat.posted
    assert "could not read" in posted.text


def _command(**changes: str) -> bytes:
    fields = dict(parse_qsl((EVENTS / "slack_slash_snapshot.form").read_text(), keep_blank_values=True))
    fields.update(changes)
    return urlencode(fields).encode()


def test_snapshot_command_acks_the_asker_and_starts_a_snapshot_thread_in_the_channel() -> None:
    h = Harness()
    answer = h.slack(raw("slack_slash_snapshot.form"), path="/slack/commands")
    assert answer.status == 200
    ack = json.loads(answer.body)
    assert ack["response_type"] == "ephemeral" and "30 s" in ack["text"]
    [ctx] = h.started
    [root] = h.slack_chat.posted  # the bot starts the snapshot's thread; the report goes there
    assert ctx.mode == "snapshot" and ctx.channel == CHANNEL and ctx.thread_id == root.id
    assert "Snapshot" in root.text


def test_a_second_snapshot_in_the_window_joins_the_first() -> None:
    h = Harness()
    h.slack(_command(trigger_id="1.1.a"), path="/slack/commands")
    h.clock.advance(5)
    answer = h.slack(_command(trigger_id="1.1.b"), path="/slack/commands")
    assert json.loads(answer.body)["response_type"] == "ephemeral"
    h.clock.advance(30)
    h.slack(_command(trigger_id="1.1.c"), path="/slack/commands")
    assert len(h.started) == 2


def test_unknown_command_is_answered_not_investigated() -> None:
    h = Harness()
    answer = h.slack(_command(command="/deploy"), path="/slack/commands")
    assert answer.status == 200 and "sre-snapshot" in json.loads(answer.body)["text"]
    assert h.started == []


def test_a_storm_of_bot_alerts_for_one_service_joins_the_first_thread() -> None:
    h = Harness()
    h.slack(_bot_message("[FIRING:1] HighErrorRate namespace=shop service=checkout", ts="1712345610.000100"))
    h.slack(
        _bot_message(
            "[FIRING:1] HighLatency namespace=shop service=checkout",
            ts="1712345620.000100",
            event_id="Ev0BOT0002",
        )
    )
    h.slack(
        _bot_message(
            "[FIRING:1] HighLatency namespace=shop service=payments",
            ts="1712345630.000100",
            event_id="Ev0BOT0003",
        )
    )
    assert [ctx.thread_id for ctx in h.started] == ["1712345610.000100", "1712345630.000100"]
    [note] = h.slack_chat.posted
    assert note.thread_id == "1712345610.000100" and "HighLatency" in note.text


def test_a_missing_chat_token_does_not_leave_the_alert_claimed() -> None:
    h = Harness()
    working = h.worker.chat_for
    calls: list[str] = []

    def chat_for(name: str) -> Any:
        calls.append(name)
        if len(calls) == 1:
            raise ConfigError("SLACK_BOT_TOKEN is not set")
        return working(name)

    h.worker.chat_for = chat_for
    body = raw("slack_app_mention.json")
    h.slack(body)
    assert h.started == []
    h.slack(body, x_slack_retry_num="1")  # the next delivery, once the token is there
    assert len(h.started) == 1


class FlakyStore:
    """A dedup store over `inner` whose claims of keys starting with `prefix` fail `times` times;
    with `written`, the claim is stored before the error (a timeout that lost the answer)."""

    def __init__(
        self, prefix: str, times: int = 1, *, written: bool = False, inner: InMemoryDedupStore | None = None
    ) -> None:
        self.inner = inner or InMemoryDedupStore()
        self.prefix, self.times, self.written = prefix, times, written

    def claim(self, key: str, record: Record, *, ttl_seconds: float, now: float) -> Claim:
        if key.startswith(self.prefix) and self.times > 0:
            self.times -= 1
            if self.written:
                self.inner.claim(key, record, ttl_seconds=ttl_seconds, now=now)
            raise TimeoutError("dynamodb read timeout")
        return self.inner.claim(key, record, ttl_seconds=ttl_seconds, now=now)

    def update(self, key: str, record: Record, *, now: float) -> None:
        self.inner.update(key, record, now=now)

    def get(self, key: str) -> Record | None:
        return self.inner.get(key)

    def release(self, key: str, *, owner: str | None = None) -> None:
        self.inner.release(key, owner=owner)


@pytest.mark.parametrize("written", [False, True], ids=["not-written", "written-then-timed-out"])
@pytest.mark.parametrize("failing", ["msg:", "repost:", "storm:"])
def test_a_store_failure_after_the_delivery_claim_is_503_and_slacks_retry_investigates_once(
    failing: str, written: bool
) -> None:
    h = Harness(dedup=FlakyStore(failing, written=written))
    body = raw("slack_bot_alert_message.json")
    first = h.slack(body)
    assert first.status == 503
    assert "dedup store failed" in json.loads(first.body)["error"]
    assert h.started == []
    retries = [h.slack(body, x_slack_retry_num=str(n), x_slack_retry_reason="http_error") for n in (1, 2)]
    assert [r.status for r in retries] == [200, 200]
    assert [json.loads(r.body)["outcome"] for r in retries] == ["started", "duplicate_delivery"]
    assert len(h.started) == 1 and "KubePodCrashLooping" in h.started[0].text
    assert h.slack_chat.posted == []  # no "already investigating" note for our own lost claim


@pytest.mark.parametrize(
    ("path", "body", "prefix"),
    [
        # The message's record claims the delivery too: the ack's first write.
        ("/slack/events", raw("slack_app_mention.json"), "msg:"),
        # A snapshot's claim ends before a delivery's: the delivery has a record of its own.
        ("/slack/commands", None, "delivery:"),
    ],
    ids=["delivery-in-the-message-record", "delivery-record"],
)
def test_a_store_failure_on_the_claim_that_holds_the_delivery_is_503_then_retried(
    path: str, body: bytes | None, prefix: str
) -> None:
    h = Harness(dedup=FlakyStore(prefix, written=True))
    body = body if body is not None else _command()
    assert h.slack(body, path=path).status == 503
    assert h.started == []
    assert h.slack(body, path=path, x_slack_retry_num="1").status == 200
    assert h.slack(body, path=path, x_slack_retry_num="2").status == 200
    assert len(h.started) == 1


def test_a_lost_claim_answer_never_releases_another_deliverys_claim() -> None:
    """The key whose claim timed out is released only if it holds this delivery's investigation:
    a concurrent delivery that really owns it keeps it (no second investigation)."""
    flaky = FlakyStore("msg:", times=0)
    h = Harness(dedup=flaky)
    h.slack(raw("slack_bot_alert_message.json"))  # investigated: its message key is held
    assert len(h.started) == 1
    h.clock.advance(30)
    flaky.times = 1  # the table now times out on a message claim (and the write did not happen)
    assert h.slack(raw("slack_reaction_added.json")).status == 503
    h.clock.advance(1)
    answer = h.slack(raw("slack_reaction_added.json"), x_slack_retry_num="1")
    assert json.loads(answer.body)["outcome"] == "duplicate"
    assert len(h.started) == 1


def test_the_trigger_reaction_comes_from_config() -> None:
    config = load_config(ROOT / "config.yaml")
    config = config.model_copy(
        update={"intake": config.intake.model_copy(update={"trigger_reaction": ":fire:"})}
    )
    settings = IntakeSettings.from_config(config, environ={"SLACK_SIGNING_SECRET": TEST_SLACK_SECRET})
    h = Harness(settings)
    seed_alert(h)
    default = event("slack_reaction_added.json")  # :rotating_light:, the default, is not the trigger here
    assert json.loads(h.slack(default).body)["outcome"] == "ignored"
    fire = event("slack_reaction_added.json") | {"event_id": "Ev0FIRE001"}
    fire["event"] = fire["event"] | {"reaction": "fire"}
    assert json.loads(h.slack(fire).body)["outcome"] == "started"
    [ctx] = h.started
    assert ctx.text == ALERT_TEXT
    # A person told how to ask for an investigation is told the configured reaction.
    hello = event("slack_app_mention.json") | {"event_id": "Ev0HELLO01"}
    hello["event"] = hello["event"] | {"text": "<@U0LAN0Z89> hi", "ts": "1712345660.000100"}
    h.slack(hello)
    assert ":fire:" in h.slack_chat.posted[-1].text


def test_a_snapshot_in_a_channel_the_bot_is_not_in_comes_back_through_the_response_url() -> None:
    h = Harness()
    h.slack_chat.refuse = "not_in_channel"
    answer = h.slack(raw("slack_slash_snapshot.form"), path="/slack/commands")
    assert answer.status == 200
    [ctx] = h.started
    assert ctx.mode == "snapshot"
    [(url, text)] = h.poster.posted
    assert url.startswith("https://hooks.slack.com/commands/")
    assert ctx.investigation_id in text and "/invite" in text


def test_a_response_url_that_is_not_slacks_is_never_followed() -> None:
    h = Harness()
    h.slack_chat.refuse = "not_in_channel"
    h.slack(_command(response_url="http://169.254.169.254/latest/meta-data"), path="/slack/commands")
    assert h.poster.posted == [] and h.started == []


def _mention(text: str, ts: str = "1712345650.000300") -> dict[str, Any]:
    payload = event("slack_app_mention.json")
    payload["event"].update(text=f"<@U0LAN0Z89> {text}", ts=ts, event_ts=ts)
    payload["event"].pop("thread_ts", None)
    payload["event_id"] = f"Ev{ts.replace('.', '')}"
    return payload


def test_a_question_about_the_state_of_things_gets_a_snapshot_in_its_thread() -> None:
    h = Harness()
    answer = h.slack(_mention("is prod ok?"))

    assert json.loads(answer.body)["outcome"] == "started"
    [ctx] = h.started
    assert ctx.mode == "snapshot" and ctx.thread_id == "1712345650.000300"
    # Asked again while it runs: one snapshot per channel, the second asker is told so.
    h.slack(_mention("status?", ts="1712345651.000300"))
    assert len(h.started) == 1


def test_help_and_fyi_get_one_line_in_their_thread_and_no_investigation() -> None:
    h = Harness()
    h.slack(_mention("what can you do?"))
    h.slack(
        _mention(
            "fyi <https://grafana.example.com/d/abc/checkout|checkout dashboard>", ts="1712345652.000300"
        )
    )

    assert h.started == []
    [help_reply, fyi_reply] = h.slack_chat.posted
    assert help_reply.text.startswith("I investigate alerts") and help_reply.thread_id == "1712345650.000300"
    assert "noted" in fyi_reply.text and fyi_reply.thread_id == "1712345652.000300"


def test_an_attachment_built_from_blocks_reaches_the_master_without_slacks_placeholder() -> None:
    h = Harness()
    body = (EVENTS / "corpus" / "RB01_robusta_prometheus_alert.payload.json").read_bytes()
    h.slack(body)

    [ctx] = h.started
    assert "[no preview available]" not in ctx.text
    assert "● namespace `shop`" in ctx.text and ctx.hints.namespace == "shop"


def test_a_mention_with_an_alerts_permalink_investigates_the_linked_message() -> None:
    h = Harness()
    seed_alert(h)
    link = f"https://acme.slack.com/archives/{CHANNEL}/p{ALERT_TS.replace('.', '')}"
    h.slack(_mention(f"can you look at this? <{link}>"))

    [ctx] = h.started
    assert ctx.thread_id == ALERT_TS and ctx.text == ALERT_TEXT
    assert ctx.operator_notes and link in ctx.operator_notes[0]


def test_a_mention_on_a_resolved_alert_notification_looks_back_at_it() -> None:
    """Someone mentions the bot on a tool's resolved notice to ask what happened: investigated,
    where a person writing "resolved" gets a one-line reply."""
    h = Harness()
    payload = event("slack_app_mention.json")
    payload["event"]["text"] = (
        "<@U0LAN0Z89> [RESOLVED] KubeDeploymentReplicasMismatch (maps geo-api warning)\n"
        " • alertname: `KubeDeploymentReplicasMismatch`\n • namespace: `maps`"
    )
    h.slack(payload)
    [ctx] = h.started
    assert ctx.hints.namespace == "maps" and "[RESOLVED]" in ctx.text

    person = event("slack_app_mention.json")
    person["event_id"], person["event"]["ts"] = "Ev0PERSON01", "1712345699.000900"
    person["event"]["text"] = "<@U0LAN0Z89> resolved: checkout is back to normal after the rollback"
    h.slack(person)
    assert len(h.started) == 1
    assert h.slack_chat.posted[-1].text.startswith("Noted: resolved")
