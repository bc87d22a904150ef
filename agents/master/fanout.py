"""Deadline-bounded fan-out: every scanner at once, a result for each by the deadline.

`harvest()` returns by the deadline with every agent present (arrived results as they are, a
failed call as `error`, the rest as `timeout`); `late_results()` then yields what arrives after
the deadline until the cutoff, and cancels what is left.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping

from shared.a2a import A2AClient
from shared.contracts import AgentResult, AgentStatus, AlertContext
from shared.errors import TransportError

logger = logging.getLogger(__name__)


class FanOut:
    def __init__(
        self,
        client: A2AClient,
        ctx: AlertContext,
        agents: Mapping[str, float],
        *,
        deadline_s: float,
        cutoff_s: float,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.budgets = dict(agents)
        self.deadline_s = deadline_s
        self.cutoff_s = max(cutoff_s, deadline_s)
        self._started = 0.0
        self._tasks: dict[str, asyncio.Task[AgentResult]] = {}

    def _elapsed_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    async def _call(self, agent_id: str, budget: float) -> AgentResult:
        payload = {"alert": self.ctx.model_dump(mode="json"), "budget_seconds": budget}
        try:
            # The call itself may run until the cutoff: a late answer is still posted as an update.
            answer = await self.client.send(
                agent_id, payload, timeout=self.cutoff_s + 1.0, investigation_id=self.ctx.investigation_id
            )
            return AgentResult.model_validate(answer["result"])
        except asyncio.CancelledError:
            raise
        except TransportError as e:
            return self._failed(agent_id, str(e))
        except Exception as e:  # a malformed answer is the agent's failure, not the report's
            return self._failed(agent_id, f"bad answer: {type(e).__name__}: {e}")

    def _failed(self, agent_id: str, reason: str) -> AgentResult:
        return AgentResult(
            agent=agent_id, status=AgentStatus.ERROR, duration_ms=self._elapsed_ms(), errors=(reason,)
        )

    async def harvest(self) -> dict[str, AgentResult]:
        self._started = time.monotonic()
        self._tasks = {
            agent_id: asyncio.create_task(
                self._call(agent_id, min(budget, self.deadline_s)), name=f"scan-{agent_id}"
            )
            for agent_id, budget in self.budgets.items()
        }
        if self._tasks:
            await asyncio.wait(self._tasks.values(), timeout=self.deadline_s)
        results: dict[str, AgentResult] = {}
        for agent_id, task in self._tasks.items():
            if task.done():
                results[agent_id] = task.result()
            else:
                results[agent_id] = AgentResult(
                    agent=agent_id,
                    status=AgentStatus.TIMEOUT,
                    duration_ms=int(self.deadline_s * 1000),
                    errors=(f"no answer within the {self.deadline_s:g} s deadline",),
                )
        return results

    @property
    def pending(self) -> list[str]:
        return [agent_id for agent_id, task in self._tasks.items() if not task.done()]

    async def late_results(self) -> AsyncIterator[AgentResult]:
        pending = {task: agent_id for agent_id, task in self._tasks.items() if not task.done()}
        cutoff = self._started + self.cutoff_s
        try:
            while pending:
                remaining = cutoff - time.monotonic()
                if remaining <= 0:
                    break
                done, _ = await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    agent_id = pending.pop(task)
                    result = task.result()
                    logger.info("agent=<%s>, status=<%s> | late result", agent_id, result.status)
                    yield result
        finally:
            await self.cancel()

    async def cancel(self) -> None:
        """Stop every call still running (after the cutoff, or when the master shuts down)."""
        running = [task for task in self._tasks.values() if not task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
