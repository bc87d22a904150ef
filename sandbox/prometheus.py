"""A real Prometheus for the sandbox: the scenario's series backfilled with promtool, its rules
loaded, serving the HTTP API on 127.0.0.1.

Backfilled blocks are history to Prometheus: with no scrape targets the head stays empty, so
the blocks never overlap live data, and retention is set from the oldest sample so that none is
deleted at startup.
"""

from __future__ import annotations

import logging
import math
import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType

import httpx
import yaml

from sandbox.procs import LOOPBACK, ManagedProcess, start_http_server
from sandbox.resolved import ResolvedScenario, ResolvedSeries
from shared.errors import SourceError

logger = logging.getLogger(__name__)

PROMETHEUS_BIN = "prometheus"
PROMTOOL_BIN = "promtool"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def openmetrics_text(series: tuple[ResolvedSeries, ...]) -> str:
    """The series as OpenMetrics exposition: one family per metric name, timestamps in seconds.

    Every family is typed `unknown`: a scenario does not say whether a metric is a counter, and
    the TSDB stores samples the same way whatever the type.
    """
    families: dict[str, list[ResolvedSeries]] = defaultdict(list)
    for one in series:
        families[one.name].append(one)
    lines: list[str] = []
    for name, members in families.items():
        lines.append(f"# TYPE {name} unknown")
        for one in members:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(one.labels.items()) if k != "__name__")
            prefix = f"{name}{{{labels}}}" if labels else name
            lines.extend(f"{prefix} {_number(value)} {at.timestamp():.3f}" for at, value in one.samples)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _retention_days(series: tuple[ResolvedSeries, ...], now: datetime) -> int:
    oldest = min((s.samples[0][0] for s in series if s.samples), default=now)
    return max(15, (now - oldest).days + 30)


def _label_key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A series' identity as Prometheus serves it (a label with an empty value is no label)."""
    return tuple(sorted((str(k), str(v)) for k, v in labels.items() if v != ""))


def _selector(labels: Mapping[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}"


class PrometheusSandbox:
    """Backfill, configure, start and (always) stop a Prometheus for one resolved scenario
    (`resolved` None: an empty Prometheus, no series and no rules).

    `url` is `http://127.0.0.1:<port>` once started; `ready_seconds` how long the backfill and the
    start took. With `alertmanager_url`, firing alerts of the scenario's rules are sent there.
    """

    def __init__(
        self,
        resolved: ResolvedScenario | None,
        workdir: Path,
        *,
        alertmanager_url: str | None = None,
        evaluation_interval: str = "1s",
        start_timeout: float = 30.0,
        port: int | None = None,
    ) -> None:
        self.resolved = resolved
        self.workdir = Path(workdir) / "prometheus"
        self.alertmanager_url = alertmanager_url
        self.evaluation_interval = evaluation_interval
        self.start_timeout = start_timeout
        self.port = port
        self.url = ""
        self.process: ManagedProcess | None = None
        self.ready_seconds = 0.0

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def start(self) -> PrometheusSandbox:
        prometheus = shutil.which(PROMETHEUS_BIN)
        if prometheus is None:
            raise SourceError("prometheus is not installed (Debian/Homebrew package `prometheus`)")
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        prom = self.resolved.prometheus if self.resolved else None
        series = prom.series if prom else ()
        if series:
            self._backfill(series)
        config = self._write_config()
        retention = _retention_days(series, self.resolved.now) if self.resolved else 15
        self.process, self.url = start_http_server(
            "prometheus",
            lambda port: [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data_dir}",
                f"--storage.tsdb.retention.time={retention}d",
                f"--web.listen-address={LOOPBACK}:{port}",
                "--log.level=warn",
            ],
            ready_path="/-/ready",
            log_path=self.workdir / "prometheus.log",
            cwd=self.workdir,
            timeout=self.start_timeout,
            port=self.port,
        )
        if series:
            self._wait_series(series, started + self.start_timeout)
        self.ready_seconds = time.monotonic() - started
        logger.info(
            "url=<%s>, series=<%d>, seconds=<%.2f> | prometheus ready",
            self.url,
            len(series),
            self.ready_seconds,
        )
        return self

    def _wait_series(self, series: tuple[ResolvedSeries, ...], deadline: float) -> None:
        """Wait until the API returns every backfilled series (`/-/ready` answering is not enough
        on a busy machine: nothing may query before all of them are served). SourceError naming
        the ones still missing at `deadline` (the process is stopped)."""
        expected = {_label_key(one.labels) for one in series if one.samples}
        times = [at.timestamp() for one in series for at, _ in one.samples]
        if not expected or not times:
            return
        names = sorted({one.name for one in series})
        params = httpx.QueryParams(
            {
                "match[]": [f'{{__name__="{name}"}}' for name in names],
                "start": f"{min(times):.3f}",
                "end": f"{max(times):.3f}",
            }
        )
        missing = expected
        with httpx.Client(timeout=5.0, trust_env=False) as client:
            while True:
                try:
                    answer = client.get(f"{self.url}/api/v1/series", params=params)
                    if answer.is_success:
                        served = {_label_key(found) for found in answer.json().get("data") or []}
                        missing = expected - served
                except (httpx.HTTPError, ValueError):
                    pass
                if not missing:
                    return
                if time.monotonic() >= deadline:
                    self.stop()
                    shown = ", ".join(_selector(dict(key)) for key in sorted(missing)[:3])
                    raise SourceError(
                        f"prometheus: {len(missing)} of {len(expected)} backfilled series not served "
                        f"after {self.start_timeout:.0f}s (e.g. {shown})"
                    )
                time.sleep(0.1)

    def _backfill(self, series: tuple[ResolvedSeries, ...]) -> None:
        promtool = shutil.which(PROMTOOL_BIN)
        if promtool is None:
            raise SourceError("promtool is not installed (it ships with the `prometheus` package)")
        source = self.workdir / "series.om"
        source.write_text(openmetrics_text(series), encoding="utf-8")
        done = subprocess.run(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--quiet",
                str(source),
                str(self.data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise SourceError(f"promtool could not backfill the series: {done.stderr.strip()[-1000:]}")

    def _write_config(self) -> Path:
        config: dict[str, object] = {
            "global": {"evaluation_interval": self.evaluation_interval, "scrape_interval": "15s"},
            "scrape_configs": [],
        }
        prom = self.resolved.prometheus if self.resolved else None
        if prom is not None and prom.rules:
            rules = self.workdir / "rules.yml"
            rules.write_text(prom.rules, encoding="utf-8")
            config["rule_files"] = [str(rules)]
        if self.alertmanager_url:
            target = self.alertmanager_url.split("://", 1)[-1].rstrip("/")
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
        path = self.workdir / "prometheus.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.stop()
            logger.info("url=<%s> | prometheus stopped", self.url)

    def __enter__(self) -> PrometheusSandbox:
        return self.start() if self.process is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
