"""Size of the master's narrative prompt for each scenario, and with 100 times the log volume.

Every scenario is played through the sandbox as `sre-on-call eval` plays it: moto (CloudWatch Logs),
the fake Kubernetes, Slack and Discord APIs and a real Prometheus hold the scenario's data, every
agent of config.yaml runs as its own process (model `none`), and the alert goes in through the
intake. The report the master archives carries every agent's findings (chat history, CloudWatch
Logs, EKS, Prometheus) ranked as the master ranks them, and `agents.llm.narrative` builds from it the
prompt it would send. Tokens are estimated at 4 characters per token (no tokenizer is downloaded;
for English and JSON-like text this is within ~15% of Claude's and Llama's tokenizers, and it errs
high on log text). The scenario with the most log events is played again with its log volume
multiplied by 100 (every log event and pod log line 100 times over).

Exit status 1 when a prompt reaches the 8,000-token target, when the 100x prompt is larger than the
same scenario's 1x prompt by more than `GROWTH_TOLERANCE` (counts in titles gain digits; a prompt
that grew with the logs would be many times larger), or when a scenario could not be played.

    python scripts/bench_prompt.py [SCENARIO_DIR] [--only ID ...] [--scale 100] [--scale-all] [--json FILE]
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from agents.llm.narrative import PROMPT_TOKENS, prompt_size
from sandbox.scenario import Scenario, parse_scenario
from sandbox.stack import Sandbox, with_scenario_channels
from shared.config import load_config

TARGET_TOKENS = 8_000
GROWTH_TOLERANCE = 0.10  # of the 1x prompt
MISSED = ("timeout", "error")  # an agent whose findings are missing from a report is shown
ROOT = Path(__file__).resolve().parent.parent


def log_volume(data: dict[str, Any]) -> int:
    groups = ((data.get("sources") or {}).get("cloudwatch_logs") or {}).get("log_groups") or []
    return sum(
        int(e.get("count", 1)) for g in groups for s in g.get("streams", []) for e in s.get("events", [])
    )


def scaled(data: dict[str, Any], factor: int) -> dict[str, Any]:
    """The scenario with every log event and every pod log line `factor` times over."""
    out = copy.deepcopy(data)
    sources = out.get("sources") or {}
    for group in (sources.get("cloudwatch_logs") or {}).get("log_groups") or []:
        for stream in group.get("streams", []):
            stream["events"] = [dict(e) for e in stream.get("events", []) for _ in range(factor)]
    kube = sources.get("kubernetes") or {}
    kube["pod_logs"] = {k: v * factor for k, v in (kube.get("pod_logs") or {}).items()}
    return out


def measure(sandbox: Sandbox, scenario: Scenario, factor: int) -> dict[str, Any]:
    """Play `scenario` and size the narrative prompt of the report the master archived."""
    started = time.perf_counter()
    resolved = sandbox.load(scenario)
    report = sandbox.play(resolved).report
    by_agent = Counter(f.agent for f in report.findings)
    return {
        "scenario": scenario.id,
        "log_scale": factor,
        "log_events": sum(len(s.events) for g in resolved.log_groups for s in g.streams),
        "findings": len(report.findings),
        "findings_by_agent": dict(sorted(by_agent.items())),
        "finding_ids": [f.id for f in report.findings],
        "agents": {run.name: run.status.value for run in report.agents},
        "agent_errors": {run.name: run.errors[0] for run in report.agents if run.errors},
        "prompt_tokens": prompt_size(report),
        "seconds": round(time.perf_counter() - started, 2),
    }


def play(sandbox: Sandbox, scenario: Scenario, factor: int) -> dict[str, Any]:
    try:
        return measure(sandbox, scenario, factor)
    except Exception as e:  # one broken run is reported, and fails the bench, without hiding the rest
        return {"scenario": scenario.id, "log_scale": factor, "error": f"{type(e).__name__}: {e}"}


def growth_problems(rows: list[dict[str, Any]], scaled_rows: list[dict[str, Any]]) -> list[str]:
    """Scenarios whose prompt grew with the log volume beyond the tolerance."""
    base = {r["scenario"]: r["prompt_tokens"] for r in rows if "prompt_tokens" in r}
    problems = []
    for row in scaled_rows:
        one = base.get(row["scenario"])
        if one is not None and "prompt_tokens" in row and row["prompt_tokens"] > one * (1 + GROWTH_TOLERANCE):
            problems.append(
                f"{row['scenario']}: {row['prompt_tokens']} tokens with {row['log_scale']}x logs, {one} at 1x"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("scenarios", nargs="?", default=str(ROOT / "examples" / "scenarios"))
    parser.add_argument("--only", nargs="+", metavar="ID", help="play only these scenario ids")
    parser.add_argument("--scale", type=int, default=100, help="log volume factor (default 100)")
    parser.add_argument("--scale-all", action="store_true", help="scale every scenario, not only the largest")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    files = sorted(Path(args.scenarios).glob("*.yaml"))
    loaded = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in files}
    if args.only:
        loaded = {sid: data for sid, data in loaded.items() if sid in set(args.only)}
    if not loaded:
        parser.error(f"no scenario to play in {args.scenarios}")
    scenarios = {sid: parse_scenario(data, sid) for sid, data in loaded.items()}
    largest = max(loaded, key=lambda sid: log_volume(loaded[sid]))
    to_scale = list(loaded) if args.scale_all else [largest]
    big = {sid: parse_scenario(scaled(loaded[sid], args.scale), sid) for sid in to_scale}

    config = load_config()
    with Sandbox(with_scenario_channels(config, scenarios.values()), use_alertmanager=False) as sandbox:
        rows = [play(sandbox, scenario, 1) for scenario in scenarios.values()]
        scaled_rows = [play(sandbox, scenario, args.scale) for scenario in big.values()]

    print(f"{'scenario':34} {'scale':>5} {'log events':>10} {'findings':>8} {'prompt tokens':>13} {'s':>6}")
    for row in [*rows, *scaled_rows]:
        if "error" in row:
            print(f"{row['scenario']:34} {row['log_scale']:>5}  failed: {row['error']}")
            continue
        print(
            f"{row['scenario']:34} {row['log_scale']:>5} {row['log_events']:>10} {row['findings']:>8} "
            f"{row['prompt_tokens']:>13} {row['seconds']:>6}  "
            + ", ".join(f"{agent} {n}" for agent, n in row["findings_by_agent"].items())
            + "".join(f"; {agent} {status}" for agent, status in row["agents"].items() if status in MISSED)
        )
    measured = [r for r in rows if "prompt_tokens" in r]
    measured_scaled = [r for r in scaled_rows if "prompt_tokens" in r]
    for row in measured_scaled:
        base = next((r for r in measured if r["scenario"] == row["scenario"]), None)
        # By agent, not by id: chat finding ids carry message times, which move between plays.
        lost = {
            agent: n - row["findings_by_agent"].get(agent, 0)
            for agent, n in (base["findings_by_agent"] if base else {}).items()
            if row["findings_by_agent"].get(agent, 0) < n
        }
        if lost:  # a smaller prompt then says less about compaction: show why
            row["findings_lost_at_scale"] = lost
            print(
                f"note: with {row['log_scale']}x logs {row['scenario']} has fewer findings from "
                + ", ".join(f"{agent} (-{n})" for agent, n in lost.items())
            )
    figures = {
        "max_prompt_tokens": max((r["prompt_tokens"] for r in measured), default=None),
        "max_prompt_tokens_100x_logs": max((r["prompt_tokens"] for r in measured_scaled), default=None),
        "prompt_budget_tokens": PROMPT_TOKENS,
        "target_tokens": TARGET_TOKENS,
        "growth_tolerance": GROWTH_TOLERANCE,
        "chars_per_token": 4,
        "log_scale": args.scale,
        "scenarios": rows + scaled_rows,
    }
    print(
        f"max prompt {figures['max_prompt_tokens']} tokens; with {args.scale}x logs "
        f"{figures['max_prompt_tokens_100x_logs']} tokens (budget {PROMPT_TOKENS}, target < {TARGET_TOKENS})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")

    problems = [
        f"{r['scenario']} ({r['log_scale']}x): {r['error']}" for r in rows + scaled_rows if "error" in r
    ]
    problems += [
        f"{r['scenario']} ({r['log_scale']}x): {r['prompt_tokens']} tokens, target < {TARGET_TOKENS}"
        for r in measured + measured_scaled
        if r["prompt_tokens"] >= TARGET_TOKENS
    ]
    problems += growth_problems(measured, measured_scaled)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
