"""`sre-on-call sandbox up|down`: the sandbox starts, says where it runs and which processes it
started, and stops leaving none of them (on `down` and on Ctrl-C); `down` says when it could not."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from sandbox.alertmanager import alertmanager_binary
from sandbox.cli import alive

ROOT = Path(__file__).resolve().parents[2]
SCANNERS = {"slack_scanner", "discord_scanner", "cloudwatch_logs", "eks", "prometheus"}


def sandbox_up(state: Path, scenario: str | None) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start `sre-on-call sandbox up` and wait (bounded) for its state file."""
    argv = [sys.executable, "-m", "sre_on_call.cli", "sandbox", "up", "--state", str(state)]
    if scenario:
        argv += ["--scenario", str(ROOT / "examples/scenarios" / f"{scenario}.yaml")]
    up = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    deadline = time.monotonic() + 90
    while not state.exists():
        if up.poll() is not None or time.monotonic() > deadline:
            up.kill()
            raise AssertionError(f"sandbox did not come up: {up.stderr.read().decode() if up.stderr else ''}")
        time.sleep(0.2)
    return up, json.loads(state.read_text())


def every_pid(info: dict[str, Any]) -> dict[str, int]:
    return {"sandbox": info["pid"], **info["children"]}


def wait_gone(pids: dict[str, int], timeout: float = 15) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {name: p for name, p in pids.items() if alive(p)}


def stop(up: subprocess.Popen[bytes]) -> None:
    if up.poll() is None:
        up.terminate()  # the sandbox stops its children on SIGTERM
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()


def test_sandbox_up_then_down_leaves_no_process(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    up, info = sandbox_up(state, "oom-after-deploy")
    try:
        children = info["children"]
        assert {f"agent {a}" for a in {"master", *SCANNERS}} | {"prometheus"} <= set(children)
        assert all(alive(p) for p in every_pid(info).values())
        assert httpx.get(f"{info['agents']['eks']}/ping").json()["status"] == "Healthy"
        if alertmanager_binary() is not None:  # running for the report's Silence button
            assert httpx.get(f"{info['alertmanager']}/api/v2/status").status_code == 200
            assert "alertmanager" in children
        anonymous = httpx.get(f"{info['stand_ins']['kubernetes']}/api/v1/namespaces/shop/pods")
        assert anonymous.status_code == 401  # the stand-in wants the sandbox's bearer token
        assert "token" not in state.read_text().lower().replace("kubernetes_token", "")
        query = httpx.get(
            f"{info['prometheus']}/api/v1/query", params={"query": "kube_pod_container_resource_limits"}
        )
        assert query.json()["data"]["result"], "the scenario's series are backfilled"
        down = subprocess.run(
            [sys.executable, "-m", "sre_on_call.cli", "sandbox", "down", "--state", str(state)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert down.returncode == 0, down.stderr
        assert "sandbox stopped" in down.stdout
        assert up.wait(timeout=30) == 0
        assert not state.exists()
        assert wait_gone(every_pid(info), timeout=1) == {}  # down returned only once all were gone
    finally:
        stop(up)


def test_ctrl_c_on_sandbox_up_without_a_scenario_stops_every_process(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    up, info = sandbox_up(state, None)
    try:
        # no scenario: Prometheus still serves where the state file says, empty
        query = httpx.get(f"{info['prometheus']}/api/v1/query", params={"query": "up"})
        assert query.json() == {"status": "success", "data": {"resultType": "vector", "result": []}}
        assert "prometheus" in info["children"]
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
        assert up.wait(timeout=30) == 0
        assert not state.exists()
        assert wait_gone(every_pid(info)) == {}
    finally:
        stop(up)


def test_down_exits_non_zero_and_names_what_is_still_running(tmp_path: Path) -> None:
    ignores_sigterm = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
        "time.sleep(60)"
    )
    stubborn = subprocess.Popen([sys.executable, "-c", ignores_sigterm], stdout=subprocess.PIPE, text=True)
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == "ready\n"
        state = tmp_path / "sandbox.json"
        state.write_text(json.dumps({"pid": stubborn.pid, "children": {}}))
        down = subprocess.run(
            [
                sys.executable,
                "-m",
                "sre_on_call.cli",
                "sandbox",
                "down",
                "--state",
                str(state),
                "--timeout",
                "1",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert down.returncode == 1
        assert f"still running: {stubborn.pid} (sandbox)" in down.stderr
        assert "sandbox stopped" not in down.stdout
    finally:
        stubborn.kill()
        stubborn.wait()


def test_a_killed_sandbox_takes_its_servers_with_it(tmp_path: Path) -> None:
    up, info = sandbox_up(tmp_path / "sandbox.json", "db-pool-exhausted")
    children = info["children"]
    try:
        assert children and all(alive(pid) for pid in children.values())
    finally:
        up.kill()  # no chance to clean up: the children must notice on their own
        up.wait(timeout=10)
    assert wait_gone(children) == {}
