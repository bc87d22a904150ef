"""Scoring one report against a scenario's `expected` block (the SCENARIOS.md eval contract)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from shared.contracts import IncidentReport
from shared.sandbox.scenario import Expected


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


def failed_run(scenario_id: str, expected: Expected, error: str, seconds: float) -> dict[str, Any]:
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


def summary(rows: Sequence[dict[str, Any]], sandbox_start_s: float) -> dict[str, Any]:
    passed = sum(1 for row in rows if row["passed"])
    seconds = [row["seconds"] for row in rows if row.get("report") is not None]
    return {
        "total": len(rows),
        "passed": passed,
        "pass_rate": round(passed / len(rows), 4) if rows else 0.0,
        "p50_seconds": percentile(seconds, 0.50),
        "p95_seconds": percentile(seconds, 0.95),
        "sandbox_start_seconds": round(sandbox_start_s, 2),
        "categories": len({row["category_expected"] for row in rows}),
    }
