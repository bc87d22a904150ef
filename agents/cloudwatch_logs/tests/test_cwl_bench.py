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


def _write_set(root: Path, name: str, rows: list[tuple[str, str]]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    lines = ["LineId,Content,EventId,EventTemplate"]
    lines += [f'{i},"{content}",{event},x' for i, (content, event) in enumerate(rows, 1)]
    (folder / f"{name}_2k.log_structured.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_bench_loghub_scores_both_parsers_on_a_loghub_shaped_directory(tmp_path: Path) -> None:
    # Lines of our own in Loghub's layout (the real data stays outside the repository).
    _write_set(
        tmp_path,
        "HDFS",
        [(f"Received block blk_{i}77 of size {i * 91} from 10.0.0.{i}", "E1") for i in range(20)]
        + [(f"Deleting block blk_{i}12 file /data/{i}", "E2") for i in range(20)],
    )
    _write_set(
        tmp_path,
        "Apache",
        [(f"jk2_init() Found child {i} in scoreboard slot {i % 7}", "E1") for i in range(30)]
        + [("mod_jk child workerEnv in error state 6", "E2")] * 10,
    )
    out = tmp_path / "bench_loghub.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_loghub.py"),
            "--loghub",
            str(tmp_path),
            "--lines",
            "500",
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
    assert [d["name"] for d in figures["datasets"]] == ["HDFS", "Apache"]
    for d in figures["datasets"]:
        assert {"ga", "drain3_ga", "ari", "drain3_ari"} <= set(d)
        assert d["ga"] == 1.0
    named = {"mean_ga", "drain3_mean_ga", "min_ga", "speed_ratio_200k", "lines_per_s", "drain3_lines_per_s"}
    assert named <= set(figures) and figures["lines"] == 500
    assert figures["speed_ratio_200k"] > 0 and "mixed lines" in done.stdout
