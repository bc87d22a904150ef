"""Which change the cause names as its trigger when the evidence, not the alert, ties them together:
a change naming what the failing calls reach, an announcement of the change a source observed, and
a dependency's certificate that expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import (
    AgentResult,
    AgentStatus,
    AlertContext,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    Severity,
    Trigger,
)

T = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
LOOKUP = (
    "ERROR send failed: dial tcp: lookup smtp-relay.messaging.svc.cluster.local on 172.20.0.10:53: "
    "no such host"
)
TLS = (
    'level=error msg="partner request failed" '
    'err="Post \\"https://api.acme-partner.example.com/v2/orders\\": '
    "tls: failed to verify certificate: x509: certificate has expired or is not yet valid"
)


def ago(minutes: float) -> datetime:
    return T - timedelta(minutes=minutes)


def ctx(text: str) -> AlertContext:
    return build_alert_context(platform="slack", channel="C0ALERTS", text=text, received_at=T)


def log_finding(fid: str, line: str, cause: CauseCategory, at: datetime) -> Finding:
    return Finding(
        id=fid,
        agent="cloudwatch_logs",
        severity=Severity.CRITICAL,
        title=f'300x "{line[:80]}…"',
        relevance=0.95,
        first_seen=at,
        last_seen=T,
        cause_hint=cause,
        evidence=(
            Evidence(kind=EvidenceKind.LOG_LINE, reference="/aws/containerinsights/x", excerpt=line, at=at),
        ),
    )


def chat_finding(fid: str, title: str, text: str, at: datetime, change: Trigger, **fields: object) -> Finding:
    link = f"https://sandbox.slack.com/archives/C0ALERTS/p{int(at.timestamp())}000000"
    return Finding(
        id=f"slack_scanner:{fid}",
        agent="slack_scanner",
        severity=Severity.INFO,
        title=title,
        first_seen=at,
        last_seen=at,
        change=change,
        evidence=(Evidence(kind=EvidenceKind.CHAT_MESSAGE, reference=link, url=link, excerpt=text, at=at),),
        **fields,  # type: ignore[arg-type]
    )


def results(*findings: Finding) -> list[AgentResult]:
    agents = sorted({f.agent for f in findings})
    return [
        AgentResult(
            agent=a,
            status=AgentStatus.OK,
            findings=tuple(f for f in findings if f.agent == a),
            duration_ms=500,
        )
        for a in agents
    ]


NOTIFY = "[FIRING:1] NotificationsBacklogHigh namespace=messaging deployment=notification-worker"


def test_a_change_naming_what_the_failing_lookups_reach_is_the_trigger() -> None:
    moved = chat_finding(
        "config:smtp-relay/service",
        "Config change announced: smtp-relay service to smtp-gateway.mail.svc at 21:13 UTC",
        "migrated smtp-relay to the mail-infra chart; service is now smtp-gateway.mail.svc",
        ago(27),
        Trigger.CONFIG_CHANGE,
        resources=("smtp-relay",),
        relevance=0.15,  # the alert names notification-worker, not smtp-relay
    )
    errors = log_finding("cloudwatch_logs:errors:dns", LOOKUP, CauseCategory.NETWORK_FAILURE, ago(25))
    report = synthesize(ctx(NOTIFY), results(errors, moved))
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert moved.id in report.cause.evidence
    assert "It began after a config change 27 min before the alert: Config change announced: smtp-relay" in (
        report.cause.summary
    )
    # The same change of a service the errors never mention stays out.
    other = moved.model_copy(
        update={
            "resources": ("billing-api",),
            "title": "Config change announced: billing-api service to billing-gateway.pay.svc at 21:13 UTC",
            "evidence": (),
        }
    )
    report = synthesize(ctx(NOTIFY), results(errors, other))
    assert report.cause.trigger is Trigger.NONE and other.id not in report.cause.evidence


def test_the_announcement_of_an_observed_surge_is_cited_and_quoted() -> None:
    hpa = Finding(
        id="eks:hpa-at-max:search/search-api",
        agent="eks",
        severity=Severity.CRITICAL,
        title="HPA search/search-api at its maximum: 10/10 replicas",
        relevance=0.95,
        first_seen=ago(23),
        last_seen=T,
        cause_hint=CauseCategory.SCALING_LIMIT,
        change=Trigger.TRAFFIC,
    )
    said = "homepage banner for the winter sale is live, search traffic should pick up"
    sale = chat_finding(
        "traffic:C0ALERTS/1",
        f"Traffic change announced at 21:03 UTC: “{said}”",
        said,
        ago(37),
        Trigger.TRAFFIC,
        relevance=0.55,
    )
    report = synthesize(ctx("[FIRING:1] KubeHpaMaxedOut namespace=search hpa=search-api"), results(hpa, sale))
    assert report.cause.category is CauseCategory.SCALING_LIMIT and report.cause.trigger is Trigger.TRAFFIC
    assert report.cause.evidence == (hpa.id, sale.id)
    assert report.cause.summary.endswith(
        f"It began with a traffic surge 23 min before the alert: {sale.title}."
    )


def test_a_dependencys_expired_certificate_is_a_dependency_trigger() -> None:
    errors = log_finding("cloudwatch_logs:errors:tls", TLS, CauseCategory.CERTIFICATE_EXPIRED, ago(18))
    alert = ctx("[FIRING:1] HighErrorRate namespace=integrations service=partner-gateway")
    report = synthesize(alert, results(errors))
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert report.cause.trigger is Trigger.DEPENDENCY
    assert "the certificate of api.acme-partner.example.com, a dependency, expired" in report.cause.summary
    # Our own certificate rejected by a client names no dependency: no trigger is invented.
    own = log_finding(
        "cloudwatch_logs:errors:tls",
        "http: TLS handshake error from 10.0.3.7:51234: remote error: tls: bad certificate",
        CauseCategory.CERTIFICATE_EXPIRED,
        ago(18),
    )
    assert synthesize(alert, results(own)).cause.trigger is Trigger.NONE
