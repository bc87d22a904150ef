"""Names that refer to the same thing written differently (an instance of a cluster, a host that
embeds the name, a Terraform address, an ARN, a Helm release) connect a change to the alert's
path; names that only look alike (`payments` and `payments-db`, a decoy `orders-api-v2`) do not."""

# ruff: noqa: E501
from __future__ import annotations

import pytest
from test_chain import alert, chat, log
from test_synthesis import ago, ok

from agents.master.callers import from_caller
from agents.master.chain import Dependency, Path, dependencies_in, on_path
from agents.master.names import mentions, same_thing
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Finding, Severity, Trigger

SAME = [
    # an instance or member of a named thing
    ("orders-aurora-instance-1", "orders-aurora"),
    ("redis-primary-0", "redis-primary"),
    ("checkout-7c6d9f5b8d-q2v8n", "checkout"),
    ("sessions-0001-001", "sessions"),
    ("eks-workers-spot-2ec5b2f6-1a2b-3c4d-5e6f-123456789abc", "workers-spot"),
    ("ingress-nginx-controller", "ingress-nginx"),
    ("orders-stack-OrdersDB-1A2B3C4D5E6F", "orders-stack"),
    ("orders-api-stack", "orders-api"),
    # a host that embeds the name
    ("orders-aurora.cluster-c9xk.us-east-1.rds.amazonaws.com", "orders-aurora"),
    ("orders-aurora-instance-1.c9xk.us-east-1.rds.amazonaws.com", "orders-aurora"),
    ("sessions.abc123.ng.0001.use1.cache.amazonaws.com", "sessions"),
    ("master.sessions.abc123.use1.cache.amazonaws.com", "sessions"),
    ("redis-main.cache.svc.cluster.local", "redis-main"),
    ("redis://redis-main.cache.svc.cluster.local:6379", "redis-main"),
    # snake_case and Terraform addresses
    ("sessions_cache", "sessions-cache"),
    ("module.shop_gateway", "shop-gateway"),
    ("kubernetes_manifest.shop_gw", "shop-gateway"),
    ("aws_db_instance.orders_db", "orders-db"),
    ("module.sessions_cache.aws_elasticache_parameter_group.this", "sessions-cache"),
    # ARNs
    ("arn:aws:iam::123456789012:role/orders-api", "orders-api"),
    ("arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora", "orders-aurora"),
    ("arn:aws:sts::123456789012:assumed-role/payments-api-irsa/aws-sdk", "payments-api"),
    ("arn:aws:s3:::media-uploads/2026/12/x.jpg", "media-uploads"),
    (
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    (
        "arn:aws:eks:us-east-1:123456789012:nodegroup/prod/workers-spot/2ec5b2f6-1a2b-3c4d-5e6f-123456789abc",
        "workers-spot",
    ),
]

DIFFERENT = [
    ("orders-api-v2", "orders-aurora"),  # a decoy deploy beside the dependency
    ("orders-api-v2", "orders-api"),  # a version is another deployment
    ("payments", "payments-db"),  # a suffix that names another thing
    ("orders-worker", "orders"),
    ("orders-aurora-instance-2", "orders-aurora-instance-1"),  # a sibling is another instance
    ("orders-api-staging", "orders-api"),
    ("api", "api"),  # generic words never match alone
    ("prod", "prod-db"),
    ("db-0", "db"),
    ("us-east-1", "us-east-1"),
    ("api.partnerpay.example.com", "api"),
    ("ip-10-0-1-2.ec2.internal", "ip-10-0-1-3.ec2.internal"),
    ("arn:aws:iam::123456789012:role/orders-api", "payments-api"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_names_of_the_same_thing_match_either_way(a: str, b: str) -> None:
    assert same_thing(a, b) and same_thing(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_names_that_only_look_alike_do_not_match(a: str, b: str) -> None:
    assert not same_thing(a, b) and not same_thing(b, a)


def test_text_names_a_thing_in_the_form_its_source_writes() -> None:
    assert mentions("helm upgrade sessions bitnami/redis --reuse-values", "sessions-redis-master")
    assert mentions(
        "orders-aurora: Completed failover to DB instance: orders-aurora-instance-2",
        "orders-aurora-instance-1.c3vx8kq2l9ab.us-east-1.rds.amazonaws.com",
    )
    assert mentions("kubernetes_manifest.shop_gw will be updated in-place", "shop-gateway")
    assert not mentions("Deploying orders-api-v2 to prod", "orders-aurora")
    assert not mentions("rolled out payments-db 14.2", "payments")
    # A file named like the thing a Service belongs to is not that thing.
    assert not mentions("at /app/lib/session.js:48:11", "session-svc")
    assert mentions("session rolled out 2.3.1", "session-svc")


def _deploy(name: str, namespace: str) -> Finding:
    return Finding(
        id=f"eks:rollout:{name}",
        agent="eks",
        severity=Severity.INFO,
        title=f"Deployment {namespace}/{name} rolled out a new revision",
        resources=(f"{namespace}/Deployment/{name}",),
        first_seen=ago(10),
        last_seen=ago(10),
        change=Trigger.DEPLOY,
        relevance=0.6,
    )


def test_a_deploy_whose_name_only_looks_like_the_path_is_off_it() -> None:
    path = Path(("payments",), (Dependency("orders-aurora", ("orders-aurora",)),))
    assert not on_path(_deploy("payments-db", "pay"), path)
    assert not on_path(_deploy("orders-api-v2", "commerce"), path)
    assert on_path(_deploy("payments", "pay"), path)


def test_a_failover_of_the_cluster_whose_instance_the_target_writes_to_is_the_trigger() -> None:
    readonly = log(
        "errors:fulfillment",
        "ERROR failed to process message: java.sql.SQLException: The MySQL server is running with the "
        "--read-only option so it cannot execute this statement "
        "(jdbcUrl=jdbc:mysql://orders-aurora-instance-1.c3vx8kq2l9ab.us-east-1.rds.amazonaws.com:3306/orders)",
        ago(39),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    failover = chat(
        "config:orders-aurora",
        "RDS Notification | orders-aurora: Completed failover to DB instance: orders-aurora-instance-2",
        ago(40),
        Trigger.CONFIG_CHANGE,
        ("orders-aurora",),
        0.15,
    )
    report = synthesize(
        alert("fulfillment-worker", "fulfillment"),
        [
            ok("cloudwatch_logs", readonly),
            ok("slack_scanner", failover),
            ok("eks", _deploy("orders-api-v2", "commerce")),
        ],
    )
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and failover.id in report.cause.evidence
    assert "Completed failover" in report.cause.summary
    assert (
        "Ruled out: a deploy 8 min before the alert (eks) is about another workload" in report.cause.summary
    )


def test_a_helm_upgrade_of_the_release_the_dependency_belongs_to_is_on_the_path() -> None:
    refused = log(
        "errors:cart",
        "ERROR redis: dial tcp: connect to sessions-redis-master.shop.svc.cluster.local:6379: connection refused",
        ago(12),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    upgrade = chat(
        "config:sessions",
        "helm upgrade sessions bitnami/redis --reuse-values --set master.persistence.enabled=false",
        ago(14),
        Trigger.CONFIG_CHANGE,
        ("sessions",),
        0.15,
    )
    report = synthesize(
        alert("cart-api", "shop"), [ok("cloudwatch_logs", refused), ok("slack_scanner", upgrade)]
    )
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and upgrade.id in report.cause.evidence
    assert "That change is to sessions-redis-master, which cart-api depends on." in report.cause.summary


def test_a_rollout_sharing_the_dependencys_word_is_on_the_path_only_when_the_target_shares_it() -> None:
    def path(target: str, host: str) -> Path:
        found = log(
            "errors:x", f'connection to server at "{host}" (10.0.0.1), port 5432 failed', ago(5), None
        )
        return Path((target,), dependencies_in([found], (target,)))

    # One application's parts and its store: the admin's release is another client of the edge's database.
    assert on_path(
        _deploy("flags-admin", "flags"),
        path("flags-edge", "flags-prod-pg.c9x2k1.us-east-2.rds.amazonaws.com"),
    )
    # A decoy whose name shares a word with the database only.
    assert not on_path(
        _deploy("orders-api-v2", "commerce"),
        path("fulfillment-worker", "orders-aurora.cluster-c3vx8kq2l9ab.us-east-1.rds.amazonaws.com"),
    )


def _dependency_failure(title: str, resources: tuple[str, ...]) -> Finding:
    return Finding(
        id="eks:x",
        agent="eks",
        severity=Severity.CRITICAL,
        title=title,
        resources=resources,
        cause_hint=CauseCategory.DEPENDENCY_FAILURE,
        relevance=0.95,
    )


def test_a_finding_that_names_a_member_of_the_target_as_its_victim_is_no_callers_report() -> None:
    webhook = _dependency_failure(
        "webhook mpod.elbv2.k8s.aws fails closed: ReplicaSet retail/cart-api-6c9d8b7f5 cannot create pods",
        ("kube-system/Deployment/aws-load-balancer-controller",),
    )
    caller = _dependency_failure(
        "upstream cart-api responded 503", ("web/Deployment/storefront", "web/storefront-6d8f7b9c4-hk3rz")
    )
    assert not from_caller(webhook, ("cart-api",))
    assert from_caller(caller, ("cart-api",))
