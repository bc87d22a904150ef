"""Cloud-side changes announced in chat, weighed against the failure they explain: a credential
rotated before logins fail (a stale credential: bad configuration, naming the secret), a key policy
tightened before `kms:Decrypt` is denied (permission denied, through KMS), a rotation of some other
product's secret (not on the path), and a selector set by hand before the rollout that applied it."""

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

T = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
AUTH = (
    "ERROR orders.db: could not open connection: (psycopg2.OperationalError) connection to server at "
    '"orders-db.c9x2k1h4qz7e.us-east-1.rds.amazonaws.com" (10.40.21.14), port 5432 failed: FATAL:  '
    'password authentication failed for user "orders_app"'
)
KMS = (
    "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
    "User: arn:aws:sts::381492650117:assumed-role/documents-service-irsa/s-1 is not authorized "
    "to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:381492650117:key/3f9c2a1e because no "
    "resource-based policy allows the kms:Decrypt action"
)


def ago(minutes: float) -> datetime:
    return T - timedelta(minutes=minutes)


def ctx(text: str) -> AlertContext:
    return build_alert_context(platform="slack", channel="C0ALERTS", text=text, received_at=T)


def logs(fid: str, line: str, cause: CauseCategory, at: datetime, where: str) -> Finding:
    return Finding(
        id=f"cloudwatch_logs:errors:{fid}",
        agent="cloudwatch_logs",
        severity=Severity.CRITICAL,
        title=f'Access denied: 115x "{line[:90]}…" in {where}',
        resources=("/aws/containerinsights/prod/application", where),
        relevance=0.95,
        first_seen=at,
        last_seen=T,
        cause_hint=cause,
        evidence=(Evidence(kind=EvidenceKind.LOG_LINE, reference="/aws/x", excerpt=line, at=at),),
    )


def said(
    fid: str, text: str, at: datetime, change: Trigger, resources: tuple[str, ...], **fields: object
) -> Finding:
    link = f"https://sandbox.slack.com/archives/C0PLATFORM/p{int(at.timestamp())}000000"
    return Finding(
        id=f"slack_scanner:{fid}",
        agent="slack_scanner",
        severity=Severity.WARNING,
        title=f"Config change announced: “{text}” at {at:%H:%M} UTC (#platform, omar)",
        detail=text,
        resources=resources,
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
            duration_ms=400,
        )
        for a in agents
    ]


ORDERS = "orders-api is throwing 500s since ~10 min, can you take a look?"


def _auth_failures() -> Finding:
    return logs(
        "orders/auth", AUTH, CauseCategory.PERMISSION_DENIED, ago(12), "orders/orders-api-6f8d9c7b54-7kq2m"
    )


def test_logins_failing_after_a_credential_rotation_are_a_stale_credential_naming_the_secret() -> None:
    rotation = said(
        "config:-/rotate-secret/1",
        "rotation of prod/orders/db kicked off (rotate-secret --rotate-immediately), will watch it",
        ago(26),
        Trigger.CONFIG_CHANGE,
        ("prod/orders/db", "orders-db"),  # as the chat scanner names a path-like secret
        relevance=0.55,
    )
    report = synthesize(ctx(ORDERS), results(_auth_failures(), rotation))
    assert report.cause.category is CauseCategory.BAD_CONFIG
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert rotation.id in report.cause.evidence
    assert "prod/orders/db" in report.cause.summary
    assert "still presents the old one" in report.cause.summary


def test_a_rotation_of_another_products_secret_is_not_the_trigger_and_a_denial_stays_a_denial() -> None:
    other = said(
        "config:-/rotate-secret/2",
        "rotation of prod/billing/ledger kicked off (rotate-secret --rotate-immediately)",
        ago(26),
        Trigger.CONFIG_CHANGE,
        ("prod/billing/ledger", "billing-ledger"),
        relevance=0.25,
    )
    report = synthesize(ctx(ORDERS), results(_auth_failures(), other))
    assert report.cause.category is CauseCategory.PERMISSION_DENIED
    assert other.id not in report.cause.evidence and "prod/billing/ledger" not in report.cause.summary


