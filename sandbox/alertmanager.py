"""A real Alertmanager for alertmanager-platform scenarios: alerts go in through its API and come
out as the version-4 webhook at a URL we choose, with a bearer token, after a short group_wait.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from sandbox.procs import LOOPBACK, ManagedProcess, start_http_server
from sandbox.resolved import ResolvedScenario
from shared.errors import SourceError
from shared.timeutil import rfc3339

logger = logging.getLogger(__name__)

# Debian/Ubuntu name the binary prometheus-alertmanager; upstream and Homebrew, alertmanager.
BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")


def alertmanager_binary() -> str | None:
    """Path of the installed Alertmanager, or None when it is not installed."""
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def scenario_alerts(resolved: ResolvedScenario) -> list[dict[str, Any]]:
    """The scenario's alerts as Alertmanager's POST /api/v2/alerts body."""
    alerts = []
    for alert in resolved.alert.alerts:
        body: dict[str, Any] = {
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
            "startsAt": rfc3339(alert.starts_at),
        }
        if alert.ends_at is not None:
            body["endsAt"] = rfc3339(alert.ends_at)
        if alert.generator_url:
            body["generatorURL"] = alert.generator_url
        alerts.append(body)
    return alerts


class AlertmanagerSandbox:
    """Alertmanager on 127.0.0.1 with one webhook receiver; `url` once started; always stopped.
    With `port`, on that port (a restarted one keeps its address)."""

    def __init__(
        self,
        workdir: Path,
        webhook_url: str,
        *,
        bearer_token: str | None = None,
        receiver: str = "sre-on-call",
        group_by: Iterable[str] = ("alertname",),
        group_wait: str = "1s",
        group_interval: str = "5m",
        repeat_interval: str = "4h",
        start_timeout: float = 20.0,
        port: int | None = None,
    ) -> None:
        self.workdir = Path(workdir) / "alertmanager"
        self.webhook_url = webhook_url
        self.bearer_token = bearer_token
        self.receiver = receiver
        self.group_by = list(group_by)
        self.group_wait = group_wait
        self.group_interval = group_interval
        self.repeat_interval = repeat_interval
        self.start_timeout = start_timeout
        self.port = port  # None: a free one
        self.url = ""
        self.process: ManagedProcess | None = None
        self.ready_at = 0.0  # time.time() once it answers /-/ready

    def _write_config(self) -> Path:
        webhook: dict[str, Any] = {"url": self.webhook_url, "send_resolved": True, "max_alerts": 0}
        if self.bearer_token is not None:
            # The token lives in its own 0600 file rather than in the config text.
            token_file = self.workdir / "webhook-token"
            token_file.write_text(self.bearer_token, encoding="utf-8")
            os.chmod(token_file, 0o600)
            webhook["http_config"] = {
                "authorization": {"type": "Bearer", "credentials_file": str(token_file)}
            }
        config = {
            "route": {
                "receiver": self.receiver,
                "group_by": self.group_by,
                "group_wait": self.group_wait,
                "group_interval": self.group_interval,
                "repeat_interval": self.repeat_interval,
            },
            "receivers": [{"name": self.receiver, "webhook_configs": [webhook]}],
        }
        path = self.workdir / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    def start(self) -> AlertmanagerSandbox:
        binary = alertmanager_binary()
        if binary is None:
            raise SourceError("Alertmanager is not installed (package `prometheus-alertmanager`)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(exist_ok=True)
        config = self._write_config()
        self.process, self.url = start_http_server(
            "alertmanager",
            lambda port: [
                binary,
                f"--config.file={config}",
                f"--storage.path={self.workdir / 'data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
                f"--web.external-url=http://{LOOPBACK}:{port}",
                "--cluster.listen-address=",  # no gossip port: a single local instance
                "--log.level=warn",
            ],
            ready_path="/-/ready",
            log_path=self.workdir / "alertmanager.log",
            cwd=self.workdir,
            timeout=self.start_timeout,
            port=self.port,
        )
        self.ready_at = time.time()
        logger.info("url=<%s> | alertmanager ready", self.url)
        return self

    def post_alerts(self, alerts: Iterable[Mapping[str, Any]]) -> None:
        """POST alerts to /api/v2/alerts (labels, annotations, startsAt, endsAt, generatorURL)."""
        if not self.url:
            raise SourceError("alertmanager is not running")
        response = httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=5.0, trust_env=False)
        if response.status_code != 200:
            raise SourceError(
                f"alertmanager refused the alerts: HTTP {response.status_code} {response.text[:300]}"
            )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.stop()
            logger.info("url=<%s> | alertmanager stopped", self.url)

    def __enter__(self) -> AlertmanagerSandbox:
        return self.start() if self.process is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
