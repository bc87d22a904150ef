"""`sre-on-call demo`: one scenario through the whole system on the sandbox, the thread printed."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from sandbox.guide import guide
from sandbox.scenario import load_scenario
from sandbox.stack import Sandbox, with_scenario_channels
from shared.config import PROJECT_ROOT, load_config
from shared.render.terminal import as_seen

DEFAULT_SCENARIO = PROJECT_ROOT / "examples" / "scenarios" / "oom-after-deploy.yaml"


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run_demo(*, scenario: Path | None, keep: bool, config_file: Path | None) -> int:
    config = load_config(config_file)
    chosen = load_scenario(scenario or DEFAULT_SCENARIO)
    _out(f"scenario: {chosen.id}: {chosen.title}")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with Sandbox(with_scenario_channels(config, [chosen])) as sandbox:
        agents = sandbox.agents.urls if sandbox.agents else {}
        _out(
            f"sandbox up in {sandbox.start_seconds:.1f}s: moto, Kubernetes/Slack/Discord stand-ins, "
            f"intake, {len(agents)} agents ({', '.join(agents)})"
        )
        resolved = sandbox.load(chosen)
        _out(f"scenario loaded; Prometheus backfilled and ready in {sandbox.prometheus_ready_seconds:.1f}s")
        played = sandbox.play(resolved)
        report = played.report
        _out(f"alert delivered: {played.delivery.detail}")
        _out(f"report posted {played.seconds:.2f}s after the webhook reached the intake\n")
        _out("─" * 30 + " thread reply " + "─" * 30)
        _out(as_seen(report.posted_text))
        _out("─" * 74)
        for run in report.agents:
            errors = f"  ({'; '.join(run.errors)[:120]})" if run.errors else ""
            _out(
                f"  {run.name:<16} {run.status.value:<8} {run.duration_ms:>6} ms  "
                f"{run.findings} findings{errors}"
            )
        _out(
            f"\ncause: {report.cause.category.value} (trigger: {report.cause.trigger.value}, "
            f"confidence {report.cause.confidence:.2f})"
        )
        if keep:
            # Everything after the report is inside the try: a Ctrl-C while the guide is being
            # written stops the demo as cleanly as one while it waits.
            try:
                if sandbox.alertmanager is None:  # the report's Silence button silences in it
                    sandbox.serve_alertmanager(resolved)
                _out(
                    guide(
                        sandbox.describe(),
                        scenario=chosen,
                        resolved=resolved,
                        state=None,
                        region=sandbox.region,
                    ).replace("\nCtrl-C or `sre-on-call sandbox down` stops it\n", "")
                )
                _out("\nsandbox kept running; Ctrl-C to stop.")
                threading.Event().wait()
            except KeyboardInterrupt:
                _out("stopping")
    return 0
