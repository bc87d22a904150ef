"""`scripts/bench_fanout.py` (in `make bench`) measures a whole investigation up to the posted report
and writes the figures issue 2 names; it fails when a target is missed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_fanout_writes_its_figures_and_meets_its_targets(tmp_path: Path) -> None:
    out = tmp_path / "bench_fanout.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_fanout.py"), "--rounds", "1", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    figures = json.loads(out.read_text())
    assert set(figures) == {"agents", "end_to_end_over_slowest", "deadline_overrun_s"}
    assert figures["agents"] == 5
    assert 1.0 <= figures["end_to_end_over_slowest"] <= 1.10, done.stdout
    assert figures["deadline_overrun_s"] <= 0.5, done.stdout
    assert done.returncode == 0 and "report posted" in done.stdout
