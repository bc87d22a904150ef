"""Any object's status, in its controller's words: one test per shape of failure report (a positive
condition False, a negative one True, Argo CD's conditions and operation state, a phase), the
links that make it the alert's, ResourceQuotas used up and the IAM role of a denied pod's
ServiceAccount."""

from __future__ import annotations

from agents.eks.analyzers.common import make_finding
from agents.eks.analyzers.conditions import with_reasons
from agents.eks.tests.eks_builders import at, by_prefix, event, obj, pod, run, running, scope
from shared.contracts import CauseCategory, Severity

APP = pod(
    "checkout-7d9f8c6b5-x2k4p",
    owner=("ReplicaSet", "checkout-7d9f8c6b5"),
    containers=[
        {
            "name": "app",
            "image": "repo/checkout:v1",
            "env": [
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "checkout-db", "key": "pw"}}}
            ],
        }
    ],
    statuses=[running("app")],
)


def test_external_secret_ready_false_quotes_reason_message_and_its_events_error() -> None:
    secret = obj(
        "ExternalSecret",
        "checkout-db-sync",
        api="external-secrets.io/v1beta1",
        spec={
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws"},
            "target": {"name": "checkout-db"},
        },
        status={
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "SecretSyncedError",
                    "message": "could not get secret data from provider",
                    "lastTransitionTime": at(42),
                }
            ]
        },
    )
    denied = event(
        "ExternalSecret",
        "checkout-db-sync",
        "UpdateFailed",
        "error processing spec.data[0] (key: prod/checkout/db), err: AccessDeniedException: "
        "User: arn:aws:sts::123456789012:assumed-role/eso/x is not authorized to perform: "
        "secretsmanager:GetSecretValue",
    )
    findings = run([APP, secret, denied], scope(namespace="shop", workload="checkout"))
    [finding] = by_prefix(findings, "eks:status:")
    assert finding.title.startswith(
        "ExternalSecret shop/checkout-db-sync: Ready=False SecretSyncedError: could not get secret data"
    )
    assert "last UpdateFailed: error processing spec.data[0]" in finding.title
    assert "AccessDeniedException" in finding.title
    assert any("secretsmanager:GetSecretValue" in e.excerpt for e in finding.evidence)
    assert "40 min before the alert" in finding.detail  # when the condition turned
    assert finding.cause_hint is CauseCategory.PERMISSION_DENIED
    # It writes the Secret the alert's pods read: about the alert, not just its namespace.
    assert finding.relevance >= 0.9 and finding.severity is Severity.CRITICAL


def test_negative_condition_true_is_a_failure_and_false_is_not() -> None:
    stalled = obj(
        "HelmRelease",
        "checkout",
        api="helm.toolkit.fluxcd.io/v2",
        status={
            "conditions": [
                {"type": "Ready", "status": "Unknown", "reason": "Progressing", "message": "reconciling"},
                {
                    "type": "Stalled",
                    "status": "True",
                    "reason": "RetriesExceeded",
                    "message": "Failed to upgrade after 3 attempt(s)",
                },
            ]
        },
    )
    healthy = obj(
        "Kustomization",
        "apps",
        api="kustomize.toolkit.fluxcd.io/v1",
        status={"conditions": [{"type": "Stalled", "status": "False"}, {"type": "Ready", "status": "True"}]},
    )
    [finding] = by_prefix(run([stalled, healthy], scope(namespace="shop")), "eks:status:")
    assert "HelmRelease shop/checkout: Stalled=True RetriesExceeded: Failed to upgrade" in finding.title


def test_argo_cd_application_operation_state_and_error_conditions() -> None:
    application = obj(
        "Application",
        "checkout",
        "argocd",
        api="argoproj.io/v1alpha1",
        spec={"destination": {"namespace": "shop"}},
        status={
            "health": {"status": "Degraded"},
            "conditions": [
                {"type": "SyncError", "message": "Failed sync attempt: one or more objects failed"}
            ],
            "operationState": {
                "phase": "Failed",
                "message": "one or more objects failed to apply, reason: admission webhook denied",
                "finishedAt": at(5),
            },
        },
    )
    [finding] = by_prefix(run([application], scope(namespace="argocd", workload="checkout")), "eks:status:")
    assert finding.title.startswith("Application argocd/checkout: SyncError: Failed sync attempt")
    assert "operationState.phase=Failed: one or more objects failed to apply" in finding.detail
    assert "health.status=Degraded" in finding.detail


