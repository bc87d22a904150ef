"""The whole embedded sandbox behind one context manager.

Started once: the moto server (CloudWatch Logs, DynamoDB, S3, Secrets Manager), the Kubernetes,
Slack and Discord stand-ins, every agent in config.yaml as its own process, and the intake (the
same handler code Lambda runs) on loopback. Per scenario (`load`): the data is replaced in place,
Prometheus (and Alertmanager) restart on the same ports, and `play` sends the alert in as a
signed webhook and waits for the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.config import ENV_CONFIG_PATH, AppConfig
from shared.contracts import IncidentReport
from shared.errors import SreOnCallError
from shared.sandbox.agents import AgentProcesses
from shared.sandbox.aws import MotoServer, aws_env, create_bucket, create_dedup_table, seed_cloudwatch_logs
from shared.sandbox.discord_api import FakeDiscordApi
from shared.sandbox.http import ServedApp
from shared.sandbox.kube import FakeKubeApi
from shared.sandbox.procs import free_port
from shared.sandbox.prometheus import PrometheusSandbox
from shared.sandbox.resolved import ResolvedScenario
from shared.sandbox.scenario import Scenario
from shared.sandbox.slack_api import FakeSlackApi

logger = logging.getLogger(__name__)

DEDUP_TABLE = "sre-on-call-dedup"
TRACE_BUCKET = "sre-on-call-traces"
DISCORD_GUILD = "1000000000000000000"


@dataclass(frozen=True)
class SandboxSecrets:
    """Made fresh for every sandbox; never printed."""

    slack_token: str
    slack_signing_secret: str
    discord_token: str
    discord_signing_key: str  # Ed25519 seed, hex
    discord_public_key: str
    alertmanager_token: str
    kube_token: str

    @classmethod
    def generate(cls) -> SandboxSecrets:
        from nacl.signing import SigningKey

        key = SigningKey.generate()
        return cls(
            slack_token=f"xoxb-sandbox-{secrets.token_hex(12)}",
            slack_signing_secret=secrets.token_hex(16),
            discord_token=f"sandbox.{secrets.token_urlsafe(24)}",
            discord_signing_key=key.encode().hex(),
            discord_public_key=key.verify_key.encode().hex(),
            alertmanager_token=secrets.token_urlsafe(18),
            kube_token=secrets.token_urlsafe(18),
        )


def with_scenario_channels(config: AppConfig, scenarios: Iterable[Scenario]) -> AppConfig:
    """The config a team would write for these scenarios: every chat channel a scenario holds is a
    channel the bot is in and the chat scanners may read (SCENARIOS.md: "the bot is a member of
    every channel listed here")."""
    slack = list(config.sources.slack.channels)
    discord = list(config.sources.discord.channels)
    for scenario in scenarios:
        if scenario.sources.slack:
            slack += [c.id for c in scenario.sources.slack.channels if c.id not in slack]
        if scenario.sources.discord:
            discord += [c.id for c in scenario.sources.discord.channels if c.id not in discord]
    sources = config.sources.model_copy(
        update={
            "slack": config.sources.slack.model_copy(update={"channels": slack}),
            "discord": config.sources.discord.model_copy(update={"channels": discord}),
        }
    )
    return config.model_copy(update={"sources": sources})


class Sandbox:
    def __init__(self, config: AppConfig, workdir: Path | None = None) -> None:
        self.config = config
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sre-on-call-sandbox-"))
        self.secrets = SandboxSecrets.generate()
        self.moto = MotoServer()
        self.kube = FakeKubeApi(token=self.secrets.kube_token)
        self.slack = FakeSlackApi(token=self.secrets.slack_token)
        self.discord = FakeDiscordApi(token=self.secrets.discord_token, guild_id=DISCORD_GUILD)
        self._served: list[ServedApp] = []
        self.prometheus_port = free_port()
        self.prometheus: PrometheusSandbox | None = None
        self.alertmanager: Any = None
        self.agents: AgentProcesses | None = None
        self.intake: Any = None
        self.intake_app: Any = None
        self.env: dict[str, str] = {}
        self._saved_env: dict[str, str | None] = {}
        self.start_seconds = 0.0
        self.region = config.sources.aws.region

    @property
    def archive_dir(self) -> Path:
        return self.workdir / "reports"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Sandbox:
        started = time.monotonic()
        try:
            self.moto.start()
            urls = {}
            for name, fake in (("kube", self.kube), ("slack", self.slack), ("discord", self.discord)):
                served = ServedApp(fake.app)
                urls[name] = served.start()
                self._served.append(served)
            self.env = self._environment(urls)
            self._apply_env()
            self._reset_aws()
            self.agents = AgentProcesses(self.config, self.env, self.workdir / "logs")
            self.agents.start()
            self.intake = self._start_intake()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _environment(self, urls: dict[str, str]) -> dict[str, str]:
        sources, s = self.config.sources, self.secrets
        env = aws_env(self.moto.url, self.region)
        env.update(
            {
                sources.prometheus.url_env: f"http://127.0.0.1:{self.prometheus_port}",
                sources.eks.base_url_env: urls["kube"],
                "KUBERNETES_TOKEN": s.kube_token,
                sources.slack.base_url_env: f"{urls['slack']}/api/",
                sources.slack.bot_token_env: s.slack_token,
                sources.slack.signing_secret_env: s.slack_signing_secret,
                sources.discord.base_url_env: f"{urls['discord']}/api/v10",
                sources.discord.bot_token_env: s.discord_token,
                sources.discord.public_key_env: s.discord_public_key,
                self.config.intake.alertmanager_token_env: s.alertmanager_token,
                self.config.intake.dedup_table_env: DEDUP_TABLE,
                "SRE_ARCHIVE_DIR": str(self.archive_dir),
                ENV_CONFIG_PATH: str(self._write_config()),
            }
        )
        return env

    def _write_config(self) -> Path:
        """The agent processes read the sandbox's own copy of the config (with its channels)."""
        path = self.workdir / "config.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump(self.config.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
        )
        return path

    def _apply_env(self) -> None:
        # The intake runs in this process and reads its settings from the environment.
        for key, value in self.env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def _reset_aws(self) -> None:
        self.moto.reset()
        create_dedup_table(self.moto.url, DEDUP_TABLE, self.region)
        create_bucket(self.moto.url, TRACE_BUCKET, self.region)

    def _start_intake(self) -> Any:
        from lambda_adapter.master import a2a_dispatcher
        from lambda_adapter.server import ThreadedServer, app_from_env

        env = {**os.environ, **(self.agents.env if self.agents else {})}
        self.intake_app = app_from_env(self.config, dispatcher=a2a_dispatcher(self.config, env))
        return ThreadedServer(self.intake_app).start()

    def _apply_context(self, resolved: ResolvedScenario) -> None:
        """What a real deployment knows from its config (the scenario's `context`): the cluster and
        region the intake puts into every AlertContext."""
        worker = self.intake_app.state.worker
        worker.settings = dataclasses.replace(
            worker.settings,
            cluster_default=resolved.context.cluster or self.config.sources.eks.cluster,
            region=resolved.region or self.config.sources.aws.region,
        )

    def stop(self) -> None:
        for step in (self._stop_alertmanager, self._stop_prometheus):
            step()
        if self.intake is not None:
            with contextlib.suppress(Exception):
                self.intake.stop()
            self.intake = None
        if self.agents is not None:
            self.agents.stop()
            self.agents = None
        for served in self._served:
            with contextlib.suppress(Exception):
                served.stop()
        self._served.clear()
        self.moto.stop()
        self._restore_env()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_prometheus(self) -> None:
        if self.prometheus is not None:
            self.prometheus.stop()
            self.prometheus = None

    def _stop_alertmanager(self) -> None:
        if self.alertmanager is not None:
            self.alertmanager.stop()
            self.alertmanager = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ per scenario

    def load(self, scenario: Scenario) -> ResolvedScenario:
        """Replace every source's data with the scenario's, its times relative to now."""
        resolved = scenario.resolve()
        self._reset_aws()
        seed_cloudwatch_logs(self.moto.url, resolved)
        self.kube.load(list(resolved.kube_objects), dict(resolved.pod_logs))
        self.slack.load(resolved.slack_channels)
        self.discord.load(resolved.discord_channels)
        self._apply_context(resolved)
        self._stop_prometheus()
        self.prometheus = PrometheusSandbox(resolved, self.workdir / "scenario", port=self.prometheus_port)
        shutil.rmtree(self.workdir / "scenario" / "prometheus", ignore_errors=True)
        self.prometheus.start()
        shutil.rmtree(self.archive_dir, ignore_errors=True)
        self.archive_dir.mkdir(parents=True)
        return resolved

    def play(self, resolved: ResolvedScenario, timeout: float | None = None) -> Played:
        """Send the scenario's alert into the intake as its platform would and wait for the report."""
        from shared.sandbox.deliver import deliver

        timeout = timeout or self.config.defaults.deadline_seconds + 30
        started = time.monotonic()
        how = deliver(self, resolved)
        report = self._wait_report(started + timeout)
        seconds = self._report_posted_after(report, started)
        return Played(report=report, seconds=seconds, delivery=how)

    def _wait_report(self, deadline: float) -> IncidentReport:
        while time.monotonic() < deadline:
            reports = sorted(self.archive_dir.glob("*.json"))
            if reports:
                return IncidentReport.model_validate_json(reports[0].read_text(encoding="utf-8"))
            time.sleep(0.05)
        raise SreOnCallError(f"no report was posted in time (agent logs: {self.workdir / 'logs'})")

    def _report_posted_after(self, report: IncidentReport, started: float) -> float:
        """Seconds from the webhook to the last part of the report appearing in the chat."""
        chat = self.discord if report.posted_text and self._posted_on(self.discord, report) else self.slack
        times = [p.time for p in chat.posts if p.text and p.text in report.posted_text]
        wall_started = time.time() - (time.monotonic() - started)
        return round(max(times) - wall_started, 3) if times else round(time.monotonic() - started, 3)

    @staticmethod
    def _posted_on(chat: Any, report: IncidentReport) -> bool:
        return any(p.text and p.text in report.posted_text for p in chat.posts)

    def describe(self) -> dict[str, Any]:
        """Where everything runs (no secrets)."""
        return {
            "moto": self.moto.url,
            "prometheus": f"http://127.0.0.1:{self.prometheus_port}",
            "stand_ins": {
                name: served.url
                for name, served in zip(("kubernetes", "slack", "discord"), self._served, strict=False)
            },
            "agents": self.agents.urls if self.agents else {},
            "intake": self.intake.url if self.intake else "",
            "workdir": str(self.workdir),
            "start_seconds": round(self.start_seconds, 2),
        }

    def state_json(self) -> str:
        pids = [p.pid for p in self.agents.procs.values()] if self.agents else []
        return json.dumps({**self.describe(), "pid": os.getpid(), "agent_pids": pids}, indent=2)


@dataclass(frozen=True)
class Played:
    report: IncidentReport
    seconds: float
    delivery: str
