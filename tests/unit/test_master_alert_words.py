"""When no source shows a cause, the alert's own words are classified as a last resort, at low
confidence, and the report says so; a cause the sources support is never replaced by them."""

from __future__ import annotations

from test_chain import log
from test_synthesis import T, ago, ok

from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import AlertContext, CauseCategory, Trigger


def _alert(description: str) -> AlertContext:
    return build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        labels={"alertname": "BatchJobFailed", "namespace": "jobs", "job_name": "nightly-export"},
        annotations={
            "summary": "nightly-export failed",
            "description": description,
        },
        received_at=T,
        starts_at=ago(2),
    )


def test_the_alerts_own_words_name_the_cause_no_source_showed_at_low_confidence() -> None:
    ctx = _alert("Container export in pod nightly-export-29113-x7k2p was OOMKilled (exit code 137)")
    report = synthesize(ctx, [ok("eks"), ok("cloudwatch_logs")])
    assert report.cause.category is CauseCategory.OOM
    assert "the alert's own text says “Container export in pod nightly-export-29113-x7k2p was OOMKilled" in (
        report.cause.summary
    )
    assert "no source showed it" in report.cause.summary
    assert report.cause.confidence <= 0.2
    assert report.cause.trigger is Trigger.NONE


def test_words_no_signature_knows_leave_the_cause_unknown() -> None:
    report = synthesize(_alert("The export did not finish in time"), [ok("eks"), ok("cloudwatch_logs")])
    assert report.cause.category is CauseCategory.UNKNOWN
    assert "alert's own text" not in report.cause.summary


def test_a_cause_the_sources_support_stands_over_the_alerts_words() -> None:
    ctx = _alert("Container export in pod nightly-export-29113-x7k2p was OOMKilled (exit code 137)")
    refused = log(
        "errors:export",
        "ERROR could not connect to server: Connection refused. Is the server running on host "
        '"exports-pg.data.svc.cluster.local"',
        ago(12),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", refused)])
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    assert "alert's own text" not in report.cause.summary