def test_rollout_phase_degraded_and_scaled_object_targeting_the_workload() -> None:
    rollout = obj(
        "Rollout",
        "payments",
        api="argoproj.io/v1alpha1",
        status={
            "phase": "Degraded",
            "message": "ProgressDeadlineExceeded: ReplicaSet has timed out progressing.",
        },
    )
    scaler = obj(
        "ScaledObject",
        "checkout-scaler",
        api="keda.sh/v1alpha1",
        spec={"scaleTargetRef": {"name": "checkout"}},
        status={
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "ScaledObjectCheckFailed",
                    "message": "Target resource doesn't exist",
                },
                {"type": "Active", "status": "False", "reason": "ScalerNotActive"},
            ]
        },
    )
    findings = run([APP, rollout, scaler], scope(namespace="shop", workload="checkout"))
    found = {f.resources[0]: f for f in by_prefix(findings, "eks:status:")}
    assert "phase=Degraded: ProgressDeadlineExceeded" in found["shop/Rollout/payments"].title
    assert found["shop/Rollout/payments"].relevance < 0.9  # another workload of the namespace
    assert "ScaledObjectCheckFailed" in found["shop/ScaledObject/checkout-scaler"].title
    assert "Active" not in found["shop/ScaledObject/checkout-scaler"].title  # not scaling is not failing
    assert found["shop/ScaledObject/checkout-scaler"].relevance >= 0.9


def test_cluster_scoped_node_class_referenced_by_a_node_pool() -> None:
    node_class = obj(
        "EC2NodeClass",
        "default",
        None,
        api="karpenter.k8s.aws/v1",
        status={
            "conditions": [
                {
                    "type": "SecurityGroupsReady",
                    "status": "False",
                    "reason": "SecurityGroupsNotFound",
                    "message": "SecurityGroupSelector did not match any SecurityGroups",
                }
            ]
        },
    )
    pool = obj(
        "Workload",
        "w",
        api="example.io/v1",
        spec={"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}},
    )
    [finding] = by_prefix(run([node_class, pool], scope(namespace="shop")), "eks:status:")
    assert "EC2NodeClass default: SecurityGroupsReady=False SecurityGroupsNotFound" in finding.title
    assert finding.relevance >= 0.6


def test_healthy_and_in_progress_objects_say_nothing() -> None:
    ready = obj(
        "Certificate-like",
        "c",
        api="example.io/v1",
        status={
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Synced", "status": "False", "reason": "Reconciling"},
            ],
        },
    )
    assert by_prefix(run([ready], scope(namespace="shop")), "eks:status:") == []


def test_quota_used_up_names_the_quota_resource_and_refused_workloads() -> None:
    quota = obj(
        "ResourceQuota",
        "team-quota",
        api="v1",
        spec={"hard": {"requests.cpu": "4", "pods": "20"}},
        status={"hard": {"requests.cpu": "4", "pods": "20"}, "used": {"requests.cpu": "4", "pods": "7"}},
    )
    rs = obj(
        "ReplicaSet",
        "checkout-7d9f8c6b5",
        ownerReferences=[{"kind": "Deployment", "name": "checkout", "controller": True}],
    )
    refused = event(
        "ReplicaSet",
        "checkout-7d9f8c6b5",
        "FailedCreate",
        'Error creating: pods "checkout-7d9f8c6b5-abcde" is forbidden: exceeded quota: team-quota, '
        "requested: requests.cpu=500m, used: requests.cpu=4, limited: requests.cpu=4",
        count=12,
    )
    findings = run([quota, rs, refused], scope(namespace="shop", workload="checkout"))
    [finding] = by_prefix(findings, "eks:quota-exceeded:")
    assert "ResourceQuota shop/team-quota used up: requests.cpu 4/4" in finding.title
    assert "pods" not in finding.title.split("used up:")[1].split(";")[0]  # 7/20 is not used up
    assert "ReplicaSet checkout-7d9f8c6b5" in finding.title
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE and finding.relevance >= 0.9


def test_quota_at_its_limit_without_refusals_is_only_context() -> None:
    quota = obj("ResourceQuota", "q", api="v1", status={"hard": {"pods": "10"}, "used": {"pods": "10"}})
    [finding] = by_prefix(run([quota], scope(namespace="shop")), "eks:quota-exceeded:")
    assert finding.cause_hint is None and finding.severity is Severity.INFO


def _denied_pod(account: str) -> dict:
    denied = pod(
        "uploader-5c9d7f6b8-q2w3e",
        owner=("ReplicaSet", "uploader-5c9d7f6b8"),
        statuses=[running("app", ready=False, restarts=4)],
    )
    denied["spec"]["serviceAccountName"] = account
    return denied


