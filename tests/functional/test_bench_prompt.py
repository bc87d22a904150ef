"""`scripts/bench_prompt.py` (in `make bench`) sizes the narrative prompt from the report the master
builds out of every agent's findings, run from anywhere, and fails when the prompt grows with the logs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.functional

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench_prompt.py"


def test_bench_prompt_writes_its_figures_from_all_agents_findings(tmp_path: Path) -> None:
    out = tmp_path / "bench_prompt.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", "oom-after-deploy", "--scale", "10", "--json", str(out)],
        cwd=tmp_path,  # not the project root: the script finds the project itself
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    assert {"max_prompt_tokens", "max_prompt_tokens_100x_logs"} <= set(figures)
    assert 0 < figures["max_prompt_tokens"] < 8_000
    assert 0 < figures["max_prompt_tokens_100x_logs"] <= figures["max_prompt_tokens"] * 1.1
    one, scaled = figures["scenarios"]
    assert (one["log_scale"], scaled["log_scale"]) == (1, 10)
    assert scaled["log_events"] == 10 * one["log_events"]
    # Chat and Prometheus findings count too, not only EKS and CloudWatch Logs.
    assert {"slack_scanner", "prometheus", "eks", "cloudwatch_logs"} <= set(one["findings_by_agent"])


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_prompt", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_prompt_that_grows_with_the_logs_fails_the_bench() -> None:
    bench = _bench()
    one = [{"scenario": "s", "log_scale": 1, "prompt_tokens": 1_000}]
    assert bench.growth_problems(one, [{"scenario": "s", "log_scale": 100, "prompt_tokens": 1_050}]) == []
    (problem,) = bench.growth_problems(one, [{"scenario": "s", "log_scale": 100, "prompt_tokens": 1_400}])
    assert "1400 tokens with 100x logs, 1000 at 1x" in problem
