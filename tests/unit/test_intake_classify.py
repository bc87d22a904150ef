"""Classification: alert markers, chatter, the forcing word, fail-open, the model tier."""

from __future__ import annotations

import pytest

from lambda_adapter.classify import Kind, Verdict, chatter_reply, classify, should_investigate

ALERTS = [
    "[FIRING:2] KubePodCrashLooping (shop checkout critical)",
    ":red_circle: checkout error budget burn",
    "🚨 payments p99 latency 4.2s",
    "ALERT: orders-db replication lag",
    "**Firing** HighCPU instance=ip-10-0-1-12",
    "[Alerting] Grafana: API 5xx rate",
    "[P1] [Triggered] checkout.errors on env:prod",
    "Triggered incident #4521: checkout down https://acme.pagerduty.com/incidents/Q1ABC",
    'ALARM: "checkout-5xx" in US East (N. Virginia)',
    "sev2: search is degraded",
    "checkout pods OOMKilled again",
    "payments CrashLoopBackOff in shop",
    "error rate above 5% for checkout",
    "alertname=DiskFull severity=warning instance=db-1",
    "see https://grafana.example.com/d/abc123/checkout?orgId=1",
    "orders queue consumer is failing",
]
CHATTER = [
    "hi",
    "hello!",
    "Hey there",
    "thanks",
    "thank you so much!",
    "thx 🙏",
    "good morning team",
    "how are you?",
    "ok",
    "cool, thanks",
    "who are you?",
    ":wave:",
    "hey :wave:",
    "Hi there! 👋",
    "good morning :sunny:",
    "thanks! :pray: :tada:",
    "fyi https://grafana.example.com/d/abc123/checkout?orgId=1",
    "FYI: checkout dashboard https://grafana.example.com/d/abc123/checkout",
    "is it everything a river should be?",
    "thanks for the report, that was the config change",
    "👀",
    "+1",
    "ok thanks, looking",
    "fyi the payments deploy is rolling out now",
    "",
]
HELP = ["help", "what can you do?", "How do I use you?", "?"]
STATUS = [
    "is prod ok?",
    "status?",
    "status",
    "how is checkout doing?",
    "is everything healthy",
    "any alerts right now?",
    "is checkout down?",
    "what's going on with payments?",
]
UNSURE = [
    "why is checkout so slow?",
    "is the orders consumer stuck?",
    "can you look at the orders service?",
    "checkout feels slow for some users",
    "can someone look at the orders service",
    "Deployed payments v2.3.1 to production",
    "the build is green again",
    # About one thing's trouble, not the state of things: investigated when addressed.
    "What is wrong with pod giant-narwhal-6958c5bdd8-69gtn in namespace app-02?",
    "what's wrong with the orders consumer?",
    "what happened to payments last night?",
    "is checkout-7d9f8c6b5d-x2k4p ok?",
    # A cause asked for, however the question is put.
    "Why did the sock-shop front-end stop working?",
    "the orders consumer stopped working, is it ok?",
]


@pytest.mark.parametrize("text", ALERTS)
def test_alerts(text: str) -> None:
    assert classify(text).kind is Kind.ALERT, text


@pytest.mark.parametrize("text", CHATTER)
def test_chatter(text: str) -> None:
    assert classify(text).kind is Kind.CHATTER, text


@pytest.mark.parametrize("text", HELP)
def test_help(text: str) -> None:
    assert classify(text).kind is Kind.HELP, text


@pytest.mark.parametrize("text", STATUS)
def test_questions_about_the_state_of_things_ask_for_a_snapshot(text: str) -> None:
    assert classify(text).kind is Kind.STATUS, text


def test_a_question_that_carries_an_alert_is_still_an_alert() -> None:
    assert classify("[FIRING:1] KubePodCrashLooping (shop) is this ok?").kind is Kind.ALERT
    assert classify("why is checkout throwing 502s since the deploy?").kind is Kind.ALERT
    assert classify("everything is down").kind is Kind.ALERT


@pytest.mark.parametrize("text", UNSURE)
def test_unsure(text: str) -> None:
    assert classify(text).kind is Kind.UNSURE, text


@pytest.mark.parametrize(
    "text", ["investigate please", "hi, can you investigate?", "thanks, now investigate orders"]
)
def test_the_word_investigate_forces_it(text: str) -> None:
    verdict = classify(text)
    assert verdict.kind is Kind.ALERT and verdict.forced


def test_resolved_notices_are_not_new_alerts() -> None:
    assert classify("[RESOLVED] KubePodCrashLooping (shop checkout)").kind is Kind.RESOLVED
    assert classify(":white_check_mark: RESOLVED: checkout 5xx").kind is Kind.RESOLVED
    assert (
        classify("AWS CloudWatch notification - Example\nOld State: ALARM\nCurrent State: OK").kind
        is Kind.RESOLVED
    )
    assert classify('OK: "checkout-5xx" in US East (N. Virginia)').kind is Kind.RESOLVED
    assert classify("✅ Your service checkout-api is up. ✅").kind is Kind.RESOLVED
    assert classify("[FIRING:1, RESOLVED:1] HighErrorRate (checkout)").kind is Kind.ALERT
    assert classify("**Firing**\nLabels: ...\n**Resolved**\nLabels: ...").kind is Kind.ALERT


def test_a_long_message_that_starts_with_hello_is_not_chatter() -> None:
    assert classify("hello, checkout has been returning errors since the deploy").kind is not Kind.CHATTER
    assert classify("hello, how is the new dashboard layout coming along?").kind is not Kind.CHATTER


def test_fail_open_only_when_addressed() -> None:
    unsure = classify("checkout feels slow")
    assert should_investigate(unsure, addressed=True).kind is Kind.ALERT
    assert should_investigate(unsure, addressed=False).kind is Kind.CHATTER


def test_model_tier_decides_unsure_and_its_failure_fails_open() -> None:
    unsure = Verdict(Kind.UNSURE, "no marker")
    assert should_investigate(unsure, addressed=True, llm=lambda _t: "chatter").kind is Kind.CHATTER
    assert should_investigate(unsure, addressed=False, llm=lambda _t: "alert").kind is Kind.ALERT

    def broken(_text: str) -> str:
        raise TimeoutError("model timed out")

    assert should_investigate(unsure, addressed=True, llm=broken).kind is Kind.ALERT
    assert should_investigate(unsure, addressed=True, llm=lambda _t: "no idea").kind is Kind.ALERT
    # A definite verdict never asks the model.
    assert should_investigate(classify("[FIRING:1] X"), addressed=False, llm=broken).kind is Kind.ALERT


def test_chatter_replies_are_one_line() -> None:
    assert "welcome" in chatter_reply("thanks!", reaction="rotating_light")
    assert chatter_reply("what can you do?", reaction="rotating_light").startswith("I investigate alerts")
    assert "noted" in chatter_reply("fyi https://grafana.example.com/d/x", reaction="rotating_light")
    hello = chatter_reply("hi", reaction="rotating_light")
    assert ":rotating_light:" in hello and "\n" not in hello


def test_a_question_in_an_alerts_thread_is_about_that_alert_not_about_nothing() -> None:
    question = "payments deployed at 10:02, related?"
    assert classify(question).kind is Kind.CHATTER  # in a channel: nothing to investigate
    assert classify(question, in_thread=True).kind is Kind.UNSURE  # in the thread: a note on the alert
    assert classify("thanks!", in_thread=True).kind is Kind.CHATTER
