"""The master's narrative: one model call over the ranked findings, checked before it is used.

A second call is made only when the first answers in prose instead of the structured tool: the
model is then asked once more with the tool forced (see `_ask`).

The prompt holds the alert, the agents' status, the deterministic decision and the ranked
findings compacted to a fixed budget (`PROMPT_TOKENS`): titles, details and evidence excerpts are
clipped and findings past the budget are counted, not sent, so the prompt does not grow with log
volume. The answer is checked: the category is in the vocabulary, every finding id it cites (in
its evidence list or its text) exists, a changed category is backed by a cited finding hinting it.
A failed check, a model error or a timeout keeps the deterministic text; a rejected answer is
counted in `Telemetry.narrative_rejected`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.llm.bounded import run_bounded
from agents.llm.findings import VOCABULARY, cause_of
from agents.llm.pricing import usage_of
from agents.llm.providers import build_model, model_id_of
from agents.llm.untrusted import DATA_RULES, alert_brief, clip, fence, findings_block, new_nonce
from shared.causes import label
from shared.config import AppConfig
from shared.contracts import Cause, CauseCategory, Finding, IncidentReport, TokenUsage
from shared.next_steps import next_steps
from shared.redact import redact

logger = logging.getLogger(__name__)

PROMPT_TOKENS = 6_000  # the whole prompt, system included; well under the 8k target
CHARS_PER_TOKEN = 4  # English and JSON-ish text average ~4 characters per token (no tokenizer needed)
MAX_TOKENS = 700  # the answer: a few sentences and a list of ids
MIN_SECONDS = 2.0  # less than this before the deadline: do not start a call
POST_RESERVE_S = 1.0  # left for rendering and posting
SUMMARY_CHARS = 1_200
_ID_TOKEN = re.compile(r"\b([a-z0-9_]+):[A-Za-z0-9_.:/\-]+")


class Narrative(BaseModel):
    """The cause section of the incident report, grounded in the findings given."""

    model_config = ConfigDict(extra="ignore")

    category: str = Field(description="one of: " + ", ".join(VOCABULARY))
    summary: str = Field(
        description="2-4 short plain sentences: what broke, the likely cause, what changed just before; "
        "cite the finding ids you rely on in square brackets"
    )
    evidence: list[str] = Field(default_factory=list, description="ids of the findings that support it")


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def system_prompt(nonce: str) -> str:
    return "\n\n".join(
        (
            "You write the cause section of an incident report for the on-call engineer, using only the "
            "findings given. Never state anything the findings do not show.",
            DATA_RULES.replace("NONCE", nonce),
            f"Answer with the {Narrative.__name__} tool: category is one of {', '.join(VOCABULARY)}; "
            "summary is 2-4 short sentences citing finding ids in square brackets; evidence lists the ids "
            "you rely on, copied exactly. Keep the deterministic category unless the cited findings clearly "
            "show another. With nothing to go on, say category unknown and what was checked.",
        )
    )


def user_prompt(report: IncidentReport, nonce: str, *, budget_tokens: int = PROMPT_TOKENS) -> str:
    """The alert, the agents, the deterministic decision and as many ranked findings as fit."""
    agents = "; ".join(
        f"{run.name} {run.status.value} ({run.findings} findings"
        + (f", {clip(run.errors[0], 100)})" if run.errors else ")")
        for run in report.agents
    )
    cause = report.cause
    decision = (
        f"category={cause.category.value} trigger={cause.trigger.value} confidence={cause.confidence:.2f} "
        f"cited={', '.join(cause.evidence) or '(none)'}\n" + fence(clip(cause.summary, 800), "summary", nonce)
    )
    head = "\n\n".join(
        (
            "Alert:\n" + alert_brief(report.alert, nonce, text_limit=800),
            "Agents: " + fence(clip(agents or "(none answered)", 1_200), "agents", nonce),
            "Deterministic analysis: " + decision,
            "Findings, most relevant first:",
        )
    )
    used = estimate_tokens(system_prompt(nonce)) + estimate_tokens(head)
    char_budget = max(1_000, (budget_tokens - used) * CHARS_PER_TOKEN - 200)
    return head + "\n" + findings_block(report.findings, nonce, char_budget=char_budget)


def prompt_size(report: IncidentReport) -> int:
    """Estimated tokens of the narrative prompt for `report` (system and user parts)."""
    nonce = new_nonce()
    return estimate_tokens(system_prompt(nonce)) + estimate_tokens(user_prompt(report, nonce))


@dataclass(frozen=True)
class Verdict:
    cause: Cause | None
    reason: str = ""


def validate(answer: Narrative, report: IncidentReport) -> Verdict:
    """The new cause when `answer` is grounded in `report`'s findings, else the reason it is not."""
    category = cause_of(answer.category)
    if category is None:
        return Verdict(None, f"category {answer.category[:40]!r} is not in the vocabulary")
    known = {f.id: f for f in report.findings}
    agents = {f.agent for f in report.findings} | {run.name for run in report.agents}
    cited = list(dict.fromkeys(i.strip() for i in answer.evidence if i.strip()))
    in_text = [
        m.group(0).rstrip(".,;:)]") for m in _ID_TOKEN.finditer(answer.summary) if m.group(1) in agents
    ]
    missing = [i for i in (*cited, *in_text) if i not in known]
    if missing:
        return Verdict(None, f"cites findings that do not exist: {', '.join(missing[:3])}")
    summary = redact(" ".join(answer.summary.split()))
    if not summary:
        return Verdict(None, "empty summary")
    explained = category not in (CauseCategory.UNKNOWN, CauseCategory.NO_ISSUE)
    if explained and not cited:
        return Verdict(None, "names a cause but cites no finding")
    old = report.cause
    if category is not old.category and explained and not any(known[i].cause_hint is category for i in cited):
        return Verdict(None, f"changes the cause to {category.value} without a finding that shows it")
    evidence = cited + [i for i in old.evidence if i not in cited] if category is old.category else cited
    return Verdict(
        Cause(
            category=category,
            trigger=old.trigger,
            summary=clip(summary, SUMMARY_CHARS),
            confidence=old.confidence if category is old.category else min(old.confidence, 0.6),
            evidence=tuple(evidence),
        )
    )