def test_service_account_role_named_for_an_aws_denial() -> None:
    account = obj(
        "ServiceAccount",
        "uploader",
        api="v1",
        annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/uploader-irsa"},
    )
    log = (
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the PutObject "
        "operation: User: arn:aws:sts::123456789012:assumed-role/uploader-irsa/botocore-session is not "
        "authorized to perform: s3:PutObject on resource: arn:aws:s3:::uploads/x"
    )
    findings = run(
        [_denied_pod("uploader"), account],
        scope(namespace="shop", workload="uploader"),
        logs={
            "shop/uploader-5c9d7f6b8-q2w3e/app": log,
            "shop/uploader-5c9d7f6b8-q2w3e/app/previous": log,
        },
    )
    [finding] = by_prefix(findings, "eks:service-account-role:")
    assert "arn:aws:iam::123456789012:role/uploader-irsa" in finding.title
    assert "shop/uploader" in finding.title


def test_no_role_named_for_a_database_password_denial() -> None:
    account = obj("ServiceAccount", "uploader", api="v1")
    log = 'FATAL: password authentication failed for user "app"'
    findings = run(
        [_denied_pod("uploader"), account],
        scope(namespace="shop", workload="uploader"),
        logs={"shop/uploader-5c9d7f6b8-q2w3e/app/previous": log},
    )
    assert by_prefix(findings, "eks:service-account-role:") == []


def test_a_specific_finding_on_a_failing_object_is_made_to_quote_the_reason() -> None:
    route = obj(
        "HTTPRoute",
        "web",
        api="gateway.networking.k8s.io/v1",
        status={
            "parents": [],
            "conditions": [
                {
                    "type": "Accepted",
                    "status": "False",
                    "reason": "NotAllowedByListeners",
                    "message": "No listeners included by this parent ref allowed this attachment.",
                }
            ],
        },
    )
    worded = make_finding(
        "route-detached",
        "shop/web",
        severity=Severity.WARNING,
        title="HTTPRoute shop/web is not attached to its Gateway",
        resources=["shop/HTTPRoute/web"],
    )
    [quoted] = with_reasons([worded], {"HTTPRoute": [route]})
    assert "Accepted=False NotAllowedByListeners: No listeners included" in quoted.detail
    assert any("NotAllowedByListeners" in e.excerpt for e in quoted.evidence)
    # A finding that already says it is left as it is.
    said = worded.model_copy(update={"title": worded.title + " (NotAllowedByListeners)"})
    assert with_reasons([said], {"HTTPRoute": [route]}) == [said]


def test_a_route_kind_without_an_analyzer_is_read_per_parent() -> None:
    route = obj(
        "GRPCRoute",
        "payments-grpc",
        api="gateway.networking.k8s.io/v1",
        status={
            "parents": [
                {
                    "parentRef": {"namespace": "edge", "name": "public-gw"},
                    "conditions": [
                        {"type": "Accepted", "status": "True", "reason": "Accepted"},
                        {
                            "type": "ResolvedRefs",
                            "status": "False",
                            "reason": "BackendNotFound",
                            "message": "Service shop/payments-grpc not found",
                        },
                    ],
                }
            ]
        },
    )
    [finding] = by_prefix(run([route], scope(namespace="shop")), "eks:status:")
    assert "ResolvedRefs=False (parent edge/public-gw) BackendNotFound: Service shop/payments-grpc" in (
        finding.title
    )


def test_a_route_its_gateway_refuses_is_reported_before_its_backends() -> None:
    gateway = obj(
        "Gateway",
        "public-gw",
        "edge",
        api="gateway.networking.k8s.io/v1",
        spec={"listeners": [{"name": "https", "port": 443, "protocol": "HTTPS"}]},
    )
    route = obj(
        "HTTPRoute",
        "web",
        api="gateway.networking.k8s.io/v1",
        spec={
            "parentRefs": [{"namespace": "edge", "name": "public-gw"}],
            "rules": [{"backendRefs": [{"name": "web", "port": 8080}]}],
        },
        status={
            "parents": [
                {
                    "parentRef": {"namespace": "edge", "name": "public-gw"},
                    "conditions": [
                        {
                            "type": "Accepted",
                            "status": "False",
                            "reason": "NotAllowedByListeners",
                            "message": "No listeners included by this parent ref allowed this attachment.",
                        }
                    ],
                }
            ]
        },
    )
    findings = run([gateway, route], scope(namespace="shop", service="web"))
    [refused] = by_prefix(findings, "eks:httproute-not-accepted:")
    assert "Accepted=False NotAllowedByListeners" in refused.title
    assert by_prefix(findings, "eks:httproute-backend-missing:") == []
