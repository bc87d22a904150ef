"""`sre-on-call eval PATH... [--json FILE] [--repeat N]`: play each scenario through the whole
system and score it (docs/scenarios.md). One sandbox serves every scenario; each starts from a
clean one (the last investigation over, fresh data in every source, a fresh `now`).

`--repeat N` plays the whole list N times over (round by round, so a scenario follows a different
one each time) and says which scenarios are unstable: passed in some rounds, failed in others.

A scenario that fails in any way (an error from the sandbox, a client library, a malformed
report) is a failed row with its error; the others still run and the JSON is always written."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.scenario import Scenario, load_scenarios
from sandbox.scoring import failed_run, score, summary
from sandbox.stack import ReportTimeout, Sandbox, with_scenario_channels
from shared.config import AppConfig, load_config
from shared.errors import ScenarioError

logger = logging.getLogger(__name__)

SandboxFactory = Callable[[AppConfig], Any]


def _check_agents(scenarios: list[Scenario], config: AppConfig) -> None:
    for scenario in scenarios:
        unknown = [a for a in scenario.expected.evidence_from if a not in config.agents]
        if unknown:
            raise ScenarioError(
                f"{scenario.id}: expected.evidence_from names agents not in config.yaml: {unknown}"
            )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def play_one(sandbox: Any, scenario: Scenario) -> dict[str, Any]:
    """Load, play and score one scenario; never raises for a failure of the run itself."""
    started = time.monotonic()
    prometheus_ready = None
    try:
        resolved = sandbox.load(scenario)
        prometheus_ready = round(sandbox.prometheus_ready_seconds, 3)
        played = sandbox.play(resolved)
        row = score(scenario.id, scenario.expected, played.report, played.seconds)
        row["delivery"] = played.delivery.path
    except ReportTimeout as e:
        row = failed_run(scenario.id, scenario.expected, str(e), round(e.seconds, 3), timed_out=True)
    except Exception as e:  # one broken run must not cost the others or the JSON
        logger.warning("scenario=<%s>, error=<%s> | run failed", scenario.id, type(e).__name__, exc_info=True)
        elapsed = round(time.monotonic() - started, 3)
        row = failed_run(scenario.id, scenario.expected, _describe(e), elapsed)
    row["prometheus_ready_seconds"] = prometheus_ready
    return row


def play_all(
    scenarios: list[Scenario],
    config: AppConfig,
    sandbox_factory: SandboxFactory = Sandbox,
    repeat: int = 1,
) -> tuple[list[dict[str, Any]], float]:
    """A row per run, in order (with `repeat` > 1, round by round; each row says its `round`),
    and the sandbox's start time. When the sandbox itself fails (to start, or mid-way), every run
    not yet played gets that error in its row."""
    runs = [(round_, scenario) for round_ in range(1, repeat + 1) for scenario in scenarios]
    rows: list[dict[str, Any]] = []
    start_seconds = 0.0
    try:
        with sandbox_factory(with_scenario_channels(config, scenarios)) as sandbox:
            start_seconds = sandbox.start_seconds
            for round_, scenario in runs:
                rows.append(play_one(sandbox, scenario))
                _print_row(_in_round(rows[-1], round_, repeat))
    except Exception as e:
        error = f"the sandbox failed: {_describe(e)}"
        for round_, scenario in runs[len(rows) :]:
            rows.append(failed_run(scenario.id, scenario.expected, error, 0.0))
            rows[-1]["prometheus_ready_seconds"] = None
            _print_row(_in_round(rows[-1], round_, repeat))
    return rows, start_seconds


def _in_round(row: dict[str, Any], round_: int, repeat: int) -> dict[str, Any]:
    if repeat > 1:
        row["round"] = round_
    return row


def stability(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per scenario id (first-seen order): runs, passes, and `unstable` when it both passed and
    failed; the failures' first lines."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        one = found.setdefault(row["id"], {"runs": 0, "passed": 0, "failures": []})
        one["runs"] += 1
        if row["passed"]:
            one["passed"] += 1
        else:
            one["failures"].append(_problems(row) or "failed")
    for one in found.values():
        one["unstable"] = 0 < one["passed"] < one["runs"]
    return found


def _stability_lines(found: dict[str, dict[str, Any]]) -> str:
    unstable = {key: one for key, one in found.items() if one["unstable"]}
    failing = [key for key, one in found.items() if one["passed"] == 0]
    runs = max((one["runs"] for one in found.values()), default=0)
    lines = [f"\nstability over {runs} rounds: {len(found) - len(unstable) - len(failing)} always passed"]
    if failing:
        lines.append(f"; {len(failing)} always failed ({', '.join(failing)})")
    if not unstable:
        lines.append("; none unstable\n")
        return "".join(lines)
    lines.append(f"; {len(unstable)} unstable:\n")
    for key, one in unstable.items():
        first = one["failures"][0][:120]
        lines.append(f"  UNSTABLE  {key:<34} passed {one['passed']}/{one['runs']}: {first}\n")
    return "".join(lines)


def _print_row(row: dict[str, Any]) -> None:
    verdict = "PASS" if row["passed"] else "FAIL"
    where = f"#{row['round']} " if "round" in row else ""
    sys.stdout.write(
        f"{verdict}  {where}{row['id']:<34} {row['category_expected']:<26} {row['seconds']:>6.2f}s  "
        f"{_problems(row)}\n"
    )
    sys.stdout.flush()


def _problems(row: dict[str, Any]) -> str:
    problems = []
    if row["category_got"] != row["category_expected"]:
        problems.append(f"category {row['category_got']} != {row['category_expected']}")
    for key, label in (
        ("missing_mentions", "missing"),
        ("forbidden_found", "forbidden"),
        ("missing_evidence_from", "uncited"),
    ):
        if row[key]:
            problems.append(f"{label}: {', '.join(row[key])}")
    if row.get("error"):
        problems.append(row["error"].splitlines()[0][:160])
    return "; ".join(problems)


def _totals_line(totals: dict[str, Any]) -> str:
    left_out = []
    if totals["timed_out"]:
        left_out.append(f"{totals['timed_out']} timed out, counted at their timeout")
    if totals["errored"]:
        left_out.append(f"{totals['errored']} failed without a report, not counted")
    over = f" over {totals['latency_runs']} runs ({'; '.join(left_out)})" if left_out else ""
    return (
        f"\n{totals['passed']}/{totals['total']} passed ({totals['pass_rate']:.0%}), "
        f"{totals['categories']} categories; trigger agreed {totals['trigger_agreed']}/"
        f"{totals['trigger_expected']}; webhook to report p50 {totals['p50_seconds']:.2f}s, "
        f"p95 {totals['p95_seconds']:.2f}s{over}; sandbox start {totals['sandbox_start_seconds']:.2f}s, "
        f"Prometheus backfill and start per scenario p50 {totals['prometheus_ready_p50_seconds']:.2f}s, "
        f"max {totals['prometheus_ready_max_seconds']:.2f}s\n"
    )


def run_eval(
    paths: list[Path],
    *,
    json_path: Path | None,
    config_file: Path | None,
    sandbox_factory: SandboxFactory = Sandbox,
    repeat: int = 1,
) -> int:
    config = load_config(config_file)
    scenarios = load_scenarios(paths)
    if not scenarios:
        raise ScenarioError(f"no scenario files under {', '.join(map(str, paths))}")
    _check_agents(scenarios, config)
    if repeat < 1:
        raise ScenarioError(f"--repeat {repeat}: play each scenario at least once")
    sys.stdout.write(f"{'':6}{'scenario':<34} {'expected category':<26} {'seconds':>7}\n")
    rows, start_seconds = play_all(scenarios, config, sandbox_factory, repeat)
    ready = [row["prometheus_ready_seconds"] for row in rows if row["prometheus_ready_seconds"] is not None]
    totals = summary(rows, start_seconds, ready)
    sys.stdout.write(_totals_line(totals))
    result: dict[str, Any] = {"scenarios": rows, "summary": totals}
    if repeat > 1:
        result["stability"] = stability(rows)
        totals["rounds"] = repeat
        totals["unstable"] = [key for key, one in result["stability"].items() if one["unstable"]]
        sys.stdout.write(_stability_lines(result["stability"]))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0 if totals["passed"] == totals["total"] else 1
