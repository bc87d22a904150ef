"""An alert whose labels name nothing but whose words name its subject (a Datadog monitor "… on
orders-enricher"): the findings about that subject decide the cause, where otherwise every finding
was middling and no cause stood out."""

from __future__ import annotations

from test_synthesis import T, W, ago, finding, ok

from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import AlertContext, CauseCategory

DATADOG = (
    "Triggered: [P2] Kafka consumer lag high on orders-enricher\n"
    "Consumer group `orders-enricher` on topic `orders.created` is 184,302 messages behind.\n"
    "[[Monitor Status](https://app.datadoghq.com/monitors/81234567?group=topic%3Aorders-created)]"
)


def ctx(text: str) -> AlertContext:
    return build_alert_context(platform="slack", channel="C0DATA", received_at=T, text=text)


def results():  # type: ignore[no-untyped-def]
    return [
        ok(
            "cloudwatch_logs",
            finding(
                "cloudwatch_logs:errors:orders/orders-enricher-7c9d5b6f8-4hrtv:1",
                W,
                'Dependency unreachable: 110x "POST https://api.addressly.io/v2/validate -> 503"',
                relevance=0.5,
                at=ago(38),
                cause=CauseCategory.DEPENDENCY_FAILURE,
                resources=("orders/orders-enricher-7c9d5b6f8-4hrtv",),
            ),
            finding(
                "cloudwatch_logs:errors:billing/ledger-sync-5b6c7d8e9-q1w2e:2",
                W,
                'Connection pool exhausted: 40x "HikariPool-1 - Connection is not available"',
                relevance=0.5,
                at=ago(30),
                cause=CauseCategory.RESOURCE_POOL_EXHAUSTION,
                resources=("billing/ledger-sync-5b6c7d8e9-q1w2e",),
            ),
        )
    ]


def test_the_subject_the_alert_names_in_its_words_decides_the_cause() -> None:
    report = synthesize(ctx(DATADOG), results())
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    assert report.cause.evidence[0].startswith("cloudwatch_logs:errors:orders/orders-enricher")


def test_words_that_name_no_finding_leave_every_finding_as_it_was() -> None:
    text = "Triggered: [P2] Kafka consumer lag high on invoice-mailer (no data from its pods)"
    report = synthesize(ctx(text), results())
    assert report.cause.category is CauseCategory.UNKNOWN
    # A name in a link is not the alert's words.
    linked = "Triggered: lag high, see https://app.example.com/orders-enricher/status"
    assert synthesize(ctx(linked), results()).cause.category is CauseCategory.UNKNOWN


def test_an_alert_naming_nothing_takes_the_one_cause_its_findings_warn_of() -> None:
    """A person's "customers cannot pay": every finding is middling, one cause alone is warned of."""
    throttled = ok(
        "cloudwatch_logs",
        finding(
            "cloudwatch_logs:errors:payments/renewals-5b6c7d8e9-q1w2e:1",
            W,
            'Throttled (host stripe.com): 200x "StripeRateLimitError 429"',
            relevance=0.5,
            at=ago(20),
            cause=CauseCategory.RATE_LIMITED,
            resources=("payments/renewals-5b6c7d8e9-q1w2e",),
        ),
    )
    report = synthesize(ctx("customers cannot pay since 20 min, anyone looking?"), [throttled])
    assert report.cause.category is CauseCategory.RATE_LIMITED
    assert report.cause.confidence <= 0.5
    # Two causes warned of about as much: neither is chosen for an alert that names nothing.
    rivals = synthesize(ctx("customers cannot pay since 20 min"), results())
    assert rivals.cause.category is CauseCategory.UNKNOWN
