"""A Strands `Model` that replays scripted turns, for agent-loop tests without a network.

Each call to `stream` plays the next turn: text, one or more tool calls, the structured-output
call (whatever name the agent gave that tool), or an exception raised as the real provider would
raise it (e.g. `ModelThrottledException`). Every request is recorded, so a test can check exactly
what reached the model: the system prompt, the messages and the tool specs offered.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass, field
from typing import Any

from strands.models.model import Model

STRUCTURED_OUTPUT_MARK = "StructuredOutputTool"


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCalls:
    calls: tuple[ToolCall, ...]


@dataclass(frozen=True)
class Output:
    """Call the structured-output tool the agent offered with this payload."""

    payload: dict[str, Any]


@dataclass(frozen=True)
class Raise:
    error: BaseException


Turn = Text | ToolCall | ToolCalls | Output | Raise


@dataclass
class Request:
    system_prompt: str | None
    messages: list[dict[str, Any]]
    tool_specs: list[dict[str, Any]]
    tool_choice: Any

    @property
    def tool_names(self) -> list[str]:
        return [spec["name"] for spec in self.tool_specs]

    def inputs(self) -> str:
        """What the caller sent: the system prompt and the user-role messages (tool results
        included), without the model's own earlier turns."""
        sent = [m for m in self.messages if m.get("role") != "assistant"]
        return json.dumps({"system": self.system_prompt, "messages": sent, "tools": self.tool_specs})

    def dump(self) -> str:
        """Everything the model was sent, as one string (for "never reaches the model" checks)."""
        return json.dumps(
            {"system": self.system_prompt, "messages": self.messages, "tools": self.tool_specs}, default=str
        )


class ScriptedModel(Model):
    """Replays `turns` in order; raises `AssertionError` when the script runs out."""

    def __init__(
        self,
        turns: list[Turn],
        *,
        model_id: str = "scripted-model",
        usage: tuple[int, int] = (100, 20),
    ) -> None:
        self.turns = list(turns)
        self.requests: list[Request] = []
        self.config: dict[str, Any] = {"model_id": model_id}
        self.usage = usage

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return self.config

    def sent(self) -> str:
        """Everything the model received, its own earlier turns excluded."""
        return "\n".join(r.inputs() for r in self.requests)

    async def structured_output(  # type: ignore[override]
        self, output_model: type[Any], prompt: Any, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, Any], None]:
        turn = self._next()
        if not isinstance(turn, Output):
            raise AssertionError(f"structured_output called but the script has {turn!r}")
        yield {"output": output_model.model_validate(turn.payload)}

    def _next(self) -> Turn:
        if not self.turns:
            raise AssertionError("the scripted model ran out of turns")
        return self.turns.pop(0)

    async def stream(  # type: ignore[override]
        self,
        messages: Any,
        tool_specs: list[Any] | None = None,
        system_prompt: str | None = None,
        *,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> AsyncIterable[dict[str, Any]]:
        specs = [dict(s) for s in tool_specs or []]
        self.requests.append(
            Request(
                system_prompt=system_prompt,
                messages=json.loads(json.dumps(messages, default=str)),
                tool_specs=json.loads(json.dumps(specs, default=str)),
                tool_choice=tool_choice,
            )
        )
        turn = self._next()
        if isinstance(turn, Raise):
            raise turn.error
        yield {"messageStart": {"role": "assistant"}}
        if isinstance(turn, Text):
            yield {"contentBlockStart": {"start": {}}}
            yield {"contentBlockDelta": {"delta": {"text": turn.text}}}
            yield {"contentBlockStop": {}}
            stop = "end_turn"
        else:
            calls = self._calls(turn, specs)
            for n, call in enumerate(calls):
                yield {
                    "contentBlockStart": {"start": {"toolUse": {"toolUseId": f"t-{n}", "name": call.name}}}
                }
                yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(call.args)}}}}
                yield {"contentBlockStop": {}}
            stop = "tool_use"
        yield {"messageStop": {"stopReason": stop}}
        tokens_in, tokens_out = self.usage
        yield {
            "metadata": {
                "usage": {
                    "inputTokens": tokens_in,
                    "outputTokens": tokens_out,
                    "totalTokens": tokens_in + tokens_out,
                },
                "metrics": {"latencyMs": 1},
            }
        }

    @staticmethod
    def _calls(turn: Turn, specs: list[dict[str, Any]]) -> tuple[ToolCall, ...]:
        if isinstance(turn, ToolCall):
            return (turn,)
        if isinstance(turn, ToolCalls):
            return turn.calls
        assert isinstance(turn, Output)
        names = [s["name"] for s in specs if STRUCTURED_OUTPUT_MARK in str(s.get("description", ""))]
        if not names:
            raise AssertionError("the script gives structured output but the agent offered no such tool")
        return (ToolCall(names[0], turn.payload),)
