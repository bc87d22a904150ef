"""Bounds on a scanner agent's tool loop, and what its tools show the model.

`ToolGuard` is a Strands hook provider. It counts tool cycles (one model turn's batch of tool
calls) and refuses tools once `max_tool_cycles` have run or when the deadline is near, so the model
still has time for its final answer. It also rewrites every tool result on its way to the model:
secrets masked, size capped, fenced as untrusted data. It records what the tools returned, so the
findings the model reports can be checked against what it actually saw.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strands.hooks import AfterToolCallEvent, BeforeToolCallEvent, BeforeToolsEvent, HookRegistry

from agents.llm.untrusted import clip, fence
from shared.redact import redact

logger = logging.getLogger(__name__)

TOOL_RESULT_CHARS = 12_000  # per tool result: ~3k tokens, so a chatty tool cannot flood the context


@dataclass
class ToolGuard:
    """Per-session guard: never shared between agents (it counts one session's cycles)."""

    max_cycles: int
    deadline: float  # time.monotonic() by which the agent must have answered
    reserve_s: float  # refuse tools when less than this is left: the final answer needs it
    nonce: str
    exempt: frozenset[str] = frozenset()  # the structured-output tool: always allowed, not counted
    # Tools whose output is our own text (the `skills` tool reads our SKILL.md files): not fenced as
    # untrusted data, since the model is meant to follow it.
    trusted: frozenset[str] = frozenset()
    result_chars: int = TOOL_RESULT_CHARS
    clock: Callable[[], float] = time.monotonic
    cycles: int = 0
    refused: list[str] = field(default_factory=list)
    called: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # redacted tool output, for grounding checks

    def register_hooks(self, registry: HookRegistry, **_: Any) -> None:
        registry.add_callback(BeforeToolsEvent, self._count_cycle)
        registry.add_callback(BeforeToolCallEvent, self._gate)
        registry.add_callback(AfterToolCallEvent, self._clean)

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def _count_cycle(self, event: BeforeToolsEvent) -> None:
        names = [b["toolUse"]["name"] for b in event.message.get("content", []) if "toolUse" in b]
        if any(n not in self.exempt for n in names):
            self.cycles += 1

    def _gate(self, event: BeforeToolCallEvent) -> None:
        name = event.tool_use["name"]
        if name in self.exempt:
            return
        reason = None
        if self.cycles > self.max_cycles:
            reason = f"tool cycle limit ({self.max_cycles}) reached"
        elif self.remaining() < self.reserve_s:
            reason = f"the investigation deadline is {max(0.0, self.remaining()):.0f}s away"
        if reason is None:
            self.called.append(name)
            return
        self.refused.append(name)
        logger.info("tool=<%s>, reason=<%s> | tool refused", name, reason)
        event.cancel_tool = f"Refused: {reason}. Call no more tools; give your final answer now."

    def _clean(self, event: AfterToolCallEvent) -> None:
        name = event.tool_use["name"]
        if name in self.exempt:
            return
        result = dict(event.result)
        cleaned = []
        blocks: list[Any] = list(result.get("content") or [])  # type: ignore[call-overload]
        for block in blocks:
            text = _as_text(block)
            if text is None:  # images and documents carry no text a scanner tool would need
                continue
            text = clip(redact(text), self.result_chars)
            if name in self.trusted:
                cleaned.append({"text": text})
                continue
            self.seen.append(text)
            cleaned.append({"text": fence(text, f"tool-{name}", self.nonce)})
        result["content"] = cleaned or [{"text": fence("(empty result)", f"tool-{name}", self.nonce)}]
        event.result = result  # type: ignore[assignment]


def _as_text(block: Any) -> str | None:
    if not isinstance(block, dict):
        return None
    if "text" in block:
        return str(block["text"])
    if "json" in block:
        return json.dumps(block["json"], default=str)
    return None
