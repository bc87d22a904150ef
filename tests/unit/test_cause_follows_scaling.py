"""CPU saturation is commonly the louder consequence of an autoscaler that adds no replica: when
the autoscaler's failure began first, the report names it as the cause and CPU as its symptom."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity

C = Severity.CRITICAL


def _report(hpa_began: float | None, cpu_began: float) -> CauseCategory:
    cpu = finding(
        "prometheus:cpu-throttling:shop/checkout",
        C,
        "CPU of shop/checkout-7d9f8c6b5-x2k4p (app) throttled in 64% of CFS periods",
        relevance=0.9,
        at=ago(cpu_began),
        cause=CauseCategory.CPU_SATURATION,
    )
    hpa = finding(
        "eks:hpa-target-missing:shop/checkout-old",
        C,
        "HPA shop/checkout-old targets Deployment shop/checkout-old, which does not exist: it scales "
        "nothing; no HPA scales the alert's Deployment shop/checkout",
        relevance=0.9,
        at=ago(hpa_began) if hpa_began is not None else None,
        cause=CauseCategory.SCALING_LIMIT,
    )
    report = synthesize(oom_ctx(), [ok("prometheus", cpu), ok("eks", hpa)])
    return report.cause.category


def test_an_autoscaler_failing_before_the_cpu_climbed_is_the_cause() -> None:
    assert _report(hpa_began=180, cpu_began=20) is CauseCategory.SCALING_LIMIT


def test_an_autoscaler_problem_of_unknown_start_does_not_take_over() -> None:
    assert _report(hpa_began=None, cpu_began=30) is CauseCategory.CPU_SATURATION
