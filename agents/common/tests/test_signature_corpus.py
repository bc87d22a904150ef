"""The signatures read the real error texts of the mainstream runtimes, libraries and services:
each line of the corpus gets its cause category, and no decoy gets the category it only looks like."""

from __future__ import annotations

import pytest
from signature_corpus import CORPUS, DECOYS, Decoy, Line

from agents.common.signatures import load_signatures


def category_of(text: str) -> str | None:
    signature = load_signatures().match(text)
    return signature.category.value if signature else None


@pytest.mark.parametrize("line", CORPUS, ids=lambda line: line.text[:60])
def test_a_real_error_line_gets_its_cause(line: Line) -> None:
    assert category_of(line.text) == line.category, line.source


@pytest.mark.parametrize("decoy", DECOYS, ids=lambda decoy: f"not {decoy.not_category}: {decoy.text[:50]}")
def test_a_decoy_does_not_read_as_what_it_only_looks_like(decoy: Decoy) -> None:
    assert category_of(decoy.text) != decoy.not_category, decoy.source


def test_every_corpus_line_counts_as_an_error_line() -> None:
    signatures = load_signatures()
    assert [line.text for line in CORPUS if not signatures.is_error_line(line.text)] == []
