"""AWS-side causes read right (findings and log lines built here): a data store full at its own
limit is a dependency failure, writes to a read-only endpoint are a configuration error, and an
autoscaler that ran to its ceiling because every worker fails is not the cause."""

from __future__ import annotations

from test_chain import alert, log
from test_synthesis import C, W, ago, finding, ok

from agents.common.signatures import load_signatures
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory


def _category(line: str) -> CauseCategory | None:
    found = load_signatures().match(line)
    return found.category if found else None


def test_a_cache_full_at_its_maxmemory_is_the_dependency_failing_not_the_workload_out_of_memory() -> None:
    line = "session store write failed: OOM command not allowed when used memory > 'maxmemory'."
    assert _category(line) is CauseCategory.DEPENDENCY_FAILURE
    assert _category("java.lang.OutOfMemoryError: Java heap space") is CauseCategory.OOM


def test_writes_refused_by_a_read_only_database_are_the_dependency_failing() -> None:
    # A failover demoted the instance the workload writes to: the data store's role changed.
    for line in (
        "java.sql.SQLException: The MySQL server is running with the --read-only option so it cannot "
        "execute this statement",
        "ERROR: cannot execute UPDATE in a read-only transaction",
        "READONLY You can't write against a read only replica.",
    ):
        assert _category(line) is CauseCategory.DEPENDENCY_FAILURE, line


def test_a_load_balancer_health_check_answered_with_an_error_is_a_probe_failure() -> None:
    assert _category("GET /status 404 1ms (ELB-HealthChecker/2.0)") is CauseCategory.PROBE_FAILURE
    assert _category("GET /status 200 1ms (ELB-HealthChecker/2.0)") is None
    assert _category("GET /basket 404 3ms") is None


def test_an_autoscaler_at_its_ceiling_after_every_worker_began_failing_is_not_the_cause() -> None:
    read_only = log(
        "errors:worker",
        "failed to process message: The MySQL server is running with the --read-only option",
        ago(30),
        CauseCategory.BAD_CONFIG,
        severity=C,
    )
    at_max = finding(
        "eks:hpa-at-max:jobs/label-worker",
        C,
        "HPA jobs/label-worker at its maximum: 10/10 replicas; ScalingLimited: TooManyReplicas",
        relevance=0.95,
        at=ago(12),
        cause=CauseCategory.SCALING_LIMIT,
        resources=("jobs/HorizontalPodAutoscaler/label-worker",),
    )
    report = synthesize(alert("label-worker", "jobs"), [ok("cloudwatch_logs", read_only), ok("eks", at_max)])
    assert report.cause.category is CauseCategory.BAD_CONFIG
    assert read_only.id in report.cause.evidence


def test_a_trust_policy_tightened_hours_before_is_the_trigger_of_the_denial_it_set_off() -> None:
    from test_chain import chat

    from shared.contracts import Trigger

    denied = log(
        "errors:controller",
        "WebIdentityErr: failed to retrieve credentials caused by: AccessDenied: Not authorized to perform "
        "sts:AssumeRoleWithWebIdentity",
        ago(40),
        CauseCategory.PERMISSION_DENIED,
    )
    policy = chat(
        "config:iam",
        "terraform apply: pinned IRSA trust policies to exact service accounts",
        ago(180),
        Trigger.CONFIG_CHANGE,
        (),
        0.5,
    )
    flag = chat("config:flag", "turned on the new-checkout flag", ago(180), Trigger.CONFIG_CHANGE, (), 0.5)
    report = synthesize(
        alert("label-worker", "jobs"), [ok("cloudwatch_logs", denied), ok("slack_scanner", policy)]
    )
    assert report.cause.category is CauseCategory.PERMISSION_DENIED
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and policy.id in report.cause.evidence
    # An ordinary change made as long ago is not the trigger: it would have failed at once.
    report = synthesize(
        alert("label-worker", "jobs"), [ok("cloudwatch_logs", denied), ok("slack_scanner", flag)]
    )
    assert flag.id not in report.cause.evidence
    assert "No change was found on its path" in report.cause.summary


def test_pods_without_an_ip_address_name_the_node_and_the_subnet() -> None:
    from agents.eks.tests.eks_builders import event, pod, run, scope, waiting

    message = (
        'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "'
        + "ab" * 32
        + '": plugin type="aws-cni" name="aws-cni" failed (add): '
        + "add cmd: failed to assign an IP address to container"
    )
    stuck = pod(
        "cart-5f4e3d2c1-k9j8h",
        owner=("ReplicaSet", "cart-5f4e3d2c1"),
        statuses=[waiting("ContainerCreating", name="cart")],
        node="ip-10-9-8-7.ec2.internal",
        phase="Pending",
    )
    findings = run(
        [stuck, event("Pod", "cart-5f4e3d2c1-k9j8h", "FailedCreatePodSandBox", message)],
        scope(workload="cart"),
    )
    sandbox = next(f for f in findings if f.id.startswith("eks:pod-sandbox"))
    assert "on node ip-10-9-8-7.ec2.internal" in sandbox.title
    assert "failed to assign an IP address" in sandbox.title and "ab" * 8 not in sandbox.title
    report = synthesize(alert("cart", "shop"), [ok("eks", sandbox)])
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert "subnet" in report.cause.summary
    assert (
        _category("AllocENI: InsufficientFreeAddressesInSubnet: not enough free addresses")
        is CauseCategory.NETWORK_FAILURE
    )


def test_lookups_failing_put_the_cluster_dns_on_the_path_and_its_own_failure_is_stated() -> None:
    lookups = log(
        "errors:api",
        "java.net.UnknownHostException: orders-table.dynamodb.eu-west-1.amazonaws.com",
        ago(20),
        CauseCategory.NETWORK_FAILURE,
    )
    one_node = finding(
        "eks:dns-one-node:kube-system/coredns",
        W,
        "All 2 cluster DNS (CoreDNS) replicas of Deployment kube-system/coredns run on one node, ip-10-1-2-3",
        relevance=0.2,
        at=ago(180),
        cause=CauseCategory.NETWORK_FAILURE,
        resources=("kube-system/Deployment/coredns", "Node/ip-10-1-2-3"),
    )
    report = synthesize(alert("orders-api", "shop"), [ok("cloudwatch_logs", lookups), ok("eks", one_node)])
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert "ip-10-1-2-3" in report.cause.summary and one_node.id in report.cause.evidence
