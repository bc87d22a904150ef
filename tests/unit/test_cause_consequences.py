"""The louder consequences a cause explains, seen by another source, are cited with it: a
dependency's timeouts in the caller's logs are the evidence of the NetworkPolicy refusing the
caller, when they name the refused Service; those about something else are not."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger

C = Severity.CRITICAL


def _policy() -> object:
    return finding(
        "eks:networkpolicy-denies-ingress-from:shop/checkout/payments/ledger",
        C,
        "NetworkPolicy payments/deny-all selects the ledger pods and admits no traffic from shop/checkout",
        relevance=0.95,
        at=ago(15),
        cause=CauseCategory.NETWORK_FAILURE,
        change=Trigger.CONFIG_CHANGE,
        resources=(
            "payments/NetworkPolicy/deny-all",
            "shop/Pod/checkout-7d9f8c6b5-x2k4p",
            "payments/Service/ledger",
        ),
    )


def _timeouts(fid: str, host: str) -> object:
    return finding(
        fid,
        C,
        f'Dependency unreachable: 40x "connect to {host}:8080 timed out" in shop/checkout-7d9f8c6b5-x2k4p',
        relevance=0.9,
        at=ago(14),
        cause=CauseCategory.DEPENDENCY_FAILURE,
    )


def test_consequences_naming_what_the_cause_names_are_cited() -> None:
    related = _timeouts("cloudwatch_logs:errors:ledger", "ledger.payments.svc.cluster.local")
    unrelated = _timeouts("cloudwatch_logs:errors:fraud", "fraud-check.risk.svc.cluster.local")
    report = synthesize(oom_ctx(), [ok("eks", _policy()), ok("cloudwatch_logs", related, unrelated)])
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert "cloudwatch_logs:errors:ledger" in report.cause.evidence
    assert "cloudwatch_logs:errors:fraud" not in report.cause.evidence
