"""The chain's evidence from every side, on findings built here: a change to a dependency followed
to what the cluster shows of it (its new revision and env), the other sources' findings about the
same thing on the path cited with the cause (and not those about unrelated things), a change named
in chat connected to the target by the name its own logs or objects use, a series that only began
in the window (a new client, not a surge), and quiet alerts that pick up nothing."""

from __future__ import annotations

from test_chain import alert, chat, log
from test_synthesis import T, ago, finding, ok

from agents.master.followup import dependency_context
from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import AlertContext, CauseCategory, Finding, Severity, Trigger

C, W, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO

# --- a change to a dependency, followed to what the cluster shows of it ---------------------------

CALLS_FAIL = log(
    "errors:fulfillment",
    "ERROR reserve_stock failed: HTTPError: 500 Server Error for url: "
    "http://inventory-api.catalog.svc.cluster.local:8080/v1/reservations",
    ago(9),
    CauseCategory.BAD_CONFIG,
).model_copy(update={"resources": ("fulfillment/order-fulfillment-7b8c9d6f5-j3n5q",)})
SET_ENV = chat(
    "config:inventory-api/DB_HOST",
    "kubectl -n catalog set env deploy/inventory-api DB_HOST=inventory-db.cluster-ro.example.com",
    ago(11),
    Trigger.CONFIG_CHANGE,
    ("inventory-api", "Namespace/catalog"),
    0.15,  # it names another service than the alert's
)
NEW_REVISION = finding(
    "eks:rollout:catalog/inventory-api/rev23",
    W,
    "Deployment catalog/inventory-api revision 23, rolled out 10 min before the alert: env DB_HOST "
    "inventory-db.cluster.example.com -> inventory-db.cluster-ro.example.com",
    relevance=1.0,  # the scanner was asked about inventory-api
    at=ago(10),
    change=Trigger.DEPLOY,
    resources=("catalog/Deployment/inventory-api", "catalog/ReplicaSet/inventory-api-8c5d7b9f4"),
)
OTHER_ROLLOUT = NEW_REVISION.model_copy(
    update={
        "id": "eks:rollout:catalog/price-api/rev4",
        "title": "Deployment catalog/price-api revision 4, rolled out 10 min before the alert",
        "resources": ("catalog/Deployment/price-api",),
    }
)


def test_a_change_to_a_dependency_is_followed_to_the_revision_the_cluster_shows() -> None:
    ctx = alert("order-fulfillment", "fulfillment")
    first = [ok("cloudwatch_logs", CALLS_FAIL), ok("slack_scanner", SET_ENV)]
    report = synthesize(ctx, first)
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and SET_ENV.id in report.cause.evidence
    # Nothing yet shows the change from the cluster's side: the dependency is asked about.
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("inventory-api", "catalog")
    # Its answer shows the new revision and its env: cited with the announcement, and said.
    report = synthesize(ctx, first, related=[ok("eks", NEW_REVISION, OTHER_ROLLOUT)])
    assert NEW_REVISION.id in report.cause.evidence
    assert "cluster-ro" in report.cause.summary
    assert OTHER_ROLLOUT.id not in report.cause.evidence  # another workload in that namespace
    assert dependency_context(ctx, [*first, ok("eks", NEW_REVISION)]) is None


def test_a_change_to_the_target_itself_asks_about_nothing_more() -> None:
    ctx = alert("inventory-api", "catalog")
    errors = log(
        "errors:inventory",
        "ERROR Error 1290 (HY000): The MySQL server is running with the --read-only option",
        ago(9),
        CauseCategory.BAD_CONFIG,
    ).model_copy(update={"resources": ("catalog/inventory-api-8c5d7b9f4-wk2zp",)})
    first = [ok("cloudwatch_logs", errors), ok("slack_scanner", SET_ENV)]
    assert dependency_context(ctx, first) is None


# --- other sources on the same path corroborate the cause -------------------------------------------

TLS_TO_WEBHOOK = log(
    "errors:apiserver",
    'failed calling webhook "namespace.sidecar-injector.istio.io": Post '
    '"https://istiod.istio-system.svc:443/inject?timeout=10s": tls: failed to verify certificate: '
    "x509: certificate has expired or is not yet valid",
    ago(16),
    CauseCategory.CERTIFICATE_EXPIRED,
).model_copy(update={"resources": ("/aws/eks/shop-prod/cluster",)})
FAILED_CREATE = finding(
    "eks:replicaset-failedcreate:orders/orders-api-5c7f9d8b6",
    C,
    "FailedCreate: ReplicaSet orders/orders-api-5c7f9d8b6 cannot create pods: Internal error occurred: "
    'failed calling webhook "namespace.sidecar-injector.istio.io": Post "https://istiod.istio-system.svc:443/inject"',
    relevance=0.95,
    at=ago(15),
    cause=CauseCategory.DEPENDENCY_FAILURE,
    resources=("orders/ReplicaSet/orders-api-5c7f9d8b6", "orders/Deployment/orders-api"),
)
UNRELATED_OOM = finding(
    "eks:pod-oomkilled:batch/exporter",
    C,
    "OOMKilled: pod batch/exporter-6d5f8b7c9d-p4n7t (exit code 137)",
    relevance=0.5,
    at=ago(14),
    cause=CauseCategory.OOM,
    resources=("batch/Pod/exporter-6d5f8b7c9d-p4n7t", "batch/Deployment/exporter"),
)
UNRELATED_FAILURE = finding(
    "eks:endpoints-empty:search/search-api",
    C,
    "Service search/search-api has no ready endpoints",
    relevance=0.5,
    at=ago(14),
    cause=CauseCategory.DEPENDENCY_FAILURE,
    resources=("search/Service/search-api",),
)


