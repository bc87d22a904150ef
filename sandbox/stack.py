"""The whole embedded sandbox behind one context manager.

Started once: the moto server (CloudWatch Logs, DynamoDB, S3, Secrets Manager), the Kubernetes,
Slack and Discord stand-ins, every agent in config.yaml as its own process, and the intake (the
same handler code Lambda runs) on loopback. As deployed, the chat tokens and signing secrets live
in Secrets Manager (each process gets `<NAME>_SECRET_ARN` and reads its secrets at start) and the
master archives every report to the S3 bucket. Per scenario (`load`): once the last investigation
is over, the data is replaced in place (log groups in every region a scenario used), Prometheus and
Alertmanager restart empty on the same ports (Prometheus counts as ready once it serves every
backfilled series), and `play` sends the alert in as a signed webhook and waits for the report in
the bucket. The intake's ALERTMANAGER_URL is that Alertmanager: the report's Silence button works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents.master.archive import ENV_ARCHIVE_BUCKET
from sandbox.agents import AgentProcesses
from sandbox.alertmanager import AlertmanagerSandbox, alertmanager_binary
from sandbox.aws import (
    MotoServer,
    aws_env,
    client,
    create_bucket,
    create_dedup_table,
    delete_log_groups,
    empty_bucket,
    empty_table,
    put_secrets,
    seed_cloudwatch_logs,
)
from sandbox.deliver import Delivery
from sandbox.discord_api import FakeDiscordApi
from sandbox.discord_gateway import FakeDiscordGateway
from sandbox.http import ServedApp
from sandbox.intake_clock import IntakeClock
from sandbox.kube import FakeKubeApi
from sandbox.procs import free_port
from sandbox.prometheus import PrometheusSandbox
from sandbox.resolved import ResolvedScenario
from sandbox.scenario import Scenario
from sandbox.settings import (
    SandboxSecrets,
    quiet_channels,
    secret_values,
    with_sandbox_operator,
    with_scenario_channels,
)
from sandbox.slack_api import FakeSlackApi
from shared.config import ENV_CONFIG_PATH, AppConfig
from shared.contracts import IncidentReport
from shared.errors import SreOnCallError
from shared.plugins import load_kind
from shared.secrets import SUFFIX as SECRET_ARN_SUFFIX
from shared.secrets import hydrate_secrets

__all__ = ["Played", "ReportTimeout", "Sandbox", "SandboxSecrets", "with_scenario_channels"]

logger = logging.getLogger(__name__)

DEDUP_TABLE = "sre-on-call-dedup"
TRACE_BUCKET = "sre-on-call-traces"
REPORTS_PREFIX = "reports/"  # where the master's S3 archive puts reports
SECRET_PREFIX = "sre-on-call-sandbox/"
DISCORD_GUILD = "1000000000000000000"
# Served on threads of the sandbox process itself, so they have its pid.
IN_PROCESS = ("moto", "kubernetes", "slack", "discord", "intake", "discord-gateway")


class ReportTimeout(SreOnCallError):
    """No report was posted in time; `seconds` is how long was waited from the webhook reaching
    the intake (or the whole timeout when it never did)."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class Sandbox:
    """`use_alertmanager=False`: Alertmanager scenarios send their webhook directly even where the
    real Alertmanager is installed (what happens on a machine without it)."""

    def __init__(
        self, config: AppConfig, workdir: Path | None = None, *, use_alertmanager: bool = True
    ) -> None:
        self.config = with_sandbox_operator(config)
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sre-on-call-sandbox-"))
        self.secrets = SandboxSecrets.generate()
        self.moto = MotoServer()
        self.kube = FakeKubeApi(token=self.secrets.kube_token)
        self.slack = FakeSlackApi(token=self.secrets.slack_token)
        self.discord = FakeDiscordApi(token=self.secrets.discord_token, guild_id=DISCORD_GUILD)
        # Served in its place: the same REST API plus `GET /gateway/bot` and the Gateway websocket.
        self.discord_gateway = FakeDiscordGateway(self.discord)
        self.discord_listener: Any = None
        self._served: list[ServedApp] = []
        self.prometheus_port = free_port()
        # Alertmanager restarts per scenario on this port: the intake's ALERTMANAGER_URL (where the
        # report's Silence button creates silences) stays right across scenarios.
        self.alertmanager_port = free_port()
        self._log_regions = {config.sources.aws.region}  # every region a scenario put log groups in
        self.prometheus: PrometheusSandbox | None = None
        self.alertmanager: AlertmanagerSandbox | None = None
        self.agents: AgentProcesses | None = None
        self.intake: Any = None
        self.intake_app: Any = None
        self.intake_clock: IntakeClock | None = None
        self.use_alertmanager = use_alertmanager
        self.env: dict[str, str] = {}
        self.secret_arns: dict[str, str] = {}
        self._saved_env: dict[str, str | None] = {}
        self._s3_client: Any = None
        self.start_seconds = 0.0
        self.prometheus_ready_seconds = 0.0
        self.region = config.sources.aws.region

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Sandbox:
        started = time.monotonic()
        try:
            self.moto.start()
            urls = {}
            for name, app in (
                ("kube", self.kube.app),
                ("slack", self.slack.app),
                ("discord", self.discord_gateway.app),
            ):
                served = ServedApp(app)
                urls[name] = served.start()
                self._served.append(served)
            self._create_aws()
            self.env = self._environment(urls)
            self._apply_env()
            self.agents = AgentProcesses(self.config, self.env, self.workdir / "logs")
            self.agents.start()
            # The intake runs in this process: it reads its secrets as the deployed Lambda does.
            hydrate_secrets(self.config)
            self.intake = self._start_intake()
            self.discord_listener = self._start_discord_listener(urls["discord"])
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _environment(self, urls: dict[str, str]) -> dict[str, str]:
        """What every process gets. Secrets are not in it: only where to read them
        (`<NAME>_SECRET_ARN`), as the Terraform module sets them."""
        sources, s = self.config.sources, self.secrets
        env = aws_env(self.moto.url, self.region)
        env.update(
            {
                sources.eks.base_url_env: urls["kube"],
                "KUBERNETES_TOKEN": s.kube_token,
                sources.slack.base_url_env: f"{urls['slack']}/api/",
                sources.discord.base_url_env: f"{urls['discord']}/api/v10",
                self.config.intake.dedup_table_env: DEDUP_TABLE,
                ENV_ARCHIVE_BUCKET: TRACE_BUCKET,
                ENV_CONFIG_PATH: str(self._write_config()),
            }
        )
        env[sources.prometheus.url_env] = f"http://127.0.0.1:{self.prometheus_port}"
        if self.serves_alertmanager:
            env[self.config.intake.actions.alertmanager_url_env] = self.alertmanager_url
        env.update(self._stand_in_environment(urls))
        env.update({f"{name}{SECRET_ARN_SUFFIX}": arn for name, arn in self.secret_arns.items()})
        return env

    def _stand_in_environment(self, urls: dict[str, str]) -> dict[str, str]:
        """Every scanner instance is pointed at the stand-in its kind declares, through the env var
        its own source settings name (a second Prometheus instance reads `STAGING_PROMETHEUS_URL`)."""
        where = {
            "prometheus": ("url_env", f"http://127.0.0.1:{self.prometheus_port}"),
            "kubernetes": ("base_url_env", urls["kube"]),
            "slack": ("base_url_env", f"{urls['slack']}/api/"),
            "discord": ("base_url_env", f"{urls['discord']}/api/v10"),
        }
        env: dict[str, str] = {}
        for agent_id in self.config.scanners():
            kind = load_kind(self.config.kind_of(agent_id))
            if kind.stand_in in where:
                field, url = where[kind.stand_in]
                name = getattr(self.config.source_for(agent_id), field, None)
                if isinstance(name, str) and name:
                    env[name] = url
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
        # The intake runs in this process and reads its settings from the environment. A secret
        # already set here (a real token in the user's shell) must not reach the sandbox's
        # processes, and would stop them reading the sandbox's own from Secrets Manager.
        for key in self.secret_arns:
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ.pop(key, None)
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

    def _create_aws(self) -> None:
        """The dedup table, the archive bucket and the secrets (moto starts empty)."""
        create_dedup_table(self.moto.url, DEDUP_TABLE, self.region)
        create_bucket(self.moto.url, TRACE_BUCKET, self.region)
        stored = put_secrets(
            self.moto.url,
            {
                f"{SECRET_PREFIX}{name}": value
                for name, value in secret_values(self.config, self.secrets).items()
            },
            self.region,
        )
        self.secret_arns = {name.removeprefix(SECRET_PREFIX): arn for name, arn in stored.items()}

    @property
    def serves_alertmanager(self) -> bool:
        """Whether the real Alertmanager is installed and used here."""
        return self.use_alertmanager and alertmanager_binary() is not None

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager_port}"

    def _clear_aws(self, region: str) -> None:
        """Forget the last scenario: its logs (in every region a scenario used, and the next
        one's), its reports and its dedup records. The secrets stay (every process read them at
        start, from the ARNs it was given)."""
        delete_log_groups(self.moto.url, sorted({*self._log_regions, region}))
        self._log_regions.add(region)  # only once AWS took it: one scenario cannot break the next
        empty_bucket(self.moto.url, TRACE_BUCKET, self.region)
        # Emptied, not re-created: a hand-off watch of the last scenario never finds it missing.
        empty_table(self.moto.url, DEDUP_TABLE, region=self.region)

    def _s3(self) -> Any:
        if self._s3_client is None:
            self._s3_client = client("s3", self.moto.url, self.region)
        return self._s3_client

    def _start_intake(self) -> Any:
        from lambda_adapter.master import a2a_dispatcher
        from lambda_adapter.server import ThreadedServer, app_from_env

        env = {**os.environ, **(self.agents.env if self.agents else {})}
        self.intake_app = app_from_env(self.config, dispatcher=a2a_dispatcher(self.config, env))
        self.intake_clock = IntakeClock(self.intake_app)
        return ThreadedServer(self.intake_clock).start()

    def _start_discord_listener(self, discord_url: str) -> Any:
        """The Gateway listener (`sre-on-call discord-gateway`) on a thread of this process, handing
        messages to the intake's core here, as the deployed one invokes the intake function."""
        gateway = self.config.intake.discord_gateway
        if not gateway.enabled:
            return None
        from sandbox.discord_listener import ListenerThread

        clock = self.intake_clock
        assert clock is not None
        return ListenerThread(
            self.intake_app.state.intake,
            token=self.secrets.discord_token,
            rest_url=f"{discord_url}/api/v10",
            alert_channels=frozenset(gateway.alert_channels),
            lookback_seconds=float(self.config.intake.dedup_window_seconds),
            on_receive=lambda delivery: _note_alert(clock, delivery),
        ).start()

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
        if self.discord_listener is not None:
            with contextlib.suppress(Exception):
                self.discord_listener.stop()
            self.discord_listener = None
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
        self._s3_client = None
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

    def start_alertmanager(
        self, query: str = "", group_by: tuple[str, ...] = ("alertname",)
    ) -> AlertmanagerSandbox:
        """(Re)start the real Alertmanager on its port, empty (no alerts, silences or notification
        log from before), its webhook the intake's `/alertmanager[?query]` with the bearer token."""
        self._stop_alertmanager()
        shutil.rmtree(self.workdir / "scenario" / "alertmanager", ignore_errors=True)
        webhook = f"{self.intake.url}/alertmanager" + (f"?{query}" if query else "")
        self.alertmanager = AlertmanagerSandbox(
            self.workdir / "scenario",
            webhook,
            bearer_token=self.secrets.alertmanager_token,
            group_by=group_by,
            port=self.alertmanager_port,
        )
        self.alertmanager.start()
        return self.alertmanager

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ per scenario

    def load(self, scenario: Scenario) -> ResolvedScenario:
        """Replace every source's data with the scenario's, its times relative to now."""
        self._settle()
        self._stop_alertmanager()  # the last scenario's alerts must not reach this one's intake
        resolved = scenario.resolve()
        self._clear_aws(resolved.region)
        seed_cloudwatch_logs(self.moto.url, resolved)
        self.kube.load(list(resolved.kube_objects), dict(resolved.pod_logs))
        sources = self.config.sources
        self.slack.load(
            [*resolved.slack_channels, *quiet_channels(sources.slack.channels, resolved.slack_channels)]
        )
        self.discord.load(
            [
                *resolved.discord_channels,
                *quiet_channels(sources.discord.channels, resolved.discord_channels),
            ]
        )
        self._apply_context(resolved)
        self._start_prometheus(resolved)
        return resolved

    def serve_alertmanager(self, resolved: ResolvedScenario | None) -> AlertmanagerSandbox | None:
        """The real Alertmanager, running for what someone does by hand (`sandbox up`, `demo
        --keep`): alerts posted to it reach the intake for the scenario's channel (without one,
        `intake.alertmanager_channel`), and the report's Silence button silences in it. None
        where it is not installed or not used."""
        from sandbox.deliver import alertmanager_query

        if not self.serves_alertmanager:
            return None
        return self.start_alertmanager(alertmanager_query(resolved) if resolved else "")

    def _settle(self, timeout: float | None = None) -> None:
        """Wait until the last scenario's investigation is over: no intake job running and no agent
        with a request in flight (a late update must not land in the next scenario's chat)."""
        deadline = time.monotonic() + (timeout or self.config.defaults.deadline_seconds + 30)
        jobs = getattr(getattr(self.intake_app, "state", None), "jobs", None)
        while jobs is not None and jobs.pending and time.monotonic() < deadline:
            time.sleep(0.05)
        busy = self.agents.wait_idle(max(0.0, deadline - time.monotonic())) if self.agents else []
        if busy or (jobs is not None and jobs.pending):
            logger.warning("busy=<%s> | the last investigation still runs; loading the next scenario", busy)

    def start_empty_prometheus(self) -> None:
        """Prometheus with no series (`sandbox up` without a scenario still serves its URL)."""
        self._start_prometheus(None)

    def _start_prometheus(self, resolved: ResolvedScenario | None) -> None:
        self._stop_prometheus()
        shutil.rmtree(self.workdir / "scenario" / "prometheus", ignore_errors=True)
        self.prometheus = PrometheusSandbox(resolved, self.workdir / "scenario", port=self.prometheus_port)
        self.prometheus.start()
        self.prometheus_ready_seconds = self.prometheus.ready_seconds

    def play(self, resolved: ResolvedScenario, timeout: float | None = None) -> Played:
        """Send the scenario's alert into the intake as its platform would and wait for the report.

        `seconds` runs from the webhook reaching the intake (for Alertmanager scenarios, after
        Alertmanager has started and sent it) to the last part of the report being posted.
        Raises ReportTimeout when the webhook or the report does not come within `timeout` s.
        """
        from sandbox.deliver import deliver

        assert self.intake_clock is not None, "start the sandbox first"
        timeout = timeout or self.config.defaults.deadline_seconds + 30
        before = self.intake_clock.count
        delivery = deliver(self, resolved)
        receipt = self.intake_clock.wait_after(before, timeout)
        if receipt is None:
            raise ReportTimeout(
                f"the alert's webhook did not reach the intake within {timeout:.0f}s", timeout
            )
        report = self._wait_report(time.monotonic() + timeout - (time.time() - receipt.at))
        if report is None:
            raise ReportTimeout(
                f"no report was posted within {timeout:.0f}s of the webhook reaching the intake "
                f"(agent logs: {self.workdir / 'logs'})",
                timeout,
            )
        seconds = self._report_posted_after(report, receipt.at)
        return Played(report=report, seconds=seconds, delivery=delivery, received_at=receipt.at)

    def archived_reports(self) -> list[str]:
        """Keys of the reports in the archive bucket, in key order."""
        answer = self._s3().list_objects_v2(Bucket=TRACE_BUCKET, Prefix=REPORTS_PREFIX)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def archived_report(self, key: str) -> IncidentReport:
        body = self._s3().get_object(Bucket=TRACE_BUCKET, Key=key)["Body"].read()
        return IncidentReport.model_validate_json(body)

    def _wait_report(self, deadline: float) -> IncidentReport | None:
        """The first report the master archives to the bucket; None at the deadline."""
        while time.monotonic() < deadline:
            keys = self.archived_reports()
            if keys:
                return self.archived_report(keys[0])
            time.sleep(0.05)
        return None

    def _report_posted_after(self, report: IncidentReport, received_at: float) -> float:
        """Seconds from the webhook reaching the intake (wall time) to the last part of the report
        appearing in the chat."""
        chat = self.discord if report.posted_text and self._posted_on(self.discord, report) else self.slack
        times = [p.time for p in chat.posts if p.text and p.text in report.posted_text]
        return round((max(times) if times else time.time()) - received_at, 3)

    @staticmethod
    def _posted_on(chat: Any, report: IncidentReport) -> bool:
        return any(p.text and p.text in report.posted_text for p in chat.posts)

    def describe(self) -> dict[str, Any]:
        """Where everything runs (no secrets)."""
        return {
            "moto": self.moto.url,
            "prometheus": self.prometheus.url if self.prometheus and self.prometheus.process else None,
            "alertmanager": (
                self.alertmanager.url if self.alertmanager and self.alertmanager.process else None
            ),
            "stand_ins": {
                name: served.url
                for name, served in zip(("kubernetes", "slack", "discord"), self._served, strict=False)
            },
            "agents": self.agents.urls if self.agents else {},
            "intake": self.intake.url if self.intake else "",
            "workdir": str(self.workdir),
            "start_seconds": round(self.start_seconds, 2),
            "prometheus_ready_seconds": round(self.prometheus_ready_seconds, 2),
            "archive": f"s3://{TRACE_BUCKET}/{REPORTS_PREFIX}",
        }

    def child_pids(self) -> dict[str, int]:
        """Every process the sandbox started, by name (moto, the stand-ins and the intake are
        threads of this process, not children)."""
        children: dict[str, int] = {}
        for name, server in (("prometheus", self.prometheus), ("alertmanager", self.alertmanager)):
            process = server.process if server is not None else None
            if process is not None and process.pid is not None:
                children[name] = process.pid
        if self.agents:
            children.update({f"agent {agent}": proc.pid for agent, proc in self.agents.procs.items()})
        return children

    def state_json(self) -> str:
        children = self.child_pids()
        agent_pids = [pid for name, pid in children.items() if name.startswith("agent ")]
        state = {
            **self.describe(),
            "pid": os.getpid(),
            "in_process": list(IN_PROCESS),
            "children": children,
            "agent_pids": agent_pids,
        }
        return json.dumps(state, indent=2)


def _note_alert(clock: IntakeClock, delivery: dict[str, Any]) -> None:
    """A message the listener hands in reached the intake (our own reports come back over the
    Gateway too: those are not alerts)."""
    author = (delivery.get("message") or {}).get("author") or {}
    if author.get("id") != delivery.get("bot_user_id"):
        clock.note("/discord/gateway")


@dataclass(frozen=True)
class Played:
    report: IncidentReport
    seconds: float  # from `received_at` to the report's last part being posted
    delivery: Delivery
    received_at: float = 0.0  # time.time() when the webhook reached the intake