def test_a_key_policy_tightened_before_kms_decrypt_is_denied_is_the_trigger_through_kms() -> None:
    denied = logs(
        "docs/kms", KMS, CauseCategory.PERMISSION_DENIED, ago(20), "docs/documents-service-5c7d9f8b6-8kq2r"
    )
    policy = said(
        "config:-/key-policy/1",
        "tightened the key policy on alias/docs-prod-s3 (the CMK behind the documents bucket)",
        ago(24),
        Trigger.CONFIG_CHANGE,
        ("kms",),  # the chat scanner names the service a key policy belongs to
        relevance=0.25,
    )
    report = synthesize(
        ctx("CloudWatch Alarm | docs-prod-documents-service-target-5xx | us-east-1"), results(denied, policy)
    )
    assert report.cause.category is CauseCategory.PERMISSION_DENIED  # not restated: no credential rotated
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert policy.id in report.cause.evidence
    assert "kms:Decrypt" in report.cause.summary


def test_a_selector_set_by_hand_is_the_trigger_over_the_rollout_that_applied_it() -> None:
    pending = Finding(
        id="eks:pod-pending:telemetry/telemetry-ingest",
        agent="eks",
        severity=Severity.CRITICAL,
        title="Pending (Unschedulable): nodeSelector eks.amazonaws.com/nodegroup=ingest-c6i matches no node",
        resources=("telemetry/Deployment/telemetry-ingest",),
        relevance=1.0,
        first_seen=ago(20),
        last_seen=T,
        cause_hint=CauseCategory.UNSCHEDULABLE,
    )
    rollout = Finding(
        id="eks:deployment-rollout:telemetry/telemetry-ingest",
        agent="eks",
        severity=Severity.WARNING,
        title="Deployment telemetry/telemetry-ingest rollout in progress: 2/4 replicas updated",
        resources=("telemetry/Deployment/telemetry-ingest",),
        relevance=0.95,
        first_seen=ago(21),
        last_seen=T,
        change=Trigger.DEPLOY,
    )
    helm = said(
        "config:telemetry-ingest/helm/1",
        "helm upgrade telemetry-ingest ./charts/telemetry-ingest -n telemetry "
        "--set nodeSelector.eks\\.amazonaws\\.com/nodegroup=ingest-c6i",
        ago(21.5),
        Trigger.CONFIG_CHANGE,
        ("telemetry-ingest", "Namespace/telemetry"),
        relevance=0.9,
    )
    alert = "[FIRING:1] KubeDeploymentReplicasMismatch namespace=telemetry deployment=telemetry-ingest"
    report = synthesize(ctx(alert), results(pending, rollout, helm))
    assert report.cause.category is CauseCategory.UNSCHEDULABLE
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert helm.id in report.cause.evidence


def test_a_key_revoked_at_a_provider_stays_a_denial() -> None:
    """A rotation at the provider (its API answers 401) is the presented key refused, not a stale
    copy of a secret store's value: it stays permission_denied, with the rotation as its trigger."""
    unauthorized = (
        'level=error msg="carrier quote failed" status=401 body="{\\"error\\":\\"invalid api key\\"}" '
        "url=https://api.carrier-acme.example.com/v2/quotes"
    )
    refused = logs(
        "shipping/401",
        unauthorized,
        CauseCategory.PERMISSION_DENIED,
        ago(20),
        "shipping/shipping-quotes-7d-x",
    )
    rotated = said(
        "config:-/key/1",
        "rotated the carrier-api key in the carrier portal as part of the quarterly rotation",
        ago(25),
        Trigger.CONFIG_CHANGE,
        ("carrier-api",),
        relevance=0.55,
    )
    alert = "[FIRING:1] ShippingQuotesErrors namespace=shipping deployment=shipping-quotes"
    report = synthesize(ctx(alert), results(refused, rotated))
    assert report.cause.category is CauseCategory.PERMISSION_DENIED
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and rotated.id in report.cause.evidence
