"""The first failure on the path, not the louder consequence: a release's errors before the
autoscaler hit its maximum; a code error set off by a configuration push before the restart herd
was throttled; a caller's "upstream <target> responded 503" is the alert seen from outside; a
change people make after the failure began is not its trigger."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, IncidentReport, Severity, Trigger

C, W, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO
POD = "shop/checkout-7d9f8c6b5-x2k4p"


def _hpa_at_max(minutes: float) -> object:
    return finding(
        "eks:hpa-at-max:shop/checkout",
        C,
        "HPA shop/checkout at its maximum: 16/16 replicas for checkout; ScalingLimited: TooManyReplicas",
        relevance=0.95,
        at=ago(minutes),
        cause=CauseCategory.SCALING_LIMIT,
        change=Trigger.TRAFFIC,
        resources=("shop/HorizontalPodAutoscaler/checkout", "shop/Deployment/checkout"),
    )


def _errors(minutes: float) -> object:
    return finding(
        f"cloudwatch_logs:errors:{POD}:a1",
        C,
        f'Errors: 250x "channel attach failed: ErrShardNotAdopted: shard 412 not yet adopted" in {POD}',
        relevance=0.95,
        at=ago(minutes),
        resources=("/aws/containerinsights/prod/application", POD),
    )


def _rollout(minutes: float) -> object:
    return finding(
        "eks:deployment-rollout:shop/checkout",
        INFO,
        "Deployment shop/checkout rollout in progress: 8/16 replicas updated to checkout:2.31.0",
        relevance=0.95,
        at=ago(minutes),
        change=Trigger.DEPLOY,
        resources=("shop/Deployment/checkout",),
    )


def _scaling_report(errors_began: float) -> IncidentReport:
    return synthesize(
        oom_ctx(),
        [ok("eks", _hpa_at_max(6), _rollout(26)), ok("cloudwatch_logs", _errors(errors_began))],
    )


def test_a_release_erroring_before_the_autoscaler_maxed_out_is_the_cause() -> None:
    report = _scaling_report(errors_began=24)
    assert report.cause.category is CauseCategory.BAD_DEPLOY
    assert report.cause.trigger is Trigger.DEPLOY
    assert "ErrShardNotAdopted" in report.cause.summary
    assert "2.31.0" in report.cause.summary
    assert "Autoscaling at its limit followed" in report.cause.summary


def test_errors_that_began_with_the_autoscaler_at_max_leave_it_the_cause() -> None:
    assert _scaling_report(errors_began=6).cause.category is CauseCategory.SCALING_LIMIT


def _policy_push(config_changed: float) -> IncidentReport:
    npe = finding(
        f"cloudwatch_logs:errors:{POD}:npe",
        C,
        'Code error: 22x "Application run failed java.lang.NullPointerException: Cannot invoke '
        f'Limits.burst() because TenantPolicy.limits() is null" in {POD}',
        relevance=1.0,
        at=ago(15),
        cause=CauseCategory.BAD_DEPLOY,
        resources=("/aws/containerinsights/prod/application", POD),
    )
    throttled = finding(
        f"cloudwatch_logs:errors:{POD}:thr",
        C,
        'Throttled: 20x "DynamoDB GetItem counters throttled: ProvisionedThroughputExceededException" '
        f"in {POD}",
        relevance=1.0,
        at=ago(12),
        cause=CauseCategory.RATE_LIMITED,
        resources=("/aws/containerinsights/prod/application", POD),
    )
    configmap = finding(
        "eks:configmap-changed:shop/tenant-policies",
        W,
        "ConfigMap shop/tenant-policies changed 16 min before the alert (acme.yaml, trial-co.yaml), "
        "used by Deployment shop/checkout",
        relevance=0.93,
        at=ago(config_changed),
        change=Trigger.CONFIG_CHANGE,
        resources=("shop/ConfigMap/tenant-policies",),
    )
    # Someone proposes a change while it burns: after the failure began, so not its trigger.
    proposal = finding(
        "slack_scanner:deploy:table/1",
        W,
        "Deploy announced: table (bump at 21:33 UTC; #alerts, U0OWEN)",
        relevance=0.85,
        at=ago(7),
        change=Trigger.DEPLOY,
        resources=("table",),
        detail="dynamo is throttling hard, that's why checkout can't start. someone bump the table?",
    )
    return synthesize(
        oom_ctx(),
        [ok("cloudwatch_logs", npe, throttled), ok("eks", configmap), ok("slack_scanner", proposal)],
    )


def test_a_code_error_right_after_a_config_push_is_bad_config_not_the_louder_throttling() -> None:
    report = _policy_push(config_changed=16)
    assert report.cause.category is CauseCategory.BAD_CONFIG
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert "tenant-policies" in report.cause.summary
    assert "trial-co.yaml" in report.cause.summary
    assert "eks:configmap-changed:shop/tenant-policies" in report.cause.evidence


def test_a_change_proposed_after_the_failure_began_is_not_the_trigger() -> None:
    report = _policy_push(config_changed=16)
    assert "slack_scanner:deploy:table/1" not in report.cause.evidence
    assert "bump" not in report.cause.summary


def test_a_config_change_after_the_code_errors_began_does_not_restate_them() -> None:
    report = _policy_push(config_changed=5)
    assert report.cause.category is not CauseCategory.BAD_CONFIG


def _mesh_report() -> IncidentReport:
    cert = finding(
        "cloudwatch_logs:errors:mesh/identity-6d9c8f7b54-q2hxk:e8",
        W,
        'TLS certificate problem: 54x "could not process CSR because of CA cert validation failure: '
        'x509: certificate has expired or is not yet valid - CSR Identity: checkout.shop.serviceaccount" '
        "in mesh/identity-6d9c8f7b54-q2hxk",
        relevance=0.54,  # another namespace's pod: it names the target only in its text
        at=ago(38),
        cause=CauseCategory.CERTIFICATE_EXPIRED,
        resources=("/aws/containerinsights/prod/application", "mesh/identity-6d9c8f7b54-q2hxk"),
    )
    caller = finding(
        "cloudwatch_logs:errors:web/storefront-5f7d8c9b6-m8j2r:1a",
        C,
        'Dependency unreachable: 24x "warn: upstream checkout responded 503 Service Unavailable '
        '(retrying 1/3)" in web/storefront-5f7d8c9b6-m8j2r',
        relevance=0.95,
        at=ago(12),
        cause=CauseCategory.DEPENDENCY_FAILURE,
        resources=("/aws/containerinsights/prod/application", "web/storefront-5f7d8c9b6-m8j2r"),
    )
    proxy = finding(
        f"cloudwatch_logs:errors:{POD}:df",
        W,
        'TLS certificate problem: 67x "linkerd_app: Failed to certify identity: could not process CSR '
        f'because of CA cert validation failure" in {POD}',
        relevance=0.95,
        at=ago(35),
        cause=CauseCategory.CERTIFICATE_EXPIRED,
        resources=("/aws/containerinsights/prod/application", POD),
    )
    not_ready = finding(
        f"eks:pod-not-ready:{POD}/linkerd-proxy",
        W,
        f"Running but not Ready: pod {POD} container linkerd-proxy: Readiness probe failed: HTTP probe "
        "failed with statuscode: 503",
        relevance=0.95,
        at=ago(30),
        cause=CauseCategory.PROBE_FAILURE,
        resources=("shop/Pod/checkout-7d9f8c6b5-x2k4p",),
    )
    other_pod = finding(
        "eks:pod-not-ready:shop/checkout-7d9f8c6b5-zzzzz/app",
        W,
        "Running but not Ready: pod shop/checkout-7d9f8c6b5-zzzzz container app: Readiness probe failed",
        relevance=0.95,
        at=ago(30),
        cause=CauseCategory.PROBE_FAILURE,
        resources=("shop/Pod/checkout-7d9f8c6b5-zzzzz",),
    )
    logs = [cert, proxy, caller]
    return synthesize(oom_ctx(), [ok("cloudwatch_logs", *logs), ok("eks", not_ready, other_pod)])


def test_a_callers_report_of_the_target_failing_does_not_outweigh_the_targets_own_cause() -> None:
    own = finding(
        f"cloudwatch_logs:errors:{POD}:df",
        W,
        'TLS certificate problem: 67x "Failed to certify identity: could not process CSR because of CA '
        f'cert validation failure" in {POD}',
        relevance=0.75,
        at=ago(30),
        cause=CauseCategory.CERTIFICATE_EXPIRED,
        resources=("/aws/containerinsights/prod/application", POD),
    )
    # The caller sees the 503s from the same minute, louder.
    caller = finding(
        "cloudwatch_logs:errors:web/storefront-5f7d8c9b6-m8j2r:1a",
        C,
        'Dependency unreachable: 240x "warn: upstream checkout responded 503 Service Unavailable '
        '(retrying 1/3)" in web/storefront-5f7d8c9b6-m8j2r',
        relevance=0.95,
        at=ago(30),
        cause=CauseCategory.DEPENDENCY_FAILURE,
        resources=("/aws/containerinsights/prod/application", "web/storefront-5f7d8c9b6-m8j2r"),
    )
    report = synthesize(oom_ctx(), [ok("cloudwatch_logs", own, caller)])
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert caller.id not in report.cause.evidence
    # It stays in the report, as what was seen.
    assert any(f.id == caller.id for f in report.findings)


def test_a_louder_failure_of_the_very_pod_the_cause_was_seen_on_is_cited_with_it() -> None:
    report = _mesh_report()
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert f"eks:pod-not-ready:{POD}/linkerd-proxy" in report.cause.evidence
    assert "eks:pod-not-ready:shop/checkout-7d9f8c6b5-zzzzz/app" not in report.cause.evidence


def test_a_callers_failure_to_reach_something_else_still_counts() -> None:
    other = finding(
        "cloudwatch_logs:errors:shop/checkout-7d9f8c6b5-x2k4p:1b",
        C,
        'Dependency unreachable: 24x "upstream payments responded 503" in shop/checkout-7d9f8c6b5-x2k4p',
        relevance=0.95,
        at=ago(12),
        cause=CauseCategory.DEPENDENCY_FAILURE,
        resources=("/aws/containerinsights/prod/application", POD),
    )
    report = synthesize(oom_ctx(), [ok("cloudwatch_logs", other)])
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE


def test_the_kubelets_disk_pressure_on_the_node_the_logs_fill_is_cited_with_the_full_disk() -> None:
    node = "ip-10-70-2-58.ap-southeast-2.compute.internal"
    disk = finding(
        "prometheus:node-disk:10.70.2.58:9100/",
        C,
        "Filesystem / on 10.70.2.58:9100 has only 3% free",
        relevance=0.6,
        at=ago(20),
        cause=CauseCategory.DISK_FULL,
        resources=("Node/10.70.2.58",),
    )
    writer = finding(
        "prometheus:log-writer:finance/ledger-sync-84f6c9d7b-wq5tz/ledger-sync",
        C,
        f"Container ledger-sync of finance/ledger-sync-84f6c9d7b-wq5tz wrote 48 GiB of logs on node {node}",
        relevance=0.6,
        at=ago(60),
        cause=CauseCategory.DISK_FULL,
        resources=("finance/Pod/ledger-sync-84f6c9d7b-wq5tz", f"Node/{node}"),
    )
    pressure = finding(
        f"eks:node-disk-pressure:{node}",
        W,
        f"Node {node} under disk pressure (DiskPressure: kubelet has disk pressure)",
        relevance=0.3,  # the scanner could not tie the node to the alert
        at=ago(5),
        cause=CauseCategory.NODE_FAILURE,
        resources=(f"Node/{node}",),
    )
    elsewhere = finding(
        "eks:node-disk-pressure:ip-10-70-9-9.ap-southeast-2.compute.internal",
        W,
        "Node ip-10-70-9-9.ap-southeast-2.compute.internal under disk pressure",
        relevance=0.3,
        at=ago(5),
        cause=CauseCategory.NODE_FAILURE,
        resources=("Node/ip-10-70-9-9.ap-southeast-2.compute.internal",),
    )
    report = synthesize(oom_ctx(), [ok("prometheus", disk, writer), ok("eks", elsewhere, pressure)])
    assert report.cause.category is CauseCategory.DISK_FULL
    assert pressure.id in report.cause.evidence
    assert elsewhere.id not in report.cause.evidence


def test_a_probe_failing_on_the_pod_whose_proxy_cannot_get_its_certificate_is_the_certificates_doing() -> (
    None
):
    probe = finding(
        f"eks:pod-not-ready:{POD}/linkerd-proxy",
        W,
        f"Running but not Ready: pod {POD} container linkerd-proxy: Readiness probe failed: HTTP probe "
        "failed with statuscode: 503",
        relevance=0.95,
        at=ago(30),
        cause=CauseCategory.PROBE_FAILURE,
        resources=("shop/Pod/checkout-7d9f8c6b5-x2k4p",),
    )
    # Steady for a while: the log scanner rates it lower than the probe.
    proxy = finding(
        f"cloudwatch_logs:errors:{POD}:df",
        W,
        'TLS certificate problem: 67x "linkerd_app: Failed to certify identity: could not process CSR '
        f'because of CA cert validation failure" in {POD} (steady)',
        relevance=0.54,
        at=ago(30),
        cause=CauseCategory.CERTIFICATE_EXPIRED,
        resources=("/aws/containerinsights/prod/application", POD),
    )
    report = synthesize(oom_ctx(), [ok("eks", probe), ok("cloudwatch_logs", proxy)])
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert proxy.id in report.cause.evidence and probe.id in report.cause.evidence
