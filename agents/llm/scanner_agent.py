"""A scanner's LLM tier: after its deterministic analyzers, a model explores with the same read-only
tools and adds findings. Anything going wrong leaves the deterministic result standing.

Per request: a fresh Strands `Agent` (one Agent cannot serve concurrent requests), the scanner's
system prompt with its deterministic findings as fenced data, the skills enabled for it in config
(`AgentSkills`), its tools plus its MCP servers' read-only tools, a `ToolGuard` bounding the loop,
and structured output into `ScannerFindings`. The session runs against the agent's own budget;
on a model error, throttle or timeout the deterministic result is returned with its status
unchanged and the reason in `AgentResult.model_fallback`, which the report shows on the agent's
line next to any source error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.llm.bounded import run_bounded
from agents.llm.findings import VOCABULARY, Corpus, ScannerFindings, known_texts, to_findings
from agents.llm.guard import ToolGuard
from agents.llm.mcp import McpTools, open_mcp
from agents.llm.pricing import usage_of
from agents.llm.providers import build_model, model_id_of
from agents.llm.untrusted import DATA_RULES, alert_brief, clip, fence, findings_block, new_nonce, redact_all
from shared.contracts import AgentResult, AgentStatus, AlertContext, TokenUsage
from shared.redact import redact

if TYPE_CHECKING:
    from agents.common.base import Budget, Scanner

logger = logging.getLogger(__name__)

FINISH_RESERVE_S = 0.5  # left for building and returning the result after the model
MIN_SESSION_S = 3.0  # below this a model session cannot do anything useful
FINDINGS_CHARS = 8_000  # the deterministic findings shown to the model (~2k tokens)
SKILLS_TOOL = "skills"  # the tool Strands' AgentSkills registers
EXTRA_TURNS = 3  # model turns beyond the tool cycles: the final answer and a forced retry


def tool_reserve_s(session_s: float) -> float:
    """Tools are refused once less than this is left: the final answer needs the time."""
    return max(2.0, 0.25 * session_s)


def run_scanner(scanner: Scanner, ctx: AlertContext, budget: Budget) -> AgentResult:
    """The scanner's deterministic scan and, when a model is configured for it, the LLM tier over it
    (which keeps those findings and falls back to them on any model failure)."""
    scanner = scanner.for_alert(ctx)
    result = scanner.run(ctx, budget)
    if ctx.mode == "investigate" and scanner.uses_model():
        result = enhance(scanner, ctx, budget, result, model=scanner.llm_model)
    return result


def enhance(
    scanner: Scanner, ctx: AlertContext, budget: Budget, result: AgentResult, *, model: Any | None = None
) -> AgentResult:
    """`result` (the deterministic scan) plus what the model found; never raises."""
    started = time.monotonic()
    cfg = scanner.config.model_for(scanner.agent_id)
    try:
        model_id = _configured_id(model) or model_id_of(cfg)
        session_s = budget.remaining() - FINISH_RESERVE_S
        if session_s < MIN_SESSION_S:
            return _merge(result, started, notes=[f"model skipped: only {max(0.0, session_s):.1f}s left"])
        session = Session(scanner, ctx, result, model or build_model(cfg), model_id, session_s)
    except Exception as e:
        logger.warning("agent=<%s>, error=<%s> | model not available", scanner.agent_id, e)
        return _fallback(result, started, e, TokenUsage())
    try:
        answer = run_bounded(session.run, session_s, on_timeout=session.cancel)
        taken = (f.id for f in result.findings)
        findings, notes = to_findings(scanner.agent_id, answer, session.corpus(), taken)
    except Exception as e:
        logger.warning("agent=<%s>, error=<%s> | model session failed", scanner.agent_id, type(e).__name__)
        return _fallback(result, started, e, session.usage(), session.side_notes(), session.mcp_errors())
    notes = [*session.side_notes(), *notes]
    summary = redact(answer.summary.strip())[:500]
    notes.append(f"model {model_id} added {len(findings)} finding(s)" + (f": {summary}" if summary else ""))
    return _merge(
        result, started, findings=findings, notes=notes, errors=session.mcp_errors(), usage=session.usage()
    )


def _configured_id(model: Any | None) -> str | None:
    """The model id an injected model reports, if any."""
    try:
        return str(model.get_config().get("model_id")) if model is not None else None
    except Exception:
        return None


class Session:
    """One model session for one request: built, run once on a worker thread, then discarded."""

    def __init__(
        self,
        scanner: Scanner,
        ctx: AlertContext,
        result: AgentResult,
        model: Any,
        model_id: str,
        seconds: float,
    ) -> None:
        self.scanner = scanner
        self.ctx = ctx
        self.result = result
        self.model = model
        self.model_id = model_id
        self.cfg = scanner.config.model_for(scanner.agent_id)
        self.deadline = time.monotonic() + seconds
        self.nonce = new_nonce()
        self.guard = ToolGuard(
            max_cycles=self.cfg.max_tool_cycles,
            deadline=self.deadline,
            reserve_s=tool_reserve_s(seconds),
            nonce=self.nonce,
            exempt=frozenset({ScannerFindings.__name__}),
            trusted=frozenset({SKILLS_TOOL}),
        )
        self.cancel_event = threading.Event()
        self.agent: Any = None
        self.mcp = McpTools()
        self.skill_notes: list[str] = []
        self.stop_reason: str | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> ScannerFindings:
        from strands import Agent

        self.mcp = open_mcp(self.scanner.settings.mcp_servers, time_left_s=self.deadline - time.monotonic())
        try:
            plugins = self._skills()
            self.agent = Agent(
                model=self.model,
                tools=[*self.scanner.tools(), *self.mcp.tools],
                system_prompt=self.system_prompt(),
                plugins=plugins or None,
                hooks=[self.guard],
                callback_handler=None,
                retry_strategy=None,  # a throttle falls back at once; retrying would miss the deadline
                name=self.scanner.agent_id,
                description=self.scanner.description or self.scanner.settings.description or None,
            )
            res = self.agent(
                self.prompt(),
                structured_output_model=ScannerFindings,
                limits={"turns": self.cfg.max_tool_cycles + EXTRA_TURNS},
                cancel_signal=self.cancel_event,
            )
        finally:
            self.mcp.close()
        self.stop_reason = str(res.stop_reason)
        if res.structured_output is None:
            return ScannerFindings(summary=f"no answer (stopped: {self.stop_reason})")
        return res.structured_output  # type: ignore[no-any-return]

    def system_prompt(self) -> str:
        role = self.scanner.system_prompt or self.scanner.description or self.scanner.settings.description
        deterministic = findings_block(self.result.findings, self.nonce, char_budget=FINDINGS_CHARS)
        notes = (
            fence(clip("\n".join(self.result.notes), 2_000), "scan-notes", self.nonce)
            if self.result.notes
            else ""
        )
        return "\n\n".join(
            part
            for part in (
                role.strip(),
                DATA_RULES.replace("NONCE", self.nonce),
                "The deterministic analyzers have already run. Their findings are kept as they are; "
                "do not repeat them:",
                deterministic,
                notes,
                f"Use your read-only tools to look for evidence they missed: at most "
                f"{self.cfg.max_tool_cycles} rounds of tool calls; tools are refused near the deadline. "
                f"Then call the {ScannerFindings.__name__} tool once with only NEW findings. Every finding "
                "needs evidence whose excerpt is copied exactly from a tool result. An empty list is a "
                f"good answer. cause_hint is one of: {', '.join(VOCABULARY)}, or null.",
            )
            if part
        )

    def prompt(self) -> str:
        return (
            "Investigate this alert with your tools.\n"
            + alert_brief(self.ctx, self.nonce)
            + "\nReport only what the tool results show."
        )

    def _skills(self) -> list[Any]:
        from strands import AgentSkills, Skill

        skills: list[Any] = []
        for name in self.scanner.settings.skills:
            folder = Path(self.scanner.skills_dir) / name
            if not (folder / "SKILL.md").is_file():
                self.skill_notes.append(
                    f"skill {name} is enabled in config but {folder.name}/SKILL.md is missing"
                )
                continue
            try:
                skills.append(Skill.from_file(folder))
            except (OSError, ValueError) as e:
                self.skill_notes.append(f"skill {name} could not be loaded: {e}")
        return [AgentSkills(skills=skills)] if skills else []

    def corpus(self) -> Corpus:
        shown = [
            *self.guard.seen,
            *(redact(t) for t in known_texts(self.result.findings)),
            redact(self.ctx.text),
        ]
        return Corpus(shown)

    def usage(self) -> TokenUsage:
        metrics = getattr(self.agent, "event_loop_metrics", None)
        accumulated = getattr(metrics, "accumulated_usage", None)
        return usage_of(self.scanner.config.prices, self.model_id, accumulated)

    def side_notes(self) -> list[str]:
        notes = [*self.skill_notes, *self.mcp.notes]
        if self.guard.called:
            notes.append(f"model used {len(self.guard.called)} tool call(s) in {self.guard.cycles} round(s)")
        if self.guard.refused:
            notes.append(f"refused {len(self.guard.refused)} tool call(s): cycle limit or deadline")
        return notes

    def mcp_errors(self) -> list[str]:
        return list(self.mcp.errors)


def describe(error: BaseException) -> str:
    """`ModelThrottledException: ...` with the provider's own words, masked and short. Strands wraps
    some provider errors; the original is named when it is there."""
    inner = getattr(error, "original_exception", None) or error.__cause__
    name = type(error).__name__
    if isinstance(inner, BaseException) and type(error).__name__ == "EventLoopException":
        name = type(inner).__name__
        error = inner
    text = " ".join(str(error).split())
    return redact(f"{name}: {text}" if text else name)[:240]


def _fallback(
    result: AgentResult,
    started: float,
    error: BaseException,
    usage: TokenUsage,
    notes: Sequence[str] = (),
    errors: Sequence[str] = (),
) -> AgentResult:
    return _merge(
        result,
        started,
        notes=[*notes, "model unavailable; deterministic findings only"],
        errors=errors,
        usage=usage,
        keep_status=True,
        model_fallback=describe(error),
    )


def _merge(
    result: AgentResult,
    started: float,
    *,
    findings: Sequence[Any] = (),
    notes: Sequence[str] = (),
    errors: Sequence[str] = (),
    usage: TokenUsage | None = None,
    keep_status: bool = False,
    model_fallback: str | None = None,
) -> AgentResult:
    all_findings = (*redact_all(result.findings), *findings)
    status = result.status
    if findings and not keep_status:
        status = AgentStatus.OK
    return result.model_copy(
        update={
            "status": status,
            "findings": all_findings,
            "notes": (*result.notes, *notes),
            "errors": (*result.errors, *errors),
            "usage": usage or result.usage,
            "model_fallback": model_fallback,
            "duration_ms": result.duration_ms + int((time.monotonic() - started) * 1000),
        }
    )
