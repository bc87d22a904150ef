"""The whole system on the sandbox: signed webhook -> intake -> master -> scanners over A2A -> post.

One scenario per platform (Slack event, Discord interaction, the real Alertmanager) through
`sre-on-call eval`, checking the SCENARIOS.md contract of its JSON output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.alertmanager import alertmanager_binary
from sre_on_call.cli import main

ROOT = Path(__file__).resolve().parents[2]
# One per platform, and one whose deploy was announced in another channel the bot is in.
SCENARIOS = [
    "oom-after-deploy",
    "discord-deploy-regression",
    "db-pool-exhausted",
    "oom-deploy-announced-in-deploys",
]


@pytest.mark.functional
def test_eval_plays_one_scenario_per_platform_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval.json"
    files = [str(ROOT / "examples" / "scenarios" / f"{name}.yaml") for name in SCENARIOS]
    code = main(["eval", *files, "--json", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert [row["id"] for row in result["scenarios"]] == SCENARIOS
    for row in result["scenarios"]:
        assert set(row) >= {
            "id",
            "passed",
            "category_expected",
            "category_got",
            "missing_mentions",
            "forbidden_found",
            "missing_evidence_from",
            "seconds",
            "report",
        }
        report = row["report"]
        assert report["posted_text"], row["id"]
        assert {a["name"] for a in report["agents"]} == {
            "slack_scanner",
            "discord_scanner",
            "cloudwatch_logs",
            "eks",
            "prometheus",
        }
        cited = set(report["cause"]["evidence"])
        assert cited <= {f["id"] for f in report["findings"]}  # the cause cites real findings
        assert row["prometheus_ready_seconds"] > 0  # each scenario's backfill and start, timed
    # db-pool-exhausted comes through Alertmanager where it is installed, the others are direct
    deliveries = {row["id"]: row["delivery"] for row in result["scenarios"]}
    expected_path = "alertmanager" if alertmanager_binary() else "direct"
    # Discord alerts are posted in the channel and read by the Gateway listener, as on Discord.
    paths = {"db-pool-exhausted": expected_path, "discord-deploy-regression": "gateway"}
    assert deliveries == {name: paths.get(name, "direct") for name in SCENARIOS}
    assert result["summary"]["total"] == len(SCENARIOS)
    assert result["summary"]["pass_rate"] == result["summary"]["passed"] / len(SCENARIOS)
    assert result["summary"]["p95_seconds"] >= result["summary"]["p50_seconds"] > 0
    assert result["summary"]["sandbox_start_seconds"] > 0
    assert result["summary"]["sandbox_ready_seconds"] > result["summary"]["sandbox_start_seconds"]
    assert result["summary"]["prometheus_ready_max_seconds"] > 0
    assert (result["summary"]["timed_out"], result["summary"]["errored"]) == (0, 0)
    assert "passed" in printed and "sandbox start" in printed
    assert code == (0 if result["summary"]["passed"] == len(SCENARIOS) else 1)
    # the shipped scenarios pass: a regression here is a regression of the product
    assert result["summary"]["passed"] == len(SCENARIOS), printed


def test_eval_rejects_a_malformed_scenario_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken-one.yaml"
    bad.write_text(
        (ROOT / "examples/scenarios/oom-after-deploy.yaml")
        .read_text()
        .replace("id: oom-after-deploy", "id: broken-one")
        .replace("at: now-2m", "at: now-2x", 1)
    )
    assert main(["eval", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken-one.yaml" in err and "alert.at" in err
