"""`sre-on-call demo`: what a new user sees after `make demo`, and Ctrl-C leaving nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNERS = ("slack_scanner", "discord_scanner", "cloudwatch_logs", "eks", "prometheus")

pytestmark = pytest.mark.functional


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_demo_prints_the_thread_reply_as_a_reader_sees_it_and_each_agents_time() -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "sre_on_call.cli", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    out = demo.stdout
    assert "scenario: oom-after-deploy" in out and "thread reply" in out
    assert "Prometheus backfilled and ready in" in out
    assert "report posted" in out and "after the webhook reached the intake" in out
    reply = out.split("thread reply", 1)[1]
    assert "v2.2.4 -> v2.3.0" in reply and "&gt;" not in reply  # the reader's text, not the wire's
    for agent in SCANNERS:
        assert any(
            line.split()[:1] == [agent] and line.rstrip().endswith("findings") for line in out.splitlines()
        ), agent
    assert "cause: oom (trigger: deploy" in out


def test_ctrl_c_on_a_kept_demo_stops_every_process() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "sre_on_call.cli", "demo", "--keep"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 180
        for line in demo.stdout:
            if "sandbox kept running" in line or time.monotonic() > deadline:
                break
        assert demo.poll() is None, "the demo should keep running"
        spawned = children_of(demo.pid)
        assert len(spawned) >= len(SCANNERS) + 1  # every agent and the master, at least
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
        assert demo.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in spawned) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in spawned if alive(pid)]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
