"""Fan-out benchmark: scripted scanners with known latencies over real loopback A2A.

Prints the ratio of end-to-end harvest time to the slowest scanner with 5 agents (target <= 1.10)
and the deadline overrun with one hung agent (target <= 0.5 s). `--json FILE` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.master.fanout import FanOut
from tests.support.scripted_agents import Script, alert, serve_scripted

LATENCIES = {"s1": 0.2, "s2": 0.4, "s3": 0.6, "s4": 0.8, "s5": 1.0}


async def ratio_run(rounds: int) -> float:
    ratios = []
    with serve_scripted({a: Script(latency=s) for a, s in LATENCIES.items()}) as client:
        for _ in range(rounds):
            fanout = FanOut(client, alert(), dict.fromkeys(LATENCIES, 10.0), deadline_s=10, cutoff_s=10)
            started = time.monotonic()
            await fanout.harvest()
            ratios.append((time.monotonic() - started) / max(LATENCIES.values()))
    return statistics.median(ratios)


async def overrun_run(rounds: int, deadline: float) -> float:
    scripts = {a: Script(latency=s) for a, s in LATENCIES.items() if a != "s5"} | {"s5": Script(hang=True)}
    overruns = []
    with serve_scripted(scripts) as client:
        for _ in range(rounds):
            fanout = FanOut(
                client, alert(), dict.fromkeys(scripts, 30.0), deadline_s=deadline, cutoff_s=deadline
            )
            started = time.monotonic()
            await fanout.harvest()
            overruns.append(time.monotonic() - started - deadline)
            await fanout.cancel()
    return max(overruns)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    ratio = asyncio.run(ratio_run(args.rounds))
    overrun = asyncio.run(overrun_run(max(1, args.rounds // 2), deadline=2.0))
    figures = {
        "agents": len(LATENCIES),
        "end_to_end_over_slowest": round(ratio, 3),
        "deadline_overrun_s": round(overrun, 3),
    }
    print(f"fan-out, {len(LATENCIES)} agents: end-to-end / slowest scanner = {ratio:.3f} (target <= 1.10)")
    print(f"one hung agent, 2 s deadline: overrun = {overrun:.3f} s (target <= 0.5)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
