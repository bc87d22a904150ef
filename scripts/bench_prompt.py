"""Size of the master's narrative prompt for each scenario, and with 100 times the log volume.

For every scenario the deterministic EKS and CloudWatch Logs analyzers run in process on the
scenario's objects, pod logs and log events (as the scanners would fetch them); the master's
synthesis ranks their findings and `agents.llm.narrative` builds the prompt it would send. Tokens
are estimated at 4 characters per token (no tokenizer is downloaded; for English and JSON-like text
this is within ~15% of Claude's and Llama's tokenizers, and it errs high on log text). The same is
done for the scenario with the most log events after multiplying its log volume by 100 (every log
event and pod log line 100 times): the prompt must not grow with the logs (target < 8,000 tokens).

    python scripts/bench_prompt.py [SCENARIO_DIR] [--scale 100] [--scale-all] [--json FILE]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from shared.sandbox.alert_context import alert_context_of

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.cloudwatch_logs.analyzers import error_findings, windows_for
from agents.cloudwatch_logs.groups import select_groups
from agents.cloudwatch_logs.markers import deploy_times, marker_findings
from agents.cloudwatch_logs.reader import LogEvent
from agents.cloudwatch_logs.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.collect import affected_pods
from agents.eks.scope import scope_from_context
from agents.eks.state import ClusterState
from agents.llm.narrative import PROMPT_TOKENS, prompt_size
from agents.master.synthesis import synthesize
from shared.contracts import AgentResult, AgentStatus, AlertContext, Finding, IncidentReport
from shared.sandbox.resolved import ResolvedScenario
from shared.sandbox.scenario import parse_scenario

TARGET_TOKENS = 8_000
ROOT = Path(__file__).resolve().parent.parent


context_of = alert_context_of


def eks_findings(resolved: ResolvedScenario, ctx: AlertContext) -> list[Finding]:
    scope = scope_from_context(ctx)
    state = ClusterState.of(resolved.kube_objects)
    fetched = {
        f"{pod['metadata']['namespace']}/{pod['metadata']['name']}/{name}"
        for pod, containers in affected_pods(state, scope, 3)
        for name, _ in containers
    }
    state.logs = {k: v for k, v in resolved.pod_logs.items() if k.removesuffix("/previous") in fetched}
    return analyze(state, scope, load_signatures())[0]


def log_findings(resolved: ResolvedScenario, ctx: AlertContext) -> tuple[list[Finding], int]:
    scope = scope_from_context(ctx)
    selected = select_groups({g.name: 0 for g in resolved.log_groups}, scope, [], 5)
    chosen = {g.name for g in selected}
    events = [
        LogEvent(e.timestamp, e.message, g.name, s.name)
        for g in resolved.log_groups
        if g.name in chosen
        for s in g.streams
        for e in s.events
    ]
    signatures, windows = load_signatures(), windows_for(scope)
    own = frozenset(g.name for g in selected if g.own)
    found = error_findings(
        events,
        windows=windows,
        scope=scope,
        signatures=signatures,
        region=resolved.region,
        deploys=deploy_times(events, signatures),
        own_groups=own,
    )
    markers = marker_findings(
        events, scope=scope, signatures=signatures, region=resolved.region, windows=windows, own_groups=own
    )
    return found + markers, len(events)


def report_for(data: dict[str, Any]) -> tuple[IncidentReport, int]:
    resolved = parse_scenario(data).resolve()
    ctx = context_of(resolved)
    logs, events = log_findings(resolved, ctx)
    results = [
        AgentResult(
            agent=agent, status=AgentStatus.OK if found else AgentStatus.NO_DATA, findings=tuple(found)
        )
        for agent, found in (("eks", eks_findings(resolved, ctx)), ("cloudwatch_logs", logs))
    ]
    return synthesize(ctx, results), events


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


def measure(path: Path, data: dict[str, Any], factor: int) -> dict[str, Any]:
    started = time.perf_counter()
    report, events = report_for(scaled(data, factor) if factor > 1 else data)
    return {
        "scenario": path.stem,
        "log_scale": factor,
        "log_events": events,
        "findings": len(report.findings),
        "prompt_tokens": prompt_size(report),
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="?", default=str(ROOT / "examples" / "scenarios"))
    parser.add_argument("--scale", type=int, default=100, help="log volume factor (default 100)")
    parser.add_argument("--scale-all", action="store_true", help="scale every scenario, not only the largest")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)

    files = sorted(Path(args.scenarios).glob("*.yaml"))
    loaded = {path: yaml.safe_load(path.read_text(encoding="utf-8")) for path in files}
    rows = [measure(path, data, 1) for path, data in loaded.items()]
    largest = max(loaded, key=lambda p: log_volume(loaded[p]))
    to_scale = list(loaded) if args.scale_all else [largest]
    scaled_rows = [measure(path, loaded[path], args.scale) for path in to_scale]

    print(f"{'scenario':34} {'scale':>5} {'log events':>10} {'findings':>8} {'prompt tokens':>13} {'s':>6}")
    for row in [*rows, *scaled_rows]:
        print(
            f"{row['scenario']:34} {row['log_scale']:>5} {row['log_events']:>10} {row['findings']:>8} "
            f"{row['prompt_tokens']:>13} {row['seconds']:>6}"
        )
    figures = {
        "max_prompt_tokens": max(r["prompt_tokens"] for r in rows),
        "max_prompt_tokens_100x_logs": max(r["prompt_tokens"] for r in scaled_rows),
        "prompt_budget_tokens": PROMPT_TOKENS,
        "target_tokens": TARGET_TOKENS,
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
    worst = max(figures["max_prompt_tokens"], figures["max_prompt_tokens_100x_logs"])
    return 0 if worst < TARGET_TOKENS else 1


if __name__ == "__main__":
    sys.exit(main())
