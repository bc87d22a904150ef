"""`sre-on-call investigate` against scanners found through the environment, report printed."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest
import yaml

from shared.config import load_config
from sre_on_call.cli import main
from tests.support.scripted_agents import Script, serve_scripted

ROOT = Path(__file__).resolve().parents[2]
ALERT = "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p severity=critical"


def test_investigate_prints_the_report_with_every_scanner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scanners = list(load_config().scanners())
    scripts = {name: Script(latency=0.05) for name in scanners}
    scripts["eks"] = Script(fail="cluster unreachable")
    with serve_scripted(scripts) as client:
        urls = {name: transport.base_url for name, transport in client.transports.items()}  # type: ignore[attr-defined]
        monkeypatch.setenv("SRE_AGENT_URLS", json.dumps(urls))
        code = main(
            [
                "investigate",
                "--platform",
                "slack",
                "--channel",
                "C0ALERTS",
                "--no-post",
                "--format",
                "json",
                "--text",
                "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p severity=critical",
            ]
        )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["alert"]["hints"]["namespace"] == "shop"
    statuses = {run["name"]: run["status"] for run in report["agents"]}
    assert statuses["eks"] == "error" and statuses["prometheus"] == "ok"
    assert set(statuses) == set(scanners)


class ClockedOut(io.StringIO):
    """stdout that records when each piece of text was written."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((time.monotonic(), text))
        return super().write(text)

    def first(self, contains: str) -> float:
        return next(at for at, text in self.writes if contains in text)


def test_investigate_prints_the_report_at_the_deadline_then_each_late_result_as_it_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["defaults"].update(deadline_seconds=1, late_cutoff_seconds=30)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(data))
    scripts = {name: Script(latency=0.05) for name in load_config(config_file).scanners()}
    scripts["prometheus"] = Script(latency=3.0)
    out = ClockedOut()
    with serve_scripted(scripts) as client:
        urls = {name: transport.base_url for name, transport in client.transports.items()}  # type: ignore[attr-defined]
        monkeypatch.setenv("SRE_AGENT_URLS", json.dumps(urls))
        monkeypatch.setattr(sys, "stdout", out)
        started = time.monotonic()
        code = main(
            [
                "investigate",
                "--channel",
                "C0ALERTS",
                "--no-post",
                "--config",
                str(config_file),
                "--text",
                ALERT,
            ]
        )
        finished = time.monotonic()

    assert code == 0
    report_at, update_at = out.first("Likely cause"), out.first("Late result from prometheus")
    # The report is on screen at the deadline, long before the slow scanner answers; the update follows.
    assert update_at - report_at > 1.5
    report = out.getvalue().split("late result from prometheus")[0]
    assert "prometheus: timeout" in report
    assert "prometheus saw something" in out.getvalue()[len(report) :]
    assert finished - started < 30  # done once every agent has answered, not at the cutoff