def apply(report: IncidentReport, cause: Cause, usage: TokenUsage) -> IncidentReport:
    """`report` with the model's cause; title and next steps follow a changed category."""
    update: dict[str, Any] = {"cause": cause, "telemetry": _telemetry(report, usage, "model narrative", 0)}
    old = report.cause.category
    if cause.category is not old:
        update["title"] = report.title.replace(label(old), label(cause.category))
        change = _change_finding(report.findings, report.cause)
        update["next_steps"] = next_steps(cause.category, cause.trigger, report.alert.hints, change)
    return report.model_copy(update=update)


def narrate(
    config: AppConfig, report: IncidentReport, *, seconds: float, model: Any | None = None
) -> IncidentReport:
    """The report with the model's narrative when it passes the checks; never raises, and returns
    within `seconds` (the time left before the report must be posted)."""
    cfg = config.model_for(config.master_id)
    if model is None and cfg.provider == "none":
        return report
    started = time.monotonic()
    budget = min(seconds - POST_RESERVE_S, cfg.timeout_seconds)
    if budget < MIN_SECONDS:
        logger.info("investigation=<%s> | no time left for the narrative", report.investigation_id)
        return _keep(report, config, {}, "none", "deterministic (no time for the model)")
    holder: dict[str, Any] = {}
    model_id = "unknown"
    try:
        model = model if model is not None else build_model(cfg, max_tokens=min(cfg.max_tokens, MAX_TOKENS))
        model_id = _model_id(model, cfg)
        answer = run_bounded(lambda: _ask(model, report, holder), budget, on_timeout=lambda: _cancel(holder))
    except Exception as e:
        logger.warning(
            "investigation=<%s>, error=<%s> | narrative failed, deterministic text kept",
            report.investigation_id,
            type(e).__name__,
        )
        return _keep(report, config, holder, model_id, f"deterministic (model failed: {type(e).__name__})")
    verdict = validate(answer, report)
    usage = usage_of(config.prices, model_id, _accumulated(holder))
    elapsed = time.monotonic() - started
    if verdict.cause is None:
        logger.warning(
            "investigation=<%s>, reason=<%s> | narrative rejected", report.investigation_id, verdict.reason
        )
        return report.model_copy(
            update={"telemetry": _telemetry(report, usage, "deterministic (model narrative rejected)", 1)}
        )
    logger.info("investigation=<%s>, seconds=<%.1f> | narrative accepted", report.investigation_id, elapsed)
    return apply(report, verdict.cause, usage)


