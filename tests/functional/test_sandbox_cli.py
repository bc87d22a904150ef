"""`sre-on-call sandbox up|down`: the sandbox starts, says where it runs, and stops leaving nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def sandbox_up(state: Path, scenario: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start `sre-on-call sandbox up` and wait (bounded) for its state file."""
    argv = [
        sys.executable,
        "-m",
        "shared.cli",
        "sandbox",
        "up",
        "--state",
        str(state),
        "--scenario",
        str(ROOT / "examples/scenarios" / f"{scenario}.yaml"),
    ]
    up = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not state.exists():
        if up.poll() is not None or time.monotonic() > deadline:
            up.kill()
            raise AssertionError(f"sandbox did not come up: {up.stderr.read().decode() if up.stderr else ''}")
        time.sleep(0.2)
    return up, json.loads(state.read_text())


def test_sandbox_up_then_down_leaves_no_process(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    up, info = sandbox_up(state, "oom-after-deploy")
    try:
        assert httpx.get(f"{info['agents']['eks']}/ping").json()["status"] == "Healthy"
        anonymous = httpx.get(f"{info['stand_ins']['kubernetes']}/api/v1/namespaces/shop/pods")
        assert anonymous.status_code == 401  # the stand-in wants the sandbox's bearer token
        assert "token" not in state.read_text().lower().replace("kubernetes_token", "")
        query = httpx.get(
            f"{info['prometheus']}/api/v1/query", params={"query": "kube_pod_container_resource_limits"}
        )
        assert query.json()["data"]["result"], "the scenario's series are backfilled"
        down = subprocess.run(
            [sys.executable, "-m", "shared.cli", "sandbox", "down", "--state", str(state)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert down.returncode == 0, down.stderr
        assert up.wait(timeout=30) == 0
        assert not state.exists()
        assert not any(alive(pid) for pid in info["agent_pids"])
    finally:
        if up.poll() is None:
            up.terminate()  # the sandbox stops its children on SIGTERM
            try:
                up.wait(timeout=30)
            except subprocess.TimeoutExpired:
                up.kill()


def test_a_killed_sandbox_takes_its_servers_with_it(tmp_path: Path) -> None:
    up, info = sandbox_up(tmp_path / "sandbox.json", "db-pool-exhausted")
    pids = info["agent_pids"]
    try:
        assert pids and all(alive(pid) for pid in pids)
    finally:
        up.kill()  # no chance to clean up: the children must notice on their own
        up.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)
