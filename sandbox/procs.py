"""Process helpers for the sandbox: free loopback ports, bounded readiness polls, and child
processes that are always stopped (their whole process group, terminate then kill), also on
Ctrl-C and at interpreter exit."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from shared.errors import SourceError

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec: on Linux, ask for SIGTERM when the sandbox process dies, even by
    SIGKILL, so no server outlives it. Elsewhere a no-op (stop() and atexit still clean up)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_http_ok(url: str, timeout: float = 10.0, *, process: ManagedProcess | None = None) -> None:
    """Poll `url` until it answers 2xx, for at most `timeout` seconds.

    With `process`, give up as soon as that process has exited (its log tail is in the error).
    Raises SourceError when the deadline passes.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    last = "no answer"
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while True:
            if process is not None and not process.running:
                raise SourceError(
                    f"{process.name} exited with {process.returncode} before {url} was ready: "
                    f"{process.log_tail()}"
                )
            try:
                response = client.get(url)
                if response.is_success:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as e:
                last = type(e).__name__
            if time.monotonic() >= deadline:
                raise SourceError(f"{url} not ready after {timeout:.1f}s ({last})")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)


def start_http_server(
    name: str,
    argv_for_port: Callable[[int], Sequence[str]],
    *,
    ready_path: str,
    log_path: Path,
    cwd: Path | None = None,
    timeout: float = 20.0,
    attempts: int = 3,
    port: int | None = None,
) -> tuple[ManagedProcess, str]:
    """Start a server binary on a free loopback port and wait until `ready_path` answers 2xx.

    Returns the process and its base URL. If another process grabs the port between our check
    and the server's bind, a new port is tried. On any failure nothing is left running.
    With `port`, that port is used (a restarted server keeps its address) and not retried.
    """
    for _attempt in range(1 if port else attempts):
        bound = port or free_port()
        url = f"http://{LOOPBACK}:{bound}"
        process = ManagedProcess(name, argv_for_port(bound), log_path=log_path, cwd=cwd).start()
        try:
            wait_http_ok(f"{url}{ready_path}", timeout, process=process)
        except BaseException as e:
            lost_port = isinstance(e, SourceError) and "address already in use" in process.log_tail()
            process.stop()
            if lost_port:
                continue
            raise
        return process, url
    raise SourceError(f"{name} could not bind a free loopback port in {attempts} attempts")


class ManagedProcess:
    """A child process in its own process group, its output in a log file, stopped without fail.

    Use as a context manager, or call `start()` / `stop()`; `stop()` is idempotent and also runs
    at interpreter exit for anything still alive.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stop_timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.stop_timeout = stop_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_start = 0  # where this run's output begins in a log shared with earlier runs

    def start(self) -> ManagedProcess:
        if self._proc is not None:
            raise RuntimeError(f"{self.name} already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._log_start = log.tell()
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,  # own process group: Ctrl-C in a terminal does not race us
                preexec_fn=die_with_parent,
            )
        _register(self)
        logger.debug("process=<%s>, pid=<%d> | started", self.name, self._proc.pid)
        return self

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def log_tail(self, limit: int = 2000) -> str:
        """The end of what this run wrote (not an earlier run's lines in the same log file)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_start)
                return log.read().decode("utf-8", errors="replace")[-limit:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the process group, wait up to `stop_timeout`, then SIGKILL it."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    logger.warning("process=<%s> | did not stop after SIGTERM, killing", self.name)
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=self.stop_timeout)
        finally:
            _unregister(self)

    def __enter__(self) -> ManagedProcess:
        return self.start() if self._proc is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


_LIVE: set[ManagedProcess] = set()
_LIVE_LOCK = threading.Lock()


def _register(proc: ManagedProcess) -> None:
    with _LIVE_LOCK:
        _LIVE.add(proc)


def _unregister(proc: ManagedProcess) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(proc)


@atexit.register
def _stop_all() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        proc.stop()