def test_a_failedcreate_naming_the_webhook_host_the_tls_error_names_corroborates_it() -> None:
    ctx = alert("orders-api", "orders")
    report = synthesize(ctx, [ok("cloudwatch_logs", TLS_TO_WEBHOOK), ok("eks", FAILED_CREATE)])
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert {TLS_TO_WEBHOOK.id, FAILED_CREATE.id} <= set(report.cause.evidence)


def test_findings_about_unrelated_things_are_not_cited_as_corroboration() -> None:
    ctx = alert("orders-api", "orders")
    report = synthesize(
        ctx, [ok("cloudwatch_logs", TLS_TO_WEBHOOK), ok("eks", UNRELATED_OOM, UNRELATED_FAILURE)]
    )
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert not {UNRELATED_OOM.id, UNRELATED_FAILURE.id} & set(report.cause.evidence)


# --- a change named in chat, connected by the name the target's own logs use ------------------------

THROTTLED = log(
    "errors:cart",
    "cart save failed table=carts-prod err=ProvisionedThroughputExceededException op=PutItem",
    ago(17),
    CauseCategory.RATE_LIMITED,
).model_copy(update={"resources": ("cart/cart-service-6d8b9c7f5-n2b7c",)})
FLAG_IN_OWN_LOGS = log(
    "info:cart-flag",
    "feature flag changed flag=cart-autosave-v2 value=true",
    ago(20),
    None,
    INFO,
).model_copy(update={"resources": ("cart/cart-service-6d8b9c7f5-n2b7c",), "relevance": 0.5})
FLAG = chat(
    "config:-/cart-autosave-v2",
    "LaunchDarkly: flag `cart-autosave-v2` production targeting 5% -> 100%",
    ago(21),
    Trigger.CONFIG_CHANGE,
    ("cart-autosave-v2",),
    0.25,
)


def test_a_flag_the_targets_own_logs_name_is_the_trigger_though_chat_never_names_the_target() -> None:
    ctx = alert("cart-service", "cart")
    report = synthesize(ctx, [ok("cloudwatch_logs", THROTTLED, FLAG_IN_OWN_LOGS), ok("slack_scanner", FLAG)])
    assert report.cause.category is CauseCategory.RATE_LIMITED
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and FLAG.id in report.cause.evidence
    assert "cart-autosave-v2" in report.cause.summary
    # Without the target's own logs naming it, a flag of some other feature is not on the path.
    report = synthesize(ctx, [ok("cloudwatch_logs", THROTTLED), ok("slack_scanner", FLAG)])
    assert FLAG.id not in report.cause.evidence


# --- a series that only began in the window is a new client, not a surge --------------------------

SLOTS = log(
    "errors:orders-pg",
    "FATAL: remaining connection slots are reserved for non-replication superuser connections",
    ago(14),
    CauseCategory.RESOURCE_POOL_EXHAUSTION,
).model_copy(update={"resources": ("/aws/rds/instance/orders-pg-prod/postgresql", "orders-pg-prod")})
POOL = log(
    "errors:orders-api",
    "HikariPool-1 - Connection is not available, request timed out after 30000ms "
    "(jdbc:postgresql://orders-pg-prod.c9x.us-east-1.rds.amazonaws.com:5432/orders)",
    ago(13),
    CauseCategory.RESOURCE_POOL_EXHAUSTION,
).model_copy(update={"resources": ("shop/orders-api-6f7c9d8b54-2qk8w",)})
FROM_ZERO = finding(
    "prometheus:request-rate-surge:-/orders-api",
    W,
    "orders-api request rate rose from zero: 0 req/s to 6.42 req/s from 21:08 UTC",
    relevance=0.9,
    at=ago(13),
    cause=CauseCategory.TRAFFIC_SPIKE,
    change=Trigger.TRAFFIC,
)
NEW_CLIENT = finding(
    "prometheus:connections:orders-pg-prod/report-worker",
    W,
    "database connections to orders-pg-prod from report-worker rose from zero: 0 to 160 from 21:07 UTC",
    relevance=0.5,
    at=ago(15),
    cause=CauseCategory.TRAFFIC_SPIKE,
    change=Trigger.TRAFFIC,
    resources=("analytics/Deployment/report-worker", "orders-pg-prod"),
)
STARTED = chat(
    "config:report-worker/start",
    "kubectl -n analytics create job report-backfill --from=cronjob/report-worker",
    ago(16),
    Trigger.CONFIG_CHANGE,
    ("report-worker", "Namespace/analytics"),
    0.15,
)


