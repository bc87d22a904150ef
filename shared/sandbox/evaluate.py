"""`sre-on-call eval PATH... [--json FILE]`: play each scenario through the whole system and score
it (SCENARIOS.md). One sandbox serves every scenario; each gets fresh data and a fresh `now`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from shared.config import AppConfig, load_config
from shared.errors import ScenarioError, SreOnCallError
from shared.sandbox.scenario import Scenario, load_scenarios
from shared.sandbox.scoring import failed_run, score, summary
from shared.sandbox.stack import Sandbox, with_scenario_channels


def _check_agents(scenarios: list[Scenario], config: AppConfig) -> None:
    for scenario in scenarios:
        unknown = [a for a in scenario.expected.evidence_from if a not in config.agents]
        if unknown:
            raise ScenarioError(
                f"{scenario.id}: expected.evidence_from names agents not in config.yaml: {unknown}"
            )


def play_all(scenarios: list[Scenario], config: AppConfig) -> tuple[list[dict[str, Any]], float]:
    rows = []
    with Sandbox(with_scenario_channels(config, scenarios)) as sandbox:
        for scenario in scenarios:
            started = time.monotonic()
            try:
                played = sandbox.play(sandbox.load(scenario))
            except SreOnCallError as e:
                rows.append(
                    failed_run(scenario.id, scenario.expected, str(e), round(time.monotonic() - started, 3))
                )
            else:
                rows.append(score(scenario.id, scenario.expected, played.report, played.seconds))
            _print_row(rows[-1])
        return rows, sandbox.start_seconds


def _print_row(row: dict[str, Any]) -> None:
    verdict = "PASS" if row["passed"] else "FAIL"
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
        problems.append(row["error"][:160])
    sys.stdout.write(
        f"{verdict}  {row['id']:<34} {row['category_expected']:<26} {row['seconds']:>6.2f}s  "
        f"{'; '.join(problems)}\n"
    )
    sys.stdout.flush()


def run_eval(paths: list[Path], *, json_path: Path | None, config_file: Path | None) -> int:
    config = load_config(config_file)
    scenarios = load_scenarios(paths)
    if not scenarios:
        raise ScenarioError(f"no scenario files under {', '.join(map(str, paths))}")
    _check_agents(scenarios, config)
    sys.stdout.write(f"{'':6}{'scenario':<34} {'expected category':<26} {'seconds':>7}\n")
    rows, start_seconds = play_all(scenarios, config)
    totals = summary(rows, start_seconds)
    sys.stdout.write(
        f"\n{totals['passed']}/{totals['total']} passed ({totals['pass_rate']:.0%}), "
        f"{totals['categories']} categories; webhook to report p50 {totals['p50_seconds']:.2f}s, "
        f"p95 {totals['p95_seconds']:.2f}s; sandbox start {totals['sandbox_start_seconds']:.2f}s\n"
    )
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"scenarios": rows, "summary": totals}, indent=2), encoding="utf-8")
    return 0 if totals["passed"] == totals["total"] else 1
