"""Issue 14's kinds of miss, on findings built here: the failing dependency's own cause (the cluster
DNS, a webhook's backend in its own namespace, a database two hops away), the first failure against
its louder consequence (429s after a certificate failure elsewhere; timeouts after a surge), and a
readiness probe that leaves a Service without endpoints."""

from __future__ import annotations

from test_chain import alert, chat, log
from test_synthesis import ago, finding, ok

from agents.master.followup import dependency_context
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger

C, W, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


def oomkilled(ns: str, pod: str, workload: str, at: int = 10) -> object:
    return finding(
        f"eks:pod-oomkilled:{ns}/{workload}",
        C,
        f"OOMKilled: pod {ns}/{pod} (exit code 137, memory limit 170Mi), CrashLoopBackOff, 7 restarts",
        relevance=0.6,
        at=ago(at),
        cause=CauseCategory.OOM,
        resources=(f"{ns}/Pod/{pod}", f"{ns}/Deployment/{workload}"),
    )


# --- the dependency's own cause -------------------------------------------------------------------

LOOKUPS = log(
    "errors:catalog-dns",
    "request to product-details failed: getaddrinfo EAI_AGAIN product-details.catalog.svc.cluster.local",
    ago(11),
    CauseCategory.NETWORK_FAILURE,
).model_copy(update={"resources": ("catalog/catalog-aggregator-84d6f7c9b-m2n4p",)})
BREAKER = log(
    "errors:catalog-breaker",
    "GET /api/product/ 502 circuit breaker open for product-details",
    ago(10),
    CauseCategory.DEPENDENCY_FAILURE,
).model_copy(update={"resources": ("catalog/catalog-aggregator-84d6f7c9b-m2n4p",)})
COREDNS = oomkilled("kube-system", "coredns-5d8c7b9f4-abc12", "coredns")


def test_lookups_that_time_out_are_followed_to_the_cluster_dns_and_its_own_cause_is_stated() -> None:
    ctx = alert("catalog-aggregator", "catalog")
    first = [ok("cloudwatch_logs", LOOKUPS, BREAKER)]
    narrowed = dependency_context(ctx, first)
    # The resolver failed, not product-details: the narrower round asks about the cluster DNS.
    assert narrowed is not None
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("kube-dns", "kube-system")
    report = synthesize(ctx, first, related=[ok("eks", COREDNS)])
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert "coredns" in report.cause.summary and "OOMKilled" in report.cause.summary
    assert COREDNS.id in report.cause.evidence
    assert report.cause.trigger is Trigger.DEPENDENCY


def test_a_dependency_in_its_own_namespace_is_served_by_pods_not_named_after_its_service() -> None:
    ctx = alert("search-api", "search")
    refused = finding(
        "eks:replicaset-failedcreate:search/search-api-7f9d8c6b5",
        C,
        "FailedCreate: ReplicaSet search/search-api-7f9d8c6b5 cannot create pods: failed calling webhook "
        '"mutate.kyverno.svc-fail": Post "https://kyverno-svc.kyverno.svc:443/mutate": no endpoints '
        'available for service "kyverno-svc"',
        relevance=0.95,
        at=ago(15),
        cause=CauseCategory.DEPENDENCY_FAILURE,
        resources=("search/Deployment/search-api",),
    )
    # A note about traffic names nothing on the path: it does not keep the dependency from being asked.
    surge = finding(
        "slack_scanner:traffic:1",
        W,
        "Traffic change announced: the sale email went out, expect more traffic",
        relevance=0.55,
        at=ago(11),
        change=Trigger.TRAFFIC,
    )
    first = [ok("eks", refused), ok("slack_scanner", surge)]
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None
    # The webhook's name (mutate.kyverno.svc-fail) is no Service: its Service is.
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("kyverno-svc", "kyverno")
    backend = oomkilled(
        "kyverno", "kyverno-admission-controller-6b7c8d9e0-m5n6b", "kyverno-admission-controller"
    )
    report = synthesize(ctx, first, related=[ok("eks", backend)])
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    assert "kyverno-svc itself fails" in report.cause.summary and "OOMKilled" in report.cause.summary
    assert backend.id in report.cause.evidence
    # The dependency's own failure explains it; the traffic note is not what set it off.
    assert report.cause.trigger is Trigger.DEPENDENCY and surge.id not in report.cause.evidence
    # Another namespace's pods do not explain a dependency in the target's own namespace.
    unrelated = oomkilled("search", "search-indexer-6b7c8d9e0-m5n6b", "search-indexer")
    assert "itself fails" not in synthesize(ctx, first, related=[ok("eks", unrelated)]).cause.summary


