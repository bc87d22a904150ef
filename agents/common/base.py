"""The one shape every scanner agent shares.

A scanner folder (`agents/<id>/`) holds `agent.py` (its card and `build()`), `tools.py` (thin
fetchers over injected clients), `analyzers.py` (pure functions: fetched data in, `Finding`s out),
`skills/<skill>/SKILL.md` and `tests/`. `agent.py` exposes::

    def build(config: AppConfig, agent_id: str) -> Scanner

and the generic server (`python -m agents.serve <agent_id>`) does the rest.
"""

from __future__ import annotations

import logging
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.config import AppConfig
from shared.contracts import AgentResult, AgentStatus, AlertContext, Finding
from shared.errors import SourceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """A wall-clock budget on the monotonic clock; tools check it before each remote call."""

    deadline: float

    @classmethod
    def of(cls, seconds: float) -> Budget:
        return cls(time.monotonic() + max(0.0, seconds))

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def fraction(self, share: float, floor: float = 0.2) -> float:
        """Seconds for one step that may use `share` of what is left (at least `floor`)."""
        return max(floor, self.remaining() * share)


@dataclass
class ScanOutcome:
    """What a scanner's analyzers produced; `run` turns it into an `AgentResult`."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Scanner(ABC):
    """Base of every scanner agent. Subclasses implement `collect` (and may widen `snapshot`)."""

    description: str = ""
    system_prompt: str = ""
    # A Strands model to use instead of the configured provider (tests inject a scripted one).
    llm_model: Any = None

    def __init__(self, config: AppConfig, agent_id: str) -> None:
        self.config = config
        self.agent_id = agent_id
        self.settings = config.agents[agent_id]

    @property
    def folder(self) -> Path:
        """The folder of the scanner's kind (its `skills/` live there), wherever the kind is installed."""
        module = sys.modules[type(self).__module__]
        return Path(module.__file__ or ".").resolve().parent

    @property
    def skills_dir(self) -> Path:
        return self.folder / "skills"

    @abstractmethod
    def collect(self, ctx: AlertContext, budget: Budget) -> ScanOutcome:
        """Fetch from the source and run the deterministic analyzers. Raise `SourceError` when
        the source cannot be reached; return findings and notes otherwise."""

    def snapshot(self, ctx: AlertContext, budget: Budget) -> ScanOutcome:
        """A picture of the estate for `/sre-snapshot`; by default the same as `collect`."""
        return self.collect(ctx, budget)

    def for_alert(self, ctx: AlertContext) -> Scanner:
        """The scanner as it runs one investigation; a kind may bind per-alert state on a copy."""
        return self

    def tools(self) -> list[Any]:
        """Strands tools (read-only) the LLM mode may call; the analyzers' own fetchers."""
        return []

    def run(self, ctx: AlertContext, budget: Budget) -> AgentResult:
        """Run the deterministic scan; never raises: failures become an `error` status. The LLM tier
        (`agents.llm.scanner_agent.run_scanner`, a layer above) wraps this when a model is configured."""
        started = time.monotonic()
        try:
            outcome = self.snapshot(ctx, budget) if ctx.mode == "snapshot" else self.collect(ctx, budget)
        except SourceError as e:
            logger.warning("agent=<%s>, error=<%s> | source failed", self.agent_id, e)
            return self._result(AgentStatus.ERROR, ScanOutcome(errors=[str(e)]), started)
        except Exception as e:  # a bug in an analyzer must not take the report down
            logger.exception("agent=<%s> | scanner crashed", self.agent_id)
            return self._result(AgentStatus.ERROR, ScanOutcome(errors=[f"{type(e).__name__}: {e}"]), started)
        if outcome.findings:
            status = AgentStatus.OK
        elif outcome.errors:
            status = AgentStatus.ERROR
        else:
            status = AgentStatus.NO_DATA
        return self._result(status, outcome, started)

    def uses_model(self) -> bool:
        return self.llm_model is not None or self.config.model_for(self.agent_id).provider != "none"

    def _result(self, status: AgentStatus, outcome: ScanOutcome, started: float) -> AgentResult:
        return AgentResult(
            agent=self.agent_id,
            status=status,
            findings=tuple(outcome.findings),
            duration_ms=int((time.monotonic() - started) * 1000),
            errors=tuple(outcome.errors),
            notes=tuple(outcome.notes),
        )
