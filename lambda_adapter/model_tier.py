"""The optional model tier of the classification: one short model call for a message the
heuristics are unsure about, made in the job (never in the ack path).

Configured by `intake.classifier_model` (the same `model` shape as agents; provider `none`, the
default, means heuristics only). The message is fenced as untrusted data; the model answers one
word. Any failure (no credentials, throttling, a timeout, an answer that is neither word) is "no
opinion", and the heuristics decide: fail open when someone addressed the bot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lambda_adapter.classify import Kind, LlmClassifier

if TYPE_CHECKING:
    from shared.config import AppConfig, ModelConfig

logger = logging.getLogger(__name__)

MAX_TOKENS = 10
MAX_SECONDS = 8.0  # the job holds the investigation for this long at most
MAX_TEXT = 4_000

SYSTEM_PROMPT = """You triage messages posted to an on-call chat bot.
Answer with exactly one word:
- alert: the message reports a problem in a production system (an alert, an error, an outage,
  something slow or failing) or asks for an investigation;
- chatter: anything else (greetings, thanks, questions about the bot, deploy notices that report
  no problem, small talk).
When unsure, answer alert.
{rules}"""


def model_classifier(cfg: ModelConfig, *, model: Any | None = None) -> LlmClassifier | None:
    """A classifier over the model `cfg` names (or `model`, for tests); None for provider `none`."""
    if model is None and cfg.provider == "none":
        return None
    timeout = min(cfg.timeout_seconds, MAX_SECONDS)
    holder: dict[str, Any] = {"model": model}

    def classify(text: str) -> str | None:
        from agents.llm.bounded import run_bounded
        from agents.llm.providers import build_model

        if holder["model"] is None:
            holder["model"] = build_model(cfg, max_tokens=MAX_TOKENS)
        return run_bounded(lambda: _ask(holder["model"], text), timeout)

    return classify


def classifier_from_config(config: AppConfig) -> LlmClassifier | None:
    """The intake's model tier from `intake.classifier_model`; None (heuristics only) when it is
    `none` or cannot be built (a configuration problem is logged, never fatal to the intake)."""
    try:
        return model_classifier(config.intake.classifier_model)
    except Exception as e:
        logger.error("error=<%s> | the classifier model is not usable; heuristics only", type(e).__name__)
        return None


def _ask(model: Any, text: str) -> str | None:
    from strands import Agent

    from agents.llm.untrusted import DATA_RULES, clip, fence, new_nonce

    nonce = new_nonce()
    agent = Agent(
        model=model,
        tools=[],
        system_prompt=SYSTEM_PROMPT.format(rules=DATA_RULES),
        callback_handler=None,
        retry_strategy=None,
        name="intake-classifier",
        description="alert or chatter",
    )
    return parse_answer(str(agent(fence(clip(text, MAX_TEXT), "message", nonce))))


def parse_answer(answer: str) -> str | None:
    """`alert` or `chatter` when the answer is that word (punctuation aside), else None."""
    words = answer.split()
    word = "".join(c for c in words[0].lower() if c.isalpha()) if words else ""
    return word if word in (Kind.ALERT, Kind.CHATTER) else None
