"""The eval's verdict on one report (SCENARIOS.md): each way a report can fail, and the latency
percentiles, timed-out runs included at their timeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.scenario import Expected
from sandbox.scoring import failed_run, percentile, score, summary
from shared.contracts import AlertContext, Cause, CauseCategory, Finding, IncidentReport, Platform, Severity

NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
EXPECTED = Expected.model_validate(
    {
        "category": "oom",
        "trigger": "deploy",
        "must_mention": ["OOMKilled", "checkout"],
        "must_not_mention": ["payments"],
        "evidence_from": ["eks", "prometheus"],
    }
)
POSTED = "Checkout pods OOMKILLED after the v2.3.0 rollout; memory at its limit."


def finding(fid: str, agent: str) -> Finding:
    return Finding(id=fid, agent=agent, severity=Severity.CRITICAL, title=fid)


def report(
    *,
    category: str = "oom",
    posted: str = POSTED,
    findings: tuple[Finding, ...] = (finding("eks:oom", "eks"), finding("prometheus:mem", "prometheus")),
    cited: tuple[str, ...] = ("eks:oom", "prometheus:mem"),
) -> IncidentReport:
    alert = AlertContext(
        investigation_id="inv-0001-test",
        platform=Platform.SLACK,
        channel="C0ALERTS",
        received_at=NOW,
        window_start=NOW - timedelta(minutes=60),
        window_end=NOW,
    )
    cause = Cause(category=CauseCategory(category), summary="s", confidence=0.8, evidence=cited)
    return IncidentReport(
        investigation_id="inv-0001-test",
        alert=alert,
        title="t",
        cause=cause,
        findings=findings,
        posted_text=posted,
    )


def test_a_report_that_reaches_the_diagnosis_passes() -> None:
    row = score("oom-after-deploy", EXPECTED, report(), 2.4)
    assert row["passed"] is True
    assert row["category_got"] == "oom" and row["seconds"] == 2.4
    assert row["missing_mentions"] == row["forbidden_found"] == row["missing_evidence_from"] == []
    assert row["report"]["posted_text"] == POSTED


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"category": "cpu_saturation"}, {"category_got": "cpu_saturation"}),
        ({"posted": "Checkout is out of memory."}, {"missing_mentions": ["OOMKilled"]}),
        ({"posted": POSTED + " Payments unaffected."}, {"forbidden_found": ["payments"]}),
        (  # prometheus found nothing at all
            {"findings": (finding("eks:oom", "eks"),), "cited": ("eks:oom",)},
            {"missing_evidence_from": ["prometheus"]},
        ),
        (  # prometheus found something, but the cause does not cite it
            {
                "findings": (finding("eks:oom", "eks"), finding("prometheus:mem", "prometheus")),
                "cited": ("eks:oom",),
            },
            {"missing_evidence_from": ["prometheus"]},
        ),
        (  # a cited id that is no prometheus finding does not count for prometheus
            {"findings": (finding("eks:oom", "eks"),), "cited": ("eks:oom", "prometheus:mem")},
            {"missing_evidence_from": ["prometheus"]},
        ),
    ],
)
def test_each_failure_mode_fails_the_scenario_and_says_why(
    changes: dict[str, Any], problem: dict[str, Any]
) -> None:
    row = score("oom-after-deploy", EXPECTED, report(**changes), 1.0)
    assert row["passed"] is False
    for key, value in problem.items():
        assert row[key] == value


def test_mentions_are_case_insensitive_both_ways() -> None:
    expected = Expected.model_validate({"category": "oom", "must_mention": ["oomkilled", "CHECKOUT"]})
    assert score("x", expected, report(), 1.0)["passed"] is True
    forbidden = Expected.model_validate({"category": "oom", "must_not_mention": ["V2.3.0"]})
    assert score("x", forbidden, report(), 1.0)["forbidden_found"] == ["V2.3.0"]


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([], 0.5, 0.0),
        ([3.0], 0.95, 3.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0),  # nearest rank: ceil(0.5 * 4) = 2nd smallest
        ([4.0, 1.0, 3.0, 2.0], 0.95, 4.0),
        ([float(v) for v in range(1, 21)], 0.95, 19.0),  # ceil(0.95 * 20) = 19th
        ([float(v) for v in range(1, 22)], 0.95, 20.0),  # ceil(0.95 * 21) = 20th
    ],
)
def test_percentile_is_nearest_rank(values: list[float], share: float, expected: float) -> None:
    assert percentile(values, share) == expected


def test_timed_out_runs_count_at_their_timeout_and_failed_runs_are_counted_apart() -> None:
    rows = [
        score("a", EXPECTED, report(), 2.0),
        score("b", EXPECTED, report(), 3.0),
        failed_run("c", EXPECTED, "no report within 90s", 90.0, timed_out=True),
        failed_run("d", EXPECTED, "ConnectError: refused", 0.4),
    ]
    totals = summary(rows, 4.5, [0.8, 1.2, 0.9])
    assert (totals["total"], totals["passed"], totals["pass_rate"]) == (4, 2, 0.5)
    # the timeout is the slowest run, not a run that vanished: p95 shows it
    assert totals["p50_seconds"] == 3.0 and totals["p95_seconds"] == 90.0
    assert (totals["latency_runs"], totals["timed_out"], totals["errored"]) == (3, 1, 1)
    assert totals["sandbox_start_seconds"] == 4.5
    assert totals["sandbox_ready_seconds"] == 5.3  # start plus the first scenario's Prometheus
    assert (totals["prometheus_ready_p50_seconds"], totals["prometheus_ready_max_seconds"]) == (0.9, 1.2)


def test_a_failed_run_fails_with_its_error_and_everything_missing() -> None:
    row = failed_run("c", EXPECTED, "no report within 90s", 90.0, timed_out=True)
    assert row["passed"] is False and row["report"] is None and row["category_got"] is None
    assert row["error"] == "no report within 90s"
    assert row["missing_mentions"] == ["OOMKilled", "checkout"]
    assert row["missing_evidence_from"] == ["eks", "prometheus"]


def test_the_summary_counts_reports_that_state_the_expected_trigger() -> None:
    deployed = report().model_copy(
        update={"cause": Cause(category=CauseCategory.OOM, trigger="deploy", summary="s", confidence=0.8)}
    )
    rows = [
        score("a", EXPECTED, deployed, 1.0),  # states the deploy it was expected to
        score("b", EXPECTED, report(), 1.0),  # states no trigger
        failed_run("c", EXPECTED, "ConnectError: refused", 0.4),
    ]
    totals = summary(rows, 1.0)
    assert (totals["trigger_agreed"], totals["trigger_expected"]) == (1, 3)
