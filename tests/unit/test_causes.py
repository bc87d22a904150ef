"""The one cause vocabulary: every category is described once, and the report reads that description."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.causes import CAUSES, CHANGES, fits, label
from shared.contracts import CauseCategory, RiskClass, Severity, Trigger
from shared.relevance import Relevance
from shared.render import posted_text, render_slack


def test_every_category_and_change_kind_is_described_once() -> None:
    assert set(CAUSES) == set(CauseCategory)
    assert set(CHANGES) == set(Trigger)
    labels = [kind.label for kind in CAUSES.values()]
    assert len(set(labels)) == len(labels)
    for category, kind in CAUSES.items():
        assert kind.steps, category
        assert any(step.risk is RiskClass.SAFE for step in kind.steps), category
        # A verdict (no issue, unknown) has no trigger; every real cause has one that fits it.
        assert bool(kind.triggers) is kind.is_cause, category


def test_a_generic_cause_explains_less_than_a_specific_one() -> None:
    assert CAUSES[CauseCategory.BAD_DEPLOY].specificity < 1.0
    assert CAUSES[CauseCategory.DEPENDENCY_FAILURE].specificity < 1.0
    assert CAUSES[CauseCategory.OOM].specificity == 1.0


def test_the_relevance_scale_is_ordered() -> None:
    levels = [
        Relevance.ITSELF,
        Relevance.DIRECT,
        Relevance.LINKED,
        Relevance.NEAR,
        Relevance.UNSURE,
        Relevance.CITABLE,
        Relevance.SUPPORTING,
        Relevance.ELSEWHERE,
    ]
    assert levels == sorted(levels, reverse=True) and len(set(levels)) == len(levels)


def test_the_report_names_the_cause_and_its_change_in_the_table_words() -> None:
    ctx = oom_ctx()
    report = synthesize(
        ctx,
        [
            ok(
                "eks",
                finding(
                    "eks:pod-oomkilled:shop/checkout-7d9f8c6b5-x2k4p",
                    Severity.CRITICAL,
                    "Pod shop/checkout-7d9f8c6b5-x2k4p: container app OOMKilled (exit 137)",
                    relevance=1.0,
                    at=ago(9),
                    cause=CauseCategory.OOM,
                ),
                finding(
                    "eks:rollout:shop/checkout",
                    Severity.INFO,
                    "Deployment shop/checkout rolled out revision 14 (image checkout:v2.3.0)",
                    relevance=0.95,
                    at=ago(12),
                    change=Trigger.DEPLOY,
                ),
            )
        ],
    )
    assert report.cause.category is CauseCategory.OOM and fits(Trigger.DEPLOY, CauseCategory.OOM)
    assert report.title.endswith(f"{label(CauseCategory.OOM)} after {CHANGES[Trigger.DEPLOY].words}")
    text = posted_text(render_slack(report))
    assert label(CauseCategory.OOM) in text
    # The cause's own reading step and the trigger's undo step are both suggested.
    steps = " ".join(s.text for s in report.next_steps)
    assert CAUSES[CauseCategory.OOM].steps[0].text in steps
    assert "Roll back" in steps
