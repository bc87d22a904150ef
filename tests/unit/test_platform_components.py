"""A platform component under the alerted workload, in a namespace of its own (a mesh's CA, an
ingress controller's admission webhook), named only by the words of the workload's own logs: the
master asks the scanners about the component's namespace in a narrower round, and the report states
the component's own cause with its evidence. Findings built here; no scenario's names."""

from __future__ import annotations

from test_chain import alert, log
from test_synthesis import ago, ok

from agents.master.followup import dependency_context
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity, Trigger

# The sidecar of the alerted workload cannot get its certificate: the mesh's CA names itself only
# by its word, no host of it.
SIDECAR = log(
    "errors:payments-api",
    "warn sds: failed to sign CSR for workload certificate: CA istiod rejected it: "
    "x509: certificate has expired or is not yet valid",
    ago(20),
    CauseCategory.CERTIFICATE_EXPIRED,
).model_copy(update={"resources": ("pay/payments-api-6c8d9f7b5d-z4k2p",)})
# What the scanner finds when asked about the CA's namespace: the CA's own warning events.
CA_EVENTS = Finding(
    id="eks:events-cavalidationfailed:istio-system/Deployment/istiod",
    agent="eks",
    severity=Severity.WARNING,
    title="40 Warning CAValidationFailed event(s) on Deployment istio-system/istiod: x509: certificate "
    "has expired or is not yet valid - Invalid After 2026-11-30 08:00:00 +0000 UTC",
    resources=("istio-system/Deployment/istiod",),
    first_seen=ago(25),
    last_seen=ago(1),
    cause_hint=CauseCategory.CERTIFICATE_EXPIRED,
    relevance=0.5,
    evidence=(
        Evidence(
            kind=EvidenceKind.K8S_EVENT,
            reference="istio-system/Event/istiod.1",
            excerpt="Warning CAValidationFailed on Deployment/istiod: x509: certificate has expired or is "
            "not yet valid - Invalid After 2026-11-30 08:00:00 +0000 UTC (x40)",
        ),
    ),
)


def test_the_component_named_by_words_is_asked_about_in_its_own_namespace() -> None:
    ctx = alert("payments-api", "pay")
    narrowed = dependency_context(ctx, [ok("cloudwatch_logs", SIDECAR)])
    assert narrowed is not None
    assert (narrowed.hints.namespace, narrowed.hints.workload) == ("istio-system", "istiod")
    assert narrowed.text == ""  # none of the alert's text travels to the narrower round
    # Once asked, no second round about the same component.
    asked = [ok("eks", CA_EVENTS)]
    assert dependency_context(ctx, [ok("cloudwatch_logs", SIDECAR)], asked, round_no=2) is None


def test_the_report_states_the_components_own_cause_with_its_evidence() -> None:
    ctx = alert("payments-api", "pay")
    report = synthesize(ctx, [ok("cloudwatch_logs", SIDECAR)], related=[ok("eks", CA_EVENTS)])
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    summary = report.cause.summary
    assert "istiod itself fails: Certificate expired" in summary
    assert "istio-system namespace" in summary
    assert "istio-ca-secret" in summary  # the certificate the CA signs with, by name
    assert "valid until 2026-11-30 08:00:00" in summary
    assert CA_EVENTS.id in report.cause.evidence
    assert CA_EVENTS.id in {f.id for f in report.findings}
    # A platform component failing is no dependency change: none was seen.
    assert report.cause.trigger is Trigger.NONE


def test_a_webhook_named_only_by_its_rule_sends_the_round_to_the_controllers_namespace() -> None:
    refused = log(
        "errors:deployer",
        'admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: connection refused',
        ago(12),
        CauseCategory.DEPENDENCY_FAILURE,
    ).model_copy(update={"resources": ("web/storefront-7d9f8c6b5a-k2j4h",)})
    narrowed = dependency_context(alert("storefront", "web"), [ok("cloudwatch_logs", refused)])
    assert narrowed is not None
    assert (narrowed.hints.namespace, narrowed.hints.workload) == (
        "ingress-nginx",
        "ingress-nginx-controller",
    )


def test_no_round_when_the_evidence_names_no_component() -> None:
    expired = log(
        "errors:payments-api",
        "tls: loading server certificate /etc/tls/tls.crt: x509: certificate has expired",
        ago(20),
        CauseCategory.CERTIFICATE_EXPIRED,
    ).model_copy(update={"resources": ("pay/payments-api-6c8d9f7b5d-z4k2p",)})
    ctx = alert("payments-api", "pay")
    assert dependency_context(ctx, [ok("cloudwatch_logs", expired)]) is None
    report = synthesize(ctx, [ok("cloudwatch_logs", expired)])
    assert "itself fails" not in report.cause.summary


def test_a_finding_about_the_target_is_not_the_components_own_cause() -> None:
    # Only the target's own lines: the component is asked about, but nothing is said of its cause.
    report = synthesize(alert("payments-api", "pay"), [ok("cloudwatch_logs", SIDECAR)], related=[])
    assert "istiod itself fails" not in report.cause.summary


def test_a_provisioner_named_by_its_driver_is_followed_into_kube_system() -> None:
    pending = Finding(
        id="eks:pvc-pending:streaming/data-kafka-3",
        agent="eks",
        severity=Severity.CRITICAL,
        title="PersistentVolumeClaim streaming/data-kafka-3 Pending (storage class gp3), waiting for the "
        "external provisioner ebs.csi.aws.com",
        resources=("streaming/PersistentVolumeClaim/data-kafka-3", "streaming/Pod/kafka-3"),
        first_seen=ago(30),
        last_seen=ago(1),
        cause_hint=CauseCategory.STORAGE_FAILURE,
        relevance=0.95,
    )
    ctx = alert("kafka", "streaming")
    narrowed = dependency_context(ctx, [ok("eks", pending)])
    assert narrowed is not None
    assert (narrowed.hints.namespace, narrowed.hints.workload) == ("kube-system", "ebs-csi-controller")
    denied = Finding(
        id="eks:pod-crash:kube-system/ebs-csi-controller-5c7b9d8f6-q8r2t/ebs-plugin",
        agent="eks",
        severity=Severity.CRITICAL,
        title="CrashLoopBackOff: pod kube-system/ebs-csi-controller-5c7b9d8f6-q8r2t container ebs-plugin: "
        "UnauthorizedOperation: not authorized to perform ec2:CreateVolume",
        resources=("kube-system/Pod/ebs-csi-controller-5c7b9d8f6-q8r2t",),
        first_seen=ago(40),
        last_seen=ago(1),
        cause_hint=CauseCategory.PERMISSION_DENIED,
        relevance=0.5,
    )
    # Another workload's line naming the driver is not the driver's own failure.
    sibling = log(
        "errors:backup-agent",
        "snapshot of data-kafka-3 failed: ebs-csi-controller: RequestLimitExceeded: Request limit exceeded",
        ago(45),
        CauseCategory.RATE_LIMITED,
    ).model_copy(update={"resources": ("backup/backup-agent-7d8f9c6b5-x1y2z",), "relevance": 0.3})
    report = synthesize(
        ctx, [ok("eks", pending), ok("cloudwatch_logs", sibling)], related=[ok("eks", denied)]
    )
    assert report.cause.category is CauseCategory.STORAGE_FAILURE
    assert "ebs-csi-controller itself fails: Permission denied" in report.cause.summary
    assert "ec2:CreateVolume" in report.cause.summary
    assert denied.id in report.cause.evidence
    # With no change seen, the trigger is the kind a storage failure usually comes from.
    assert report.cause.trigger is Trigger.INFRASTRUCTURE
