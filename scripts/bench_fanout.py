"""Fan-out benchmark: a whole investigation, from its start to the report landing in the thread.

Scripted scanners with known latencies answer over real loopback A2A; the master (`Investigator`)
fans out, synthesizes, renders and posts to a chat fake that records when each post lands. Prints
the ratio of the time to the posted report to the slowest scanner with 5 agents (target <= 1.10;
the median of the rounds after a cold warm-up)
and the deadline overrun of the posted report with one hung agent (target <= 0.5 s). `--json FILE`
writes the figures; the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.master.orchestrator import Investigator
from shared.chat.base import ChatPlatform
from shared.config import AppConfig, load_config, parse_config
from tests.support.scripted_agents import Script, alert, serve_scripted
from tests.support.timed_chat import TimedChat

LATENCIES = {"s1": 0.2, "s2": 0.4, "s3": 0.6, "s4": 0.8, "s5": 1.0}
RATIO_TARGET = 1.10
OVERRUN_TARGET_S = 0.5
REPORT = "Likely cause"  # a section every report has


def bench_config(agents: list[str], deadline: float) -> AppConfig:
    """The shipped config with `agents` as its scanners (model `none`) and the deadline given."""
    data = load_config().model_dump(mode="json")
    base = next(v for v in data["agents"].values() if v["role"] == "scanner")
    scanners = {a: {**base, "port": 19500 + n, "budget_seconds": None} for n, a in enumerate(agents)}
    data["agents"] = {k: v for k, v in data["agents"].items() if v["role"] == "master"} | scanners
    data["defaults"].update(deadline_seconds=deadline, late_cutoff_seconds=deadline)
    data["defaults"]["model"] = {"provider": "none"}
    return parse_config(data)


def always(chat: TimedChat) -> Callable[[str], ChatPlatform]:
    return lambda _name: chat


async def time_to_report(scripts: dict[str, Script], deadline: float, rounds: int) -> list[float]:
    """Seconds from each investigation's start to its report landing in the thread; the first
    entry is a cold warm-up (new connections, lazy imports), the others are the `rounds` measured."""
    config = bench_config(list(scripts), deadline)
    times = []
    with serve_scripted(scripts) as client:
        for _ in range(rounds + 1):
            chat = TimedChat("slack")
            investigator = Investigator(config=config, client=client, chat_for=always(chat))
            ctx = alert().model_copy(update={"thread_id": "1700000000.000100"})
            started = time.monotonic()
            await investigator.investigate(ctx)
            times.append(chat.first(REPORT).at - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    slowest = max(LATENCIES.values())
    cold, *warm = asyncio.run(
        time_to_report({a: Script(latency=s) for a, s in LATENCIES.items()}, 10.0, args.rounds)
    )
    ratio = statistics.median(warm) / slowest
    deadline = 2.0
    hung = {a: Script(latency=s) for a, s in LATENCIES.items() if a != "s5"} | {"s5": Script(hang=True)}
    # The deadline holds cold or warm: every round counts, the warm-up included.
    overrun = max(asyncio.run(time_to_report(hung, deadline, max(1, args.rounds // 2)))) - deadline
    figures = {
        "agents": len(LATENCIES),
        "end_to_end_over_slowest": round(ratio, 3),
        "deadline_overrun_s": round(overrun, 3),
    }
    ok_ratio, ok_overrun = ratio <= RATIO_TARGET, overrun <= OVERRUN_TARGET_S
    print(
        f"{len(LATENCIES)} agents: report posted / slowest scanner = {ratio:.3f} "
        f"(target <= {RATIO_TARGET:.2f}){'' if ok_ratio else '  MISSED'}; "
        f"the first, cold investigation: {cold / slowest:.3f}"
    )
    print(
        f"one hung agent, {deadline:g} s deadline: report posted {overrun:.3f} s after it "
        f"(target <= {OVERRUN_TARGET_S}){'' if ok_overrun else '  MISSED'}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if ok_ratio and ok_overrun else 1


if __name__ == "__main__":
    sys.exit(main())
