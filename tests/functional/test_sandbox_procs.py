"""Child processes of the sandbox never outlive it, and readiness waits are bounded."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from sandbox.procs import ManagedProcess, free_port, start_http_server, wait_http_ok
from shared.errors import SourceError

pytestmark = pytest.mark.functional


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_file(path: Path, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(child_pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(60)\n"
    )
    with ManagedProcess("parent", [sys.executable, "-c", script], log_path=tmp_path / "log") as proc:
        child = int(wait_for_file(child_pid_file))
        assert proc.running and alive(child)
    assert not proc.running
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:  # the child is reaped by init
        time.sleep(0.02)
    assert not alive(child)


def test_a_process_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(ready)!r}, 'w').write('1')\n"
        "time.sleep(60)\n"
    )
    proc = ManagedProcess(
        "stubborn", [sys.executable, "-c", script], log_path=tmp_path / "log", stop_timeout=0.3
    )
    proc.start()
    wait_for_file(ready)
    proc.stop()
    assert not proc.running
    assert proc.returncode == -9
    proc.stop()  # idempotent


def test_wait_is_bounded_and_fails_fast_when_the_process_dies(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"not ready after 0\.3s"):
        wait_http_ok(f"http://127.0.0.1:{free_port()}/-/ready", 0.3)
    assert time.monotonic() - started < 2

    dying = ManagedProcess(
        "dying",
        [sys.executable, "-c", "print('boom: bad flag'); raise SystemExit(3)"],
        log_path=tmp_path / "log",
    ).start()
    with pytest.raises(SourceError, match=r"dying exited with 3 .*boom: bad flag"):
        wait_http_ok(f"http://127.0.0.1:{free_port()}/", 10, process=dying)
    dying.stop()


def test_a_failed_start_reports_its_own_error_not_an_earlier_runs(tmp_path: Path) -> None:
    """Runs share a log file: an earlier run's "address already in use" must not be read as this
    run's (it turned every later failure into "could not bind a free loopback port")."""
    log = tmp_path / "server.log"
    log.write_text("listen tcp 127.0.0.1:9090: bind: address already in use\n")
    with pytest.raises(SourceError, match=r"exited with 3 .*bad config line 7") as failed:
        start_http_server(
            "server",
            lambda port: [sys.executable, "-c", "print('bad config line 7'); raise SystemExit(3)"],
            ready_path="/-/ready",
            log_path=log,
            timeout=10,
        )
    assert "address already in use" not in str(failed.value)


def test_start_http_server_serves_then_stops(tmp_path: Path) -> None:
    process, url = start_http_server(
        "http.server",
        lambda port: [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        ready_path="/",
        log_path=tmp_path / "log",
        cwd=tmp_path,
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        wait_http_ok(url + "/", 1)
    finally:
        process.stop()
    assert not process.running