def narrative_reserve_s(config: AppConfig) -> float:
    """Seconds the master should keep free before its deadline for the narrative: 0 without a
    model, else the model's timeout (at most 10 s) plus the posting reserve."""
    cfg = config.model_for(config.master_id)
    if cfg.provider == "none":
        return 0.0
    return min(cfg.timeout_seconds, 10.0) + POST_RESERVE_S


def _cancel(holder: dict[str, Any]) -> None:
    agent = holder.get("agent")
    if agent is not None:
        agent.cancel()


def _ask(model: Any, report: IncidentReport, holder: dict[str, Any]) -> Narrative:
    from strands import Agent

    nonce = new_nonce()
    agent = Agent(
        model=model,
        tools=[],
        system_prompt=system_prompt(nonce),
        callback_handler=None,
        retry_strategy=None,
        name="master",
        description="incident narrative",
    )
    holder["agent"] = agent
    # Usually one model call. turns=2 allows exactly one more, which Strands makes only when the
    # first answer is prose instead of the Narrative tool: it asks again with the tool forced. Small
    # local models (Ollama, vLLM) often need that; with turns=1 their narrative would be lost. Both
    # calls run inside the same bounded time (`run_bounded`) and both are counted in the footer;
    # a second prose answer keeps the deterministic text.
    result = agent(user_prompt(report, nonce), structured_output_model=Narrative, limits={"turns": 2})
    if result.structured_output is None:
        raise ValueError(f"no structured answer (stopped: {result.stop_reason})")
    return result.structured_output  # type: ignore[return-value]


def _accumulated(holder: dict[str, Any]) -> Any:
    return getattr(getattr(holder.get("agent"), "event_loop_metrics", None), "accumulated_usage", None)


def _model_id(model: Any, cfg: Any) -> str:
    try:
        configured = model.get_config().get("model_id")
    except Exception:
        configured = None
    return str(configured or model_id_of(cfg))


def _keep(
    report: IncidentReport, config: AppConfig, holder: dict[str, Any], model_id: str, label: str
) -> IncidentReport:
    """The deterministic report, saying why, with whatever tokens the failed call still cost."""
    usage = usage_of(config.prices, model_id, _accumulated(holder))
    return report.model_copy(update={"telemetry": _telemetry(report, usage, label, 0)})


def _telemetry(report: IncidentReport, usage: TokenUsage, narrative: str, rejected: int) -> Any:
    tel = report.telemetry
    model = tel.model
    if usage.model != "none" and (usage.input_tokens or usage.output_tokens):
        model = usage.model if tel.model in ("none", usage.model) else "mixed"
    return tel.model_copy(
        update={
            "model": model,
            "input_tokens": tel.input_tokens + usage.input_tokens,
            "output_tokens": tel.output_tokens + usage.output_tokens,
            "cost_usd": round(tel.cost_usd + usage.cost_usd, 6),
            "narrative": narrative,
            "narrative_rejected": tel.narrative_rejected + rejected,
        }
    )


def _change_finding(findings: Sequence[Finding], cause: Cause) -> Finding | None:
    cited = set(cause.evidence)
    return next((f for f in findings if f.id in cited and f.change is cause.trigger), None)