def test_two_hops_to_a_database_that_is_oomkilled_stay_a_dependency_failure() -> None:
    ctx = alert("storefront-web", "shop")
    front = log(
        "errors:storefront",
        "GET /order/confirmation 502 upstream orders-api.shop.svc.cluster.local:8080 returned 503",
        ago(10),
        CauseCategory.DEPENDENCY_FAILURE,
    ).model_copy(update={"resources": ("shop/storefront-web-7b9c5d6f8-q2w4e",)})
    # orders-api's own failures: one says "in recovery mode", another names the database's host.
    recovery, refused = (
        log(fid, line, ago(11), CauseCategory.DEPENDENCY_FAILURE).model_copy(
            update={"resources": ("shop/orders-api-5d8f7c6b4-h7j9k",), "relevance": 0.65}
        )
        for fid, line in (
            ("errors:orders-recovery", "PSQLException: FATAL: the database system is in recovery mode"),
            ("errors:orders-refused", "Connection to orders-postgres.data.svc.cluster.local:5432 refused."),
        )
    )
    first = [ok("cloudwatch_logs", front, recovery, refused)]
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("orders-postgres", "data")
    database = oomkilled("data", "orders-postgres-0", "orders-postgres").model_copy(
        update={"resources": ("data/Pod/orders-postgres-0", "data/StatefulSet/orders-postgres")}
    )
    report = synthesize(ctx, first, related=[ok("eks", database)])
    # The database's own process failed: still a dependency failure, with its own cause stated.
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    summary = report.cause.summary
    assert summary.index("orders-api itself fails") < summary.index("orders-postgres itself fails")
    assert "OOMKilled" in summary and database.id in report.cause.evidence


# --- the first failure against its louder consequence ---------------------------------------------

THROTTLED = log(
    "errors:edge-429",
    '"GET /v3/wallet/balance HTTP/1.1" 429 RL x-envoy-ratelimited: true',
    ago(14),
    CauseCategory.RATE_LIMITED,
).model_copy(update={"resources": ("edge/api-edge-69c8b7a6d-x9y8z",)})


def expired(minutes: int) -> object:
    """A client in another namespace failing to verify a dependency's certificate: weakly tied."""
    return log(
        "errors:bff-tls",
        'ledger call failed: Get "https://ledger-svc.ledger.svc.cluster.local:8443/v1/balances": '
        "tls: failed to verify certificate: x509: certificate has expired or is not yet valid",
        ago(minutes),
        CauseCategory.CERTIFICATE_EXPIRED,
    ).model_copy(update={"resources": ("mobile/mobile-bff-5f6c7d8e9-a1b2c",), "relevance": 0.3})


def test_an_earlier_certificate_failure_elsewhere_is_the_cause_of_the_louder_429s() -> None:
    ctx = alert("api-edge", "edge")
    first = [ok("cloudwatch_logs", THROTTLED, expired(26))]
    report = synthesize(ctx, first)
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert "ledger-svc" in report.cause.summary
    assert expired(26).id in report.cause.evidence
    # The certificate's own state is asked of the dependency that holds it.
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None and narrowed.hints.workload == "ledger-svc"
    certificate = finding(
        "eks:certificate-expired:ledger/ledger-svc-tls",
        C,
        "Certificate ledger/ledger-svc-tls (ledger-svc.ledger.svc.cluster.local) expired 26 min before the "
        "alert, renewal fails: its Issuer internal-ca is not Ready",
        relevance=0.6,
        at=ago(26),
        cause=CauseCategory.CERTIFICATE_EXPIRED,
        resources=("ledger/Certificate/ledger-svc-tls",),
    )
    stated = synthesize(ctx, first, related=[ok("eks", certificate)])
    assert "ledger-svc-tls" in stated.cause.summary and certificate.id in stated.cause.evidence


def test_a_certificate_failure_that_began_after_the_429s_does_not_explain_them() -> None:
    report = synthesize(alert("api-edge", "edge"), [ok("cloudwatch_logs", THROTTLED, expired(5))])
    assert report.cause.category is CauseCategory.RATE_LIMITED