def test_a_series_that_rose_from_zero_is_no_traffic_surge() -> None:
    ctx = alert("orders-api", "shop")
    report = synthesize(ctx, [ok("cloudwatch_logs", SLOTS, POOL), ok("prometheus", FROM_ZERO)])
    assert report.cause.category is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert report.cause.trigger is not Trigger.TRAFFIC
    assert "traffic surge" not in report.cause.summary


def test_a_new_client_of_the_targets_database_connects_the_change_that_started_it() -> None:
    ctx = alert("orders-api", "shop")
    report = synthesize(
        ctx, [ok("cloudwatch_logs", SLOTS, POOL), ok("prometheus", NEW_CLIENT), ok("slack_scanner", STARTED)]
    )
    assert report.cause.category is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and STARTED.id in report.cause.evidence
    assert "report-worker" in report.cause.summary


# --- quiet alerts pick up nothing from elsewhere ---------------------------------------------------


def _heartbeat() -> AlertContext:
    return build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        labels={"alertname": "Watchdog", "namespace": "monitoring", "severity": "none"},
        received_at=T,
        starts_at=ago(60),
    )


def test_a_heartbeat_picks_up_no_problem_found_elsewhere_however_strongly_rated() -> None:
    loud = UNRELATED_OOM.model_copy(update={"relevance": 0.9})
    report = synthesize(_heartbeat(), [ok("eks", loud), ok("prometheus")])
    assert report.cause.category is CauseCategory.NO_ISSUE
    assert loud.id not in report.cause.evidence
    assert "exporter" not in report.cause.summary


# --- a rollout of configuration only is a config change ---------------------------------------------

THROTTLED_CPU = finding(
    "prometheus:cpu-throttled:edge/api-gateway-6f9c8d7b5-2lq8x/gateway",
    C,
    "CPU of edge/api-gateway-6f9c8d7b5-2lq8x (gateway) throttled in 66% of CFS periods; "
    "using 476m of its 500m CPU limit",
    relevance=0.9,
    at=ago(40),
    cause=CauseCategory.CPU_SATURATION,
    resources=("edge/Pod/api-gateway-6f9c8d7b5-2lq8x",),
)


def _rollout(what: str) -> Finding:
    return finding(
        "eks:rollout:edge/api-gateway/rev15",
        W,
        f"Deployment edge/api-gateway revision 15, rolled out 51 min before the alert: {what}",
        relevance=0.53,
        at=ago(51),
        change=Trigger.DEPLOY,
        resources=("edge/Deployment/api-gateway", "edge/ReplicaSet/api-gateway-6f9c8d7b5"),
    )


def test_a_rollout_of_limits_only_is_a_config_change_and_one_with_an_image_a_deploy() -> None:
    ctx = alert("api-gateway", "edge")
    limits = _rollout("gateway limits.cpu 2 -> 500m; gateway requests.cpu 1 -> 250m")
    report = synthesize(ctx, [ok("prometheus", THROTTLED_CPU), ok("eks", limits)])
    assert report.cause.category is CauseCategory.CPU_SATURATION
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and limits.id in report.cause.evidence
    assert "It began after a config change" in report.cause.summary
    release = _rollout("image api-gateway v2.1.0 -> v2.2.0; gateway limits.cpu 2 -> 500m")
    report = synthesize(ctx, [ok("prometheus", THROTTLED_CPU), ok("eks", release)])
    assert report.cause.trigger is Trigger.DEPLOY


def test_the_targets_own_error_ratio_from_another_source_corroborates_and_a_metric_elsewhere_does_not() -> (
    None
):
    ctx = alert("orders-api", "orders")
    ratio = finding(
        "prometheus:error-ratio:orders/orders-api",
        C,
        "orders-api 5xx error ratio is 100% since 21:28 UTC",
        relevance=0.9,
        at=ago(14),
        resources=("orders/orders-api",),
    )
    elsewhere = ratio.model_copy(
        update={
            "id": "prometheus:error-ratio:search/search-api",
            "title": "search-api 5xx error ratio is 40% since 21:28 UTC",
            "resources": ("search/search-api",),
            "relevance": 0.5,
        }
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", TLS_TO_WEBHOOK), ok("prometheus", ratio)])
    assert ratio.id in report.cause.evidence
    report = synthesize(ctx, [ok("cloudwatch_logs", TLS_TO_WEBHOOK), ok("prometheus", elsewhere)])
    assert elsewhere.id not in report.cause.evidence
