"""Every payload of tests/events/corpus through the intake, as the sender posts it: the intake
does what a user expects with it (answered, investigated, refused) and the master gets the alert
target a competent reader takes from it, with no value made up.

The table (one row per payload) is `scripts/bench_payloads.py`'s: run it to see every miss.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.payload_cases import Case, load_cases, run_case, score

CORPUS = Path(__file__).resolve().parents[1] / "events" / "corpus"
CASES = load_cases(CORPUS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_payload(case: Case) -> None:
    scored = run_case(case)

    assert (scored.status, scored.outcome) == (
        case.expected.get("status", scored.status),
        case.expected["outcome"],
    ), scored.reply
    wrong = [(name, want, got) for name, want, got, ok in scored.field_results() if not ok]
    assert wrong == [], wrong
    assert scored.spurious() == []


def test_the_corpus_is_large_and_the_totals_meet_the_targets() -> None:
    result = score(CASES)
    print(result.table())
    right, total = result.fields
    assert len(CASES) >= 60
    assert result.classification[0] == result.classification[1]
    assert right >= 0.95 * total and result.spurious == 0