def test_a_surge_that_began_first_explains_the_timeouts_that_follow() -> None:
    ctx = alert("web-storefront", "web")
    timeouts = log(
        "errors:render-timeout",
        "upstream render timed out after 8000ms route=/sale/winter24",
        ago(14),
        CauseCategory.DEPENDENCY_FAILURE,
    ).model_copy(update={"resources": ("web/web-storefront-5d7f9b8c6-4ptzk",)})
    surge = finding(
        "prometheus:requests:web-storefront",
        W,
        "request_count of web-storefront rose 7.7x: 14000 to 107200",
        relevance=0.9,
        at=ago(18),
        cause=CauseCategory.TRAFFIC_SPIKE,
        change=Trigger.TRAFFIC,
        resources=("web/Service/web-storefront",),
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", timeouts), ok("prometheus", surge)])
    assert report.cause.category is CauseCategory.TRAFFIC_SPIKE
    assert report.cause.trigger is Trigger.TRAFFIC
    # Without the surge first, the timeouts stay what they are.
    later = surge.model_copy(update={"first_seen": ago(5), "last_seen": ago(5)})
    alone = synthesize(ctx, [ok("cloudwatch_logs", timeouts), ok("prometheus", later)])
    assert alone.cause.category is CauseCategory.DEPENDENCY_FAILURE


# --- a readiness probe that leaves a Service without endpoints -------------------------------------


def test_a_service_without_endpoints_because_its_pods_fail_readiness_is_a_probe_failure() -> None:
    ctx = alert("Temporarily", "web")  # a word of "503 Service Temporarily Unavailable", read as a name
    no_endpoints = finding(
        "cloudwatch_logs:errors:ingress-nginx",
        W,
        "Network unreachable or no endpoints: 1x "
        '"Service "web/account-web" does not have any active Endpoint."',
        relevance=0.55,
        at=ago(13),
        cause=CauseCategory.NETWORK_FAILURE,
        resources=("ingress-nginx/ingress-nginx-controller-7f8e9d0c1-b2n3m",),
    )
    not_ready = finding(
        "eks:pod-not-ready:web/account-web/app",
        C,
        "Running but not Ready: pod web/account-web-5f4e3d2c1-q1w2e container app: Readiness probe failed: "
        'Get "http://10.0.8.90:8081/actuator/health/readiness": dial tcp 10.0.8.90:8081: connect: '
        "connection refused",
        relevance=0.5,
        at=ago(14),
        cause=CauseCategory.PROBE_FAILURE,
        resources=("web/Deployment/account-web",),
    )
    patched = chat(
        "config:account-web/patch",
        "kubectl -n web patch deployment account-web -p readinessProbe httpGet port 8081",
        ago(14.5),
        Trigger.CONFIG_CHANGE,
        ("Namespace/web",),
        0.2,
    )
    report = synthesize(
        ctx, [ok("cloudwatch_logs", no_endpoints), ok("eks", not_ready), ok("slack_scanner", patched)]
    )
    assert report.cause.category is CauseCategory.PROBE_FAILURE
    summary = report.cause.summary
    assert "Readiness probe failed" in summary and "8081" in summary
    # The patch pasted in chat is about the workload whose pods fail: it is the trigger.
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and patched.id in report.cause.evidence
    assert "Temporarily" not in summary


def test_another_source_seeing_the_same_certificate_fail_is_cited_by_what_it_names() -> None:
    ctx = alert("payout-worker", "finance")
    certificate = finding(
        "eks:certificate-expired:finance/ledger-api-tls",
        C,
        "Certificate finance/ledger-api-tls (ledger-api.finance.svc, ledger-api.finance.svc.cluster.local) "
        "expired 41 min before the alert, renewal fails",
        relevance=0.6,
        at=ago(41),
        cause=CauseCategory.CERTIFICATE_EXPIRED,
        resources=("finance/Secret/ledger-api-tls",),
    )

    def client(host: str) -> object:
        return log(
            f"errors:reconciler-{host}",
            f'Get "https://{host}:8443/v1/balances": tls: failed to verify certificate: x509: certificate '
            "has expired or is not yet valid",
            ago(40),
            CauseCategory.CERTIFICATE_EXPIRED,
            INFO,
        ).model_copy(update={"resources": ("finance/ledger-reconciler-5d8b7c6f9-m2tq4",), "relevance": 0.36})

    same, other = client("ledger-api.finance.svc.cluster.local"), client("fx-rates.finance.svc.cluster.local")
    report = synthesize(ctx, [ok("eks", certificate), ok("cloudwatch_logs", same)])
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert {certificate.id, same.id} <= set(report.cause.evidence)
    # A client failing on another host's certificate does not back this one.
    apart = synthesize(ctx, [ok("eks", certificate), ok("cloudwatch_logs", other)])
    assert other.id not in apart.cause.evidence
