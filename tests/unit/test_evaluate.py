"""`sre-on-call eval` keeps going when one scenario breaks in any way, records why in that
scenario's row, and always writes its JSON (a stand-in sandbox: no servers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.deliver import Delivery
from sandbox.evaluate import run_eval, stability
from sandbox.stack import Played, ReportTimeout
from shared.contracts import AlertContext, Cause, CauseCategory, IncidentReport, Platform
from shared.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["cpu-throttling", "db-pool-exhausted", "oom-after-deploy", "watchdog-noise"]
FILES = [ROOT / "examples" / "scenarios" / f"{name}.yaml" for name in SCENARIOS]
NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)


def a_report(category: str) -> IncidentReport:
    alert = AlertContext(
        investigation_id="inv-0001-test",
        platform=Platform.SLACK,
        channel="C0ALERTS",
        received_at=NOW,
        window_start=NOW - timedelta(minutes=60),
        window_end=NOW,
    )
    cause = Cause(category=CauseCategory(category), summary="s", confidence=0.5)
    return IncidentReport(
        investigation_id="inv-0001-test", alert=alert, title="t", cause=cause, posted_text="x"
    )


class BreakingSandbox:
    """Plays each scenario by the script: a client library error, a malformed report, a timeout,
    and one report."""

    def __init__(self, config: Any) -> None:
        self.start_seconds = 3.2
        self.prometheus_ready_seconds = 0.0

    def __enter__(self) -> BreakingSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def load(self, scenario: Any) -> str:
        self.prometheus_ready_seconds = 0.7
        return str(scenario.id)

    def play(self, scenario_id: str) -> Played:
        if scenario_id == "cpu-throttling":
            raise httpx.ConnectError("connection refused")
        if scenario_id == "db-pool-exhausted":
            IncidentReport.model_validate_json("{}")  # pydantic's ValidationError
        if scenario_id == "oom-after-deploy":
            raise ReportTimeout("no report was posted within 90s", 90.0)
        return Played(a_report("no_issue"), 1.5, Delivery("direct", "signed Slack app_mention event"))


class SandboxThatCannotStart(BreakingSandbox):
    def __enter__(self) -> BreakingSandbox:
        raise OSError("moto could not bind")


def test_a_scenario_that_raises_anything_is_a_failed_row_and_the_rest_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval.json"
    code = run_eval(FILES, json_path=out, config_file=None, sandbox_factory=BreakingSandbox)
    assert code == 1
    result = json.loads(out.read_text())
    rows = {row["id"]: row for row in result["scenarios"]}
    assert list(rows) == SCENARIOS
    assert rows["cpu-throttling"]["passed"] is False
    assert rows["cpu-throttling"]["error"] == "ConnectError: connection refused"
    assert rows["db-pool-exhausted"]["error"].startswith("ValidationError: ")
    assert rows["oom-after-deploy"]["timed_out"] is True and rows["oom-after-deploy"]["seconds"] == 90.0
    scored = rows["watchdog-noise"]  # played and scored as usual
    assert scored["category_got"] == "no_issue" and scored["delivery"] == "direct" and "error" not in scored
    assert all(row["prometheus_ready_seconds"] == 0.7 for row in result["scenarios"])
    summary = result["summary"]
    assert (summary["total"], summary["passed"], summary["timed_out"], summary["errored"]) == (4, 0, 1, 2)
    assert summary["p95_seconds"] == 90.0 and summary["sandbox_start_seconds"] == 3.2
    printed = capsys.readouterr().out
    assert "ConnectError: connection refused" in printed
    assert "1 timed out, counted at their timeout; 2 failed without a report, not counted" in printed


def test_a_sandbox_that_cannot_start_still_gives_a_row_per_scenario_and_the_json(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    assert run_eval(FILES, json_path=out, config_file=None, sandbox_factory=SandboxThatCannotStart) == 1
    result = json.loads(out.read_text())
    assert [row["id"] for row in result["scenarios"]] == SCENARIOS
    assert all(
        row["error"] == "the sandbox failed: OSError: moto could not bind" for row in result["scenarios"]
    )
    assert result["summary"]["passed"] == 0


def test_repeat_plays_the_list_n_times_round_by_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval.json"
    run_eval(FILES, json_path=out, config_file=None, sandbox_factory=BreakingSandbox, repeat=2)
    result = json.loads(out.read_text())
    assert [(row["round"], row["id"]) for row in result["scenarios"]] == [
        (round_, name) for round_ in (1, 2) for name in SCENARIOS
    ]
    assert result["summary"]["total"] == 8 and result["summary"]["rounds"] == 2
    # Failing every round is failing, not unstable.
    assert result["summary"]["unstable"] == []
    cpu = result["stability"]["cpu-throttling"]
    assert (cpu["runs"], cpu["passed"], cpu["unstable"]) == (2, 0, False)
    assert all("ConnectError: connection refused" in failure for failure in cpu["failures"])
    printed = capsys.readouterr().out
    assert "FAIL  #2 cpu-throttling" in printed and "4 always failed" in printed


def test_a_scenario_that_passes_in_some_rounds_and_fails_in_others_is_unstable() -> None:
    rows = [
        {"id": "a", "passed": True, "category_got": "oom", "category_expected": "oom"},
        {"id": "b", "passed": True, "category_got": "oom", "category_expected": "oom"},
        {"id": "a", "passed": False, "category_got": "unknown", "category_expected": "oom"},
        {"id": "b", "passed": True, "category_got": "oom", "category_expected": "oom"},
    ]
    for row in rows:
        row.update(missing_mentions=[], forbidden_found=[], missing_evidence_from=[])
    found = stability(rows)
    assert found["a"]["unstable"] and (found["a"]["passed"], found["a"]["runs"]) == (1, 2)
    assert found["a"]["failures"] == ["category unknown != oom"]
    assert not found["b"]["unstable"]


def test_repeat_below_one_is_refused() -> None:
    with pytest.raises(ScenarioError, match="at least once"):
        run_eval(FILES, json_path=None, config_file=None, sandbox_factory=BreakingSandbox, repeat=0)
