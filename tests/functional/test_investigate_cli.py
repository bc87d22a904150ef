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


def test_with_no_agent_reachable_investigate_fails_fast_saying_how_to_start_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no build/sandbox.json here
    urls = {name: "http://127.0.0.1:9" for name in load_config(ROOT / "config.yaml").scanners()}
    monkeypatch.setenv("SRE_AGENT_URLS", json.dumps(urls))
    started = time.monotonic()
    code = main(
        [
            "investigate",
            "--config",
            str(ROOT / "config.yaml"),
            "--channel",
            "C0ALERTS",
            "--no-post",
            "--text",
            ALERT,
        ]
    )
    assert code == 2
    assert time.monotonic() - started < 30  # not the 60 s deadline, nor the 180 s cutoff
    err = capsys.readouterr().err
    assert "no agent is reachable" in err and "sre-on-call sandbox up" in err


def test_a_running_sandbox_is_found_by_its_state_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("SRE_AGENT_URLS", raising=False)
    monkeypatch.chdir(tmp_path)
    scanners = list(load_config(ROOT / "config.yaml").scanners())
    with serve_scripted({name: Script(latency=0.01) for name in scanners}) as client:
        urls = {name: transport.base_url for name, transport in client.transports.items()}  # type: ignore[attr-defined]
        workdir = tmp_path / "sandbox-work"
        workdir.mkdir()
        (workdir / "config.yaml").write_text((ROOT / "config.yaml").read_text(encoding="utf-8"))
        (tmp_path / "build").mkdir()
        (tmp_path / "build" / "sandbox.json").write_text(
            json.dumps({"agents": urls, "workdir": str(workdir), "intake": "http://127.0.0.1:1"})
        )
        code = main(
            [
                "investigate",
                "--channel",
                "C0ALERTS",
                "--no-post",
                "--format",
                "json",
                "--deadline",
                "10",
                "--text",
                ALERT,
            ]
        )
    assert code == 0
    out, err = capsys.readouterr()
    statuses = {run["name"]: run["status"] for run in json.loads(out)["agents"]}
    assert statuses == dict.fromkeys(scanners, "ok")
    assert "using the running sandbox" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("sre-on-call ")
