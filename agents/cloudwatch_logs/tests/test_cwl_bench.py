"""`scripts/bench_logs.py` (in `make bench`) runs on a small sample and writes the figures issue 4
names, with sane values (the 5x throughput target is for the full 200k-line run, not checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_logs_writes_the_figures_the_issue_names(tmp_path: Path) -> None:
    out = tmp_path / "bench_logs.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_logs.py"),
            "--lines",
            "3000",
            "--repeat",
            "1",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    named = {"lines", "lines_per_s", "drain3_lines_per_s", "peak_mb", "agreement", "drain3_agreement"}
    assert named <= set(figures)
    assert figures["lines"] == 3000
    assert figures["lines_per_s"] > 0 and figures["drain3_lines_per_s"] > 0
    assert 0 < figures["peak_mb"] < 512
    assert 0.5 <= figures["agreement"] <= 1.0 and -1.0 <= figures["drain3_agreement"] <= 1.0
    assert "lines/s" in done.stdout and "3,000 lines" in done.stdout
