"""Deadline-bounded fan-out: every scanner at once, a result for each by the deadline.

Every clock here runs from `started`, the moment the investigation began (not the moment the
fan-out was reached). Each agent is sent its own budget and is waited for until that budget or the
deadline, whichever comes first: `harvest()` returns as soon as every agent has answered or run
past its budget, and by the deadline at the latest, with every agent present (arrived results as
they are, a failed call as `error`, the rest as `timeout`).

A call that missed its budget is not cancelled: its answer may still arrive, until the cutoff.
`late_results()` yields the result of every agent the harvest did not have, whether it arrived
while the report was being written and posted or arrives later, then cancels what is left.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping

from shared.a2a import A2AClient
from shared.contracts import AgentResult, AgentStatus, AlertContext
from shared.errors import TransportError

logger = logging.getLogger(__name__)

# An agent answers when its budget runs out; its answer still has to travel back. The master
# waits this much past an agent's budget (never past the deadline) before calling it timed out.
BUDGET_GRACE_S = 0.5
# Where our own agents live (a URL, an AgentCore runtime ARN) is ours to know, not the channel's:
# an agent's failure is reported without it.
_ENDPOINT = re.compile(r"\bhttps?://[^\s'\"<>]+|\barn:aws[\w-]*:bedrock-agentcore:[\w-]*:\d*:[\w/.\-]+")


def public_reason(reason: str) -> str:
    """`reason` without the endpoints of our own agents."""
    return _ENDPOINT.sub("the agent", reason)


class FanOut:
    def __init__(
        self,
        client: A2AClient,
        ctx: AlertContext,
        agents: Mapping[str, float],
        *,
        deadline_s: float,
        cutoff_s: float,
        started: float | None = None,
    ) -> None:
        """`agents` maps each agent to its budget in seconds; `deadline_s` and `cutoff_s` count
        from `started` (a `time.monotonic()` value; the first `harvest()` call when None)."""
        self.client = client
        self.ctx = ctx
        self.deadline_s = deadline_s
        self.cutoff_s = max(cutoff_s, deadline_s)
        self.budgets = {agent_id: min(budget, deadline_s) for agent_id, budget in agents.items()}
        self._started = started
        self._tasks: dict[str, asyncio.Task[AgentResult]] = {}
        self._harvested: set[str] = set()  # agents whose own answer (or failure) the harvest returned

    def _wait_until(self, agent_id: str) -> float:
        """When the master stops waiting for `agent_id` in the harvest."""
        budget = self.budgets[agent_id]
        if budget >= self.deadline_s:
            return self.started + self.deadline_s
        return self.started + min(budget + BUDGET_GRACE_S, self.deadline_s)

    @property
    def started(self) -> float:
        if self._started is None:
            self._started = time.monotonic()
        return self._started

    def _elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    async def _call(self, agent_id: str, budget: float) -> AgentResult:
        payload = {"alert": self.ctx.model_dump(mode="json"), "budget_seconds": budget}
        try:
            # The call itself may run until the cutoff: a late answer is still posted as an update.
            timeout = max(0.1, self.started + self.cutoff_s - time.monotonic()) + 1.0
            answer = await self.client.send(
                agent_id, payload, timeout=timeout, investigation_id=self.ctx.investigation_id
            )
            return AgentResult.model_validate(answer["result"])
        except asyncio.CancelledError:
            raise
        except TransportError as e:
            return self._failed(agent_id, str(e))
        except Exception as e:  # a malformed answer is the agent's failure, not the report's
            return self._failed(agent_id, f"bad answer: {type(e).__name__}: {e}")

    def _failed(self, agent_id: str, reason: str) -> AgentResult:
        logger.warning("agent=<%s>, reason=<%s> | agent call failed", agent_id, reason)
        return AgentResult(
            agent=agent_id,
            status=AgentStatus.ERROR,
            duration_ms=self._elapsed_ms(),
            errors=(public_reason(reason),),
        )

    def start(self) -> None:
        """Send every request now (idempotent); `harvest()` calls it."""
        if self._tasks:
            return
        self._tasks = {
            agent_id: asyncio.create_task(self._call(agent_id, budget), name=f"scan-{agent_id}")
            for agent_id, budget in self.budgets.items()
        }

    async def harvest(self) -> dict[str, AgentResult]:
        self.start()
        deadline = self.started + self.deadline_s
        while True:
            now = time.monotonic()
            waiting = {
                task: self._wait_until(agent_id)
                for agent_id, task in self._tasks.items()
                if not task.done() and now < self._wait_until(agent_id)
            }
            if not waiting or now >= deadline:
                break
            # Wake at the first answer, or when the next budget runs out.
            wake = min(min(waiting.values()), deadline)
            await asyncio.wait(waiting, timeout=max(0.0, wake - now), return_when=asyncio.FIRST_COMPLETED)
        results: dict[str, AgentResult] = {}
        for agent_id, task in self._tasks.items():
            if task.done():
                results[agent_id] = task.result()
                self._harvested.add(agent_id)
            else:
                budget = self.budgets[agent_id]
                missed = (
                    f"its {budget:g} s budget"
                    if budget < self.deadline_s
                    else f"the {self.deadline_s:g} s deadline"
                )
                results[agent_id] = AgentResult(
                    agent=agent_id,
                    status=AgentStatus.TIMEOUT,
                    duration_ms=int((self._wait_until(agent_id) - self.started) * 1000),
                    errors=(f"no answer within {missed}",),
                )
        return results

    @property
    def pending(self) -> list[str]:
        return [agent_id for agent_id, task in self._tasks.items() if not task.done()]

    async def late_results(self) -> AsyncIterator[AgentResult]:
        """Every result the harvest did not return, as it arrives (at once for those that arrived
        since), until the cutoff; then whatever is still running is cancelled."""
        pending = {
            task: agent_id for agent_id, task in self._tasks.items() if agent_id not in self._harvested
        }
        cutoff = self.started + self.cutoff_s
        try:
            while pending:
                remaining = cutoff - time.monotonic()
                if remaining <= 0:
                    break
                done, _ = await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=lambda t: pending[t]):
                    agent_id = pending.pop(task)
                    self._harvested.add(agent_id)
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
