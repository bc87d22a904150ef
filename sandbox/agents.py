"""Every enabled agent in config.yaml as its own process, on free loopback ports."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from sandbox.procs import die_with_parent, free_port
from shared.a2a.client import ENV_AGENT_URLS
from shared.config import AppConfig
from shared.errors import SreOnCallError

logger = logging.getLogger(__name__)


class AgentProcesses:
    """Starts `python -m agents.serve <id>` per enabled agent and stops them all, always."""

    def __init__(self, config: AppConfig, env: Mapping[str, str], log_dir: Path) -> None:
        self.config = config
        self.log_dir = log_dir
        self.agent_ids = [a for a, c in config.agents.items() if c.enabled]
        self.urls = {agent_id: f"http://127.0.0.1:{free_port()}" for agent_id in self.agent_ids}
        self.env = {**os.environ, **env, ENV_AGENT_URLS: json.dumps(self.urls)}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.start_seconds = 0.0

    def start(self, timeout: float = 60.0) -> dict[str, str]:
        started = time.monotonic()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for agent_id, url in self.urls.items():
            port = url.rsplit(":", 1)[1]
            log = (self.log_dir / f"{agent_id}.log").open("wb")
            self.procs[agent_id] = subprocess.Popen(
                [sys.executable, "-m", "agents.serve", agent_id, "--port", port, "--host", "127.0.0.1"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches any children
                preexec_fn=die_with_parent,
            )
            log.close()
        try:
            self._wait_ready(started + timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return dict(self.urls)

    def _wait_ready(self, deadline: float) -> None:
        waiting = dict(self.urls)
        with httpx.Client(timeout=1.0) as client:
            while waiting:
                for agent_id, url in list(waiting.items()):
                    proc = self.procs[agent_id]
                    if proc.poll() is not None:
                        tail = (self.log_dir / f"{agent_id}.log").read_text(errors="replace")[-2000:]
                        raise SreOnCallError(f"agent {agent_id} exited with {proc.returncode}:\n{tail}")
                    try:
                        if client.get(f"{url}/ping").status_code == 200:
                            del waiting[agent_id]
                    except httpx.HTTPError:
                        pass
                if waiting and time.monotonic() > deadline:
                    raise SreOnCallError(f"agents not ready in time: {', '.join(waiting)}")
                if waiting:
                    time.sleep(0.1)

    def busy(self) -> list[str]:
        """The agents whose `/ping` says HealthyBusy (a request in flight), or that do not answer."""
        busy = []
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            for agent_id, url in self.urls.items():
                try:
                    status = client.get(f"{url}/ping").json().get("status")
                except (httpx.HTTPError, ValueError):
                    status = None
                if status != "Healthy":
                    busy.append(agent_id)
        return busy

    def wait_idle(self, timeout: float) -> list[str]:
        """Wait until no agent has a request in flight, at most `timeout` s; those still busy."""
        deadline = time.monotonic() + timeout
        while True:
            busy = self.busy()
            if not busy or time.monotonic() >= deadline:
                return busy
            time.sleep(0.1)

    def stop(self, grace: float = 5.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs.clear()

    def __enter__(self) -> AgentProcesses:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
