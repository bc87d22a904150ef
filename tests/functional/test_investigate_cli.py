"""`sre-on-call investigate` against scanners found through the environment, report printed."""

from __future__ import annotations

import json

import pytest

from shared.cli import main
from shared.config import load_config
from tests.support.scripted_agents import Script, serve_scripted


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
