"""Scoring one report against a scenario's `expected` block (the SCENARIOS.md eval contract)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sandbox.scenario import Expected
from shared.contracts import IncidentReport


def score(scenario_id: str, expected: Expected, report: IncidentReport, seconds: float) -> dict[str, Any]:
    text = report.posted_text.lower()
    cited_agents = {f.agent for f in report.findings if f.id in set(report.cause.evidence)}
    missing_mentions = [m for m in expected.must_mention if m.lower() not in text]
    forbidden_found = [m for m in expected.must_not_mention if m.lower() in text]
    missing_evidence = [a for a in expected.evidence_from if a not in cited_agents]
    category_ok = report.cause.category == expected.category
    return {
        "id": scenario_id,
        "passed": category_ok and not (missing_mentions or forbidden_found or missing_evidence),
        "category_expected": expected.category.value,
        "category_got": report.cause.category.value,
        "trigger_expected": expected.trigger.value if expected.trigger else None,
        "trigger_got": report.cause.trigger.value,
        "missing_mentions": missing_mentions,
        "forbidden_found": forbidden_found,
        "missing_evidence_from": missing_evidence,
        "seconds": seconds,
        "report": report.model_dump(mode="json"),
    }


def failed_run(
    scenario_id: str, expected: Expected, error: str, seconds: float, *, timed_out: bool = False
) -> dict[str, Any]:
    """The row of a run that produced no report. `timed_out`: no report came by the timeout, and
    `seconds` is that timeout (it counts in the percentiles there); otherwise the run failed with
    `error` after `seconds` and is left out of the percentiles (the summary counts it)."""
    return {
        "id": scenario_id,
        "passed": False,
        "category_expected": expected.category.value,
        "category_got": None,
        "trigger_expected": expected.trigger.value if expected.trigger else None,
        "trigger_got": None,
        "missing_mentions": list(expected.must_mention),
        "forbidden_found": [],
        "missing_evidence_from": list(expected.evidence_from),
        "seconds": seconds,
        "timed_out": timed_out,
        "error": error,
        "report": None,
    }


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 3)


def latency_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs the webhook-to-report percentiles are taken over: every run with a report, and
    every run that timed out, at its timeout (a slow system must not look fast by losing its
    slowest runs). Runs that failed otherwise have no such interval and are counted apart."""
    return [row for row in rows if row.get("report") is not None or row.get("timed_out")]


def summary(
    rows: Sequence[dict[str, Any]],
    sandbox_start_s: float,
    prometheus_ready_s: Sequence[float] = (),
) -> dict[str, Any]:
    """The SCENARIOS.md summary (total, passed, pass_rate, p50_seconds, p95_seconds) and more:
    how many runs timed out (in the percentiles at their timeout) or failed (not in them), the
    sandbox start and each scenario's Prometheus backfill-and-start."""
    passed = sum(1 for row in rows if row["passed"])
    timed = latency_rows(rows)
    seconds = [row["seconds"] for row in timed]
    return {
        "total": len(rows),
        "passed": passed,
        "pass_rate": round(passed / len(rows), 4) if rows else 0.0,
        "p50_seconds": percentile(seconds, 0.50),
        "p95_seconds": percentile(seconds, 0.95),
        "latency_runs": len(timed),
        "timed_out": sum(1 for row in rows if row.get("timed_out")),
        "errored": len(rows) - len(timed),
        "sandbox_start_seconds": round(sandbox_start_s, 2),
        # until the first scenario could be played: the start plus its Prometheus
        "sandbox_ready_seconds": round(
            sandbox_start_s + (prometheus_ready_s[0] if prometheus_ready_s else 0), 2
        ),
        "prometheus_ready_p50_seconds": percentile(prometheus_ready_s, 0.50),
        "prometheus_ready_max_seconds": round(max(prometheus_ready_s, default=0.0), 3),
        "categories": len({row["category_expected"] for row in rows}),
        # Scenarios that name the trigger they expect, and how many reports state that trigger.
        "trigger_expected": sum(1 for row in rows if row.get("trigger_expected")),
        "trigger_agreed": sum(
            1
            for row in rows
            if row.get("trigger_expected") and row.get("trigger_got") == row["trigger_expected"]
        ),
    }
