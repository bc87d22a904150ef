"""The optional model tier of the classification, on a scripted model: only messages the
heuristics are unsure about reach it, its verdict decides them, and any model failure still
investigates a message addressed to the bot (fail open)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from strands.types.exceptions import ModelThrottledException

from lambda_adapter.classify import RESOLVED_REPLY
from lambda_adapter.model_tier import classifier_from_config, model_classifier, parse_answer
from sandbox.intake_fakes import Harness
from shared.config import ModelConfig, load_config
from tests.support.scripted_model import Raise, ScriptedModel, Text

EVENTS = Path(__file__).resolve().parents[1] / "events"
ROOT = Path(__file__).resolve().parents[2]
AMBIGUOUS = "checkout feels slow for some users since lunch"


def mention(text: str, event_id: str = "Ev0MODEL01", ts: str = "1712345650.000100") -> dict[str, Any]:
    payload = json.loads((EVENTS / "slack_app_mention.json").read_text())
    payload["event_id"] = event_id
    payload["event"] = payload["event"] | {"text": f"<@U0LAN0Z89> {text}", "ts": ts, "event_ts": ts}
    return payload


def harness(*turns: Text | Raise) -> tuple[Harness, ScriptedModel]:
    model = ScriptedModel(list(turns))
    classify = model_classifier(ModelConfig(provider="openai", model_id="scripted"), model=model)
    return Harness(llm=classify), model


def test_an_ambiguous_mention_goes_to_the_model_which_says_chatter() -> None:
    h, model = harness(Text("chatter"))
    h.slack(mention(AMBIGUOUS))
    assert h.started == []
    [reply] = h.slack_chat.posted
    assert "I investigate alerts" in reply.text
    [request] = model.requests
    assert AMBIGUOUS in request.inputs() and "<data-" in request.inputs()  # fenced as data


def test_an_ambiguous_mention_the_model_calls_an_alert_is_investigated() -> None:
    h, _model = harness(Text("Alert."))
    h.slack(mention(AMBIGUOUS))
    [ctx] = h.started
    assert AMBIGUOUS in ctx.text


def test_a_model_error_still_investigates_the_addressed_message() -> None:
    h, model = harness(Raise(ModelThrottledException("slow down")))
    h.slack(mention(AMBIGUOUS))
    assert len(model.requests) == 1
    assert len(h.started) == 1  # fail open


def test_an_answer_that_is_neither_word_still_investigates() -> None:
    h, _model = harness(Text("I think this could be either, hard to say"))
    h.slack(mention(AMBIGUOUS))
    assert len(h.started) == 1


def test_clear_alerts_and_clear_chatter_never_wait_for_the_model() -> None:
    h, model = harness()  # any model call would fail the script
    h.slack(mention("[FIRING:1] KubePodCrashLooping shop/checkout critical", "Ev0ALERT01"))
    h.slack(mention("thanks!", "Ev0THANKS1", "1712345660.000100"))
    assert model.requests == [] and len(h.started) == 1


def test_a_resolved_mention_gets_a_resolved_reply_not_the_greeting() -> None:
    h = Harness()
    h.slack(mention("RESOLVED: checkout latency is back to normal"))
    assert h.started == []
    [reply] = h.slack_chat.posted
    assert reply.text == RESOLVED_REPLY


def test_no_classifier_model_means_heuristics_only() -> None:
    assert classifier_from_config(load_config(ROOT / "config.yaml")) is None


def test_answers_are_read_as_one_word() -> None:
    assert [parse_answer(a) for a in ("alert", " Chatter.", "**alert**", "alerting", "")] == [
        "alert",
        "chatter",
        "alert",
        None,
        None,
    ]
