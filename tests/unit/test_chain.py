"""The chain from the symptom to the change that set it off (issue 14's kinds), on findings built
here: the dependency's own cause, changes to the target or its dependencies (announced in words)
against changes to other workloads, the first cause against its louder consequence, and the
second, narrower round about a dependency."""

from __future__ import annotations

from datetime import datetime

from test_synthesis import T, ago, ok

from agents.master.followup import dependency_context
from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import (
    AlertContext,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    Severity,
    Trigger,
)

C, W, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO


def alert(service: str, namespace: str) -> AlertContext:
    return build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        labels={
            "alertname": "ErrorRateHigh",
            "namespace": namespace,
            "service": service,
            "severity": "critical",
        },
        received_at=T,
        starts_at=ago(2),
    )


def log(fid: str, line: str, at: datetime, cause: CauseCategory | None, severity: Severity = C) -> Finding:
    return Finding(
        id=f"cloudwatch_logs:{fid}",
        agent="cloudwatch_logs",
        severity=severity,
        title=f'120x "{line}"',
        relevance=0.95,
        first_seen=at,
        last_seen=T,
        cause_hint=cause,
        evidence=(
            Evidence(
                kind=EvidenceKind.LOG_LINE,
                reference="/aws/containerinsights/prod/application",
                excerpt=line,
                at=at,
            ),
        ),
    )


def chat(
    fid: str, text: str, at: datetime, change: Trigger, resources: tuple[str, ...], relevance: float
) -> Finding:
    link = f"https://example.slack.com/archives/C0OPSCHAN1/p{int(at.timestamp())}000000"
    return Finding(
        id=f"slack_scanner:{fid}",
        agent="slack_scanner",
        severity=INFO if relevance < 0.5 else W,
        title=f"Config change announced: “{text}”",
        resources=resources,
        first_seen=at,
        last_seen=at,
        change=change,
        relevance=relevance,
        evidence=(Evidence(kind=EvidenceKind.CHAT_MESSAGE, reference=link, url=link, excerpt=text, at=at),),
    )


REFUSED = "ERROR redis: dial tcp redis-main.cache.svc.cluster.local:6379: connect: connection refused"
REDIS_OOM = Finding(
    id="eks:pod-oomkilled:cache/redis-main/redis",
    agent="eks",
    severity=C,
    title="OOMKilled: pod cache/redis-main-0 container redis (exit code 137, memory limit 2Gi)",
    resources=("cache/Pod/redis-main-0", "cache/StatefulSet/redis-main"),
    first_seen=ago(14),
    last_seen=ago(3),
    cause_hint=CauseCategory.OOM,
    relevance=0.2,  # another namespace: the alert does not name it
)
# A deploy of another workload beside the target, minutes before: the decoy.
SEARCH_ROLLOUT = Finding(
    id="eks:rollout:shop/search-api/rev58",
    agent="eks",
    severity=INFO,
    title="Deployment shop/search-api rolled out revision 58: image search-api v3.2.0-rc1 -> v3.2.0",
    resources=("shop/Deployment/search-api",),
    first_seen=ago(13),
    last_seen=ago(13),
    change=Trigger.DEPLOY,
    relevance=0.6,  # same namespace as the alert
)


def test_the_dependencys_own_failure_is_stated_and_cited() -> None:
    refused = log("errors:cart", REFUSED, ago(12), CauseCategory.DEPENDENCY_FAILURE)
    report = synthesize(alert("cart-api", "shop"), [ok("cloudwatch_logs", refused), ok("eks", REDIS_OOM)])
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    assert (
        "redis-main itself fails: Memory exhausted: OOMKilled: pod cache/redis-main-0" in report.cause.summary
    )
    assert REDIS_OOM.id in report.cause.evidence
    assert report.cause.trigger is Trigger.DEPENDENCY


def test_a_deploy_of_another_workload_minutes_before_is_ruled_out_not_blamed() -> None:
    refused = log("errors:cart", REFUSED, ago(12), CauseCategory.DEPENDENCY_FAILURE)
    report = synthesize(
        alert("cart-api", "shop"), [ok("cloudwatch_logs", refused), ok("eks", REDIS_OOM, SEARCH_ROLLOUT)]
    )
    assert report.cause.trigger is Trigger.DEPENDENCY and SEARCH_ROLLOUT.id not in report.cause.evidence
    assert (
        "Ruled out: a deploy 11 min before the alert (eks) is about another workload" in report.cause.summary
    )
    assert "search-api" not in report.cause.summary  # described, not named
    # The same rollout of the alert's own workload is on the path, and is the trigger.
    own = SEARCH_ROLLOUT.model_copy(
        update={
            "title": "Deployment shop/cart-api rolled out revision 9",
            "resources": ("shop/Deployment/cart-api",),
        }
    )
    errors = log("errors:npe", "ERROR NullPointerException at CartService.add", ago(11), None)
    report = synthesize(alert("cart-api", "shop"), [ok("cloudwatch_logs", errors), ok("eks", own)])
    assert report.cause.trigger is Trigger.DEPLOY and own.id in report.cause.evidence


def test_a_change_announced_in_words_to_a_dependency_is_the_trigger() -> None:
    refused = log(
        "errors:orders",
        "ERROR could not connect to server: Connection refused. "
        'Is the server running on host "orders-pg.data.svc.cluster.local"',
        ago(12),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    scaled = chat(
        "config:orders-pg/scale",
        "kubectl -n data scale statefulset orders-pg --replicas=0",
        ago(13),
        Trigger.CONFIG_CHANGE,
        ("orders-pg", "Namespace/data"),
        0.15,  # it names another service than the alert's
    )
    other = chat(
        "deploy:notifications",
        "Deploying notifications v1.8.2",
        ago(10),
        Trigger.DEPLOY,
        ("notifications",),
        0.15,
    )
    report = synthesize(
        alert("orders-api", "orders"), [ok("cloudwatch_logs", refused), ok("slack_scanner", scaled, other)]
    )
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and scaled.id in report.cause.evidence
    assert "replicas=0" in report.cause.summary
    assert "That change is to orders-pg, which orders-api depends on." in report.cause.summary


def test_a_network_policy_on_the_dependencys_namespace_makes_it_a_network_failure() -> None:
    timeout = log(
        "errors:gw",
        "ERROR upstream request failed: dial tcp accounts-api.accounts.svc.cluster.local:8080: i/o timeout",
        ago(11),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    policy = chat(
        "config:-/networkpolicy",
        "kubectl apply -n accounts -f netpol/accounts-default-deny.yaml",
        ago(12),
        Trigger.CONFIG_CHANGE,
        ("Namespace/accounts",),
        0.25,
    )
    report = synthesize(
        alert("api-gateway", "edge"), [ok("cloudwatch_logs", timeout), ok("slack_scanner", policy)]
    )
    assert report.cause.category is CauseCategory.NETWORK_FAILURE
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and policy.id in report.cause.evidence
    assert "the accounts namespace, where accounts-api runs" in report.cause.summary


def test_the_failure_that_began_first_beats_the_louder_retries_it_explains() -> None:
    expired = log(
        "errors:x509",
        "ERROR POST https://api.partner.example.com/v2/settlements failed: x509: certificate has expired",
        ago(22),
        CauseCategory.CERTIFICATE_EXPIRED,
        severity=W,
    )
    throttled = log(
        "errors:429",
        "ERROR POST https://api.partner.example.com/v2/settlements: 429 Too Many Requests",
        ago(16),
        CauseCategory.RATE_LIMITED,
    )
    report = synthesize(alert("partner-sync", "integrations"), [ok("cloudwatch_logs", expired, throttled)])
    assert report.cause.category is CauseCategory.CERTIFICATE_EXPIRED
    assert "api.partner.example.com" in report.cause.summary
    # When the throttling began first, it is the cause.
    earlier = throttled.model_copy(update={"first_seen": ago(30)})
    report = synthesize(alert("partner-sync", "integrations"), [ok("cloudwatch_logs", expired, earlier)])
    assert report.cause.category is CauseCategory.RATE_LIMITED


def test_the_config_change_a_restart_applied_is_the_trigger() -> None:
    missing = Finding(
        id="eks:pod-log-errors:orders/orders-api-1/api/previous",
        agent="eks",
        severity=W,
        title="Log of the crashed container: FATAL settings: missing required setting DATABASE_URL",
        resources=("orders/Pod/orders-api-1",),
        first_seen=ago(6),
        cause_hint=CauseCategory.BAD_CONFIG,
        relevance=0.95,
    )
    edited = Finding(
        id="eks:configmap-changed:orders/orders-config",
        agent="eks",
        severity=W,
        title="ConfigMap orders/orders-config changed 16 min before the alert, used by Deployment orders-api",
        resources=("orders/ConfigMap/orders-config",),
        first_seen=ago(16),
        change=Trigger.CONFIG_CHANGE,
        relevance=0.95,
    )
    restart = Finding(
        id="eks:rollout:orders/orders-api/rev9",
        agent="eks",
        severity=W,
        title="Deployment orders/orders-api rolled out revision 9: rollout restart",
        resources=("orders/Deployment/orders-api",),
        first_seen=ago(15),
        change=Trigger.DEPLOY,
        relevance=0.95,
    )
    report = synthesize(alert("orders-api", "orders"), [ok("eks", missing, edited, restart)])
    assert report.cause.category is CauseCategory.BAD_CONFIG
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and edited.id in report.cause.evidence
    # The key the workload misses is named against the near miss the change holds.
    misspelled = edited.model_copy(update={"title": edited.title + " (DATABSE_URL, LOG_LEVEL=info)"})
    report = synthesize(alert("orders-api", "orders"), [ok("eks", missing, misspelled, restart)])
    assert (
        "The missing DATABASE_URL is not in that change; it has DATABSE_URL, a near miss."
        in report.cause.summary
    )
    spelled = edited.model_copy(update={"title": edited.title + " (DATABASE_URL, LOG_LEVEL=info)"})
    report = synthesize(alert("orders-api", "orders"), [ok("eks", missing, spelled, restart)])
    assert "near miss" not in report.cause.summary


def test_the_second_round_asks_about_the_dependency_and_its_answer_is_cited() -> None:
    ctx = alert("cart-api", "shop")
    refused = log("errors:cart", REFUSED, ago(12), CauseCategory.DEPENDENCY_FAILURE)
    first = [ok("cloudwatch_logs", refused), ok("eks", SEARCH_ROLLOUT)]
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("redis-main", "cache")
    assert narrowed.text == "" and narrowed.window_start == ctx.window_start
    assert dependency_context(narrowed, first) is None  # a second round never starts a third
    # The scanners rate what they find for the dependency they were asked about.
    about_redis = REDIS_OOM.model_copy(update={"relevance": 1.0})
    report = synthesize(ctx, first, related=[ok("eks", about_redis)])
    assert "redis-main itself fails: Memory exhausted" in report.cause.summary
    cited = report.finding(REDIS_OOM.id)
    assert cited is not None and REDIS_OOM.id in report.cause.evidence and cited.relevance <= 0.6
    # Once the dependency's own cause is known, there is nothing more to follow.
    assert dependency_context(ctx, [*first, ok("prometheus"), ok("eks", REDIS_OOM, SEARCH_ROLLOUT)]) is None


def test_a_credential_named_after_the_host_it_is_for_is_on_the_path() -> None:
    denied = log(
        "errors:401",
        "ERROR carrier quote failed: 401 Unauthorized from https://api.carrier-acme.example.com/v3/rates",
        ago(16),
        CauseCategory.PERMISSION_DENIED,
    )
    rotated = chat(
        "config:-/key",
        "rotated the carrier-api key in the carrier portal",
        ago(18),
        Trigger.CONFIG_CHANGE,
        ("carrier-api",),
        0.25,
    )
    elsewhere = rotated.model_copy(
        update={
            "id": "slack_scanner:config:-/other",
            "resources": ("billing-api",),
            "title": "rotated the billing-api key",
        }
    )
    report = synthesize(
        alert("shipping-quotes", "shipping"), [ok("cloudwatch_logs", denied), ok("slack_scanner", rotated)]
    )
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and rotated.id in report.cause.evidence
    assert (
        "That change is to api.carrier-acme.example.com, which shipping-quotes depends on."
        in report.cause.summary
    )
    report = synthesize(
        alert("shipping-quotes", "shipping"), [ok("cloudwatch_logs", denied), ok("slack_scanner", elsewhere)]
    )
    assert elsewhere.id not in report.cause.evidence
    assert "No change was found on its path" in report.cause.summary


def test_timeouts_after_a_rollout_that_cut_the_cpu_limit_are_cpu_starvation_cited_by_the_throttling() -> None:
    timeouts = log(
        "errors:search",
        '{"level":"error","status":504,"error":"context deadline exceeded while ranking"}',
        ago(15),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    rollout = Finding(
        id="eks:rollout:search/search-api/rev74",
        agent="eks",
        severity=W,
        title="Deployment search/search-api revision 74, rolled out 46 min before the alert: "
        "api limits.cpu 2 -> 500m",
        resources=("search/Deployment/search-api",),
        first_seen=ago(46),
        last_seen=ago(46),
        change=Trigger.DEPLOY,
        relevance=0.9,
    )
    throttled = Finding(
        id="prometheus:cpu-throttled:search/search-api/api",
        agent="prometheus",
        severity=C,
        title="CPU of search/search-api (api) throttled in 85% of CFS periods (was 21.9% before)",
        resources=("search/Pod/search-api-58d9c7f6b4-h4kzp",),
        first_seen=ago(46),
        last_seen=T,
        cause_hint=CauseCategory.CPU_SATURATION,
        relevance=0.9,
    )
    report = synthesize(
        alert("search-api", "search"),
        [ok("cloudwatch_logs", timeouts), ok("eks", rollout), ok("prometheus", throttled)],
    )
    assert report.cause.category is CauseCategory.CPU_SATURATION
    assert throttled.id in report.cause.evidence and rollout.id in report.cause.evidence


def test_a_bare_host_the_client_quotes_is_a_service_in_its_own_namespace() -> None:
    # libpq and the MongoDB driver quote the host they call: a bare name is a Kubernetes Service,
    # resolved in the client's own namespace, and the next round asks about it there.
    refused = log(
        "errors:ledger",
        'psql: error: connection to server at "ledgerdb" (10.100.7.12), port 5432 failed: Connection refused',
        ago(10),
        CauseCategory.DEPENDENCY_FAILURE,
    ).model_copy(update={"resources": ("books/ledger-api-7d6b5c4f9-h8n3q",)})
    narrowed = dependency_context(alert("ledger-api", "books"), [ok("cloudwatch_logs", refused)])
    assert narrowed is not None
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("ledgerdb", "books")
    mongo = log(
        "errors:basket",
        "MongoQueryException: Query failed with error code 352 on server basket-db:27017",
        ago(10),
        CauseCategory.DEPENDENCY_FAILURE,
    ).model_copy(update={"resources": ("store/basket-6b9c8d7e5f-4kq7w",)})
    narrowed = dependency_context(alert("basket", "store"), [ok("cloudwatch_logs", mongo)])
    assert narrowed is not None and narrowed.hints.workload == "basket-db"
    # A word in quotes that is not where a host goes names nothing.
    vague = log("errors:x", 'failed at "startup" of the server', ago(10), CauseCategory.DEPENDENCY_FAILURE)
    assert dependency_context(alert("ledger-api", "books"), [ok("cloudwatch_logs", vague)]) is None


def test_a_dependency_without_a_cause_of_its_own_is_still_named_as_where_it_fails() -> None:
    refused = log("errors:cart", REFUSED, ago(12), CauseCategory.DEPENDENCY_FAILURE)
    report = synthesize(alert("cart-api", "shop"), [ok("cloudwatch_logs", refused)])
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    assert "The failing dependency is redis-main; its own cause was not found." in report.cause.summary
    # Once its own cause is known, that is what is said instead.
    known = synthesize(alert("cart-api", "shop"), [ok("cloudwatch_logs", refused), ok("eks", REDIS_OOM)])
    assert "its own cause was not found" not in known.cause.summary


def test_another_clients_pool_raised_takes_the_slots_of_the_database_the_target_shares() -> None:
    # The server's own connection limit is reached (not the target's pool): a neighbour whose pool
    # was raised is on the path; a deploy of another service beside it is not.
    slots = log(
        "errors:stock",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms. Caused by: "
        "org.postgresql.util.PSQLException: FATAL: remaining connection slots are reserved",
        ago(12),
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    )
    raised = chat(
        "config:quotes/pool",
        "kubectl -n quotes set env deployment/quote-engine SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE=90",
        ago(25),
        Trigger.CONFIG_CHANGE,
        ("quotes/Deployment/quote-engine",),
        0.15,
    )
    other = chat(
        "deploy:search", "Deploying search-api v8.1.0", ago(10), Trigger.DEPLOY, ("search-api",), 0.15
    )
    report = synthesize(
        alert("stock-api", "stock"), [ok("cloudwatch_logs", slots), ok("slack_scanner", raised, other)]
    )
    assert report.cause.category is CauseCategory.RESOURCE_POOL_EXHAUSTION
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and raised.id in report.cause.evidence
    assert "MAXIMUMPOOLSIZE=90" in report.cause.summary and other.id not in report.cause.evidence
    assert "another client of the server whose limit stock-api shares" in report.cause.summary
    # The target's own pool full, the server fine: another client's pool is not on the path.
    own = log(
        "errors:stock",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10)",
        ago(12),
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    )
    alone = synthesize(alert("stock-api", "stock"), [ok("cloudwatch_logs", own), ok("slack_scanner", raised)])
    assert alone.cause.trigger is not Trigger.CONFIG_CHANGE and raised.id not in alone.cause.evidence


def test_a_terraform_change_to_the_managed_store_a_log_field_names_is_the_trigger() -> None:
    full = log(
        "errors:checkout-web",
        '{"level":50,"msg":"failed to persist session","err":"OOM command not allowed when used memory '
        '> \'maxmemory\'.","redis":"sessions-cache.x7k2pq.ng.0001.euc1.cache.amazonaws.com:6379"}',
        ago(12),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    plan = chat(
        "config:-/terraform",
        "will be updated in-place changing + name = maxmemory-policy; + value = noeviction",
        ago(40),
        Trigger.CONFIG_CHANGE,
        ("module.sessions_cache.aws_elasticache_parameter_group.this",),
        0.2,
    )
    report = synthesize(
        alert("checkout-web", "web"), [ok("cloudwatch_logs", full), ok("slack_scanner", plan)]
    )
    # The endpoint in the log's JSON is the dependency; Terraform's `sessions_cache` is its `sessions-cache`.
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and plan.id in report.cause.evidence
    assert "noeviction" in report.cause.summary


def test_another_client_scaled_out_takes_the_slots_of_the_database_the_target_shares() -> None:
    slots = log(
        "errors:stock",
        "FATAL: remaining connection slots are reserved for non-replication superuser connections",
        ago(12),
        CauseCategory.RESOURCE_POOL_EXHAUSTION,
    )
    scaled = chat(
        "config:analytics/scale",
        "bumping the workers: kubectl -n analytics scale deploy/report-worker --replicas=40",
        ago(16),
        Trigger.CONFIG_CHANGE,
        ("report-worker", "Namespace/analytics"),
        0.15,
    )
    report = synthesize(
        alert("stock-api", "stock"), [ok("cloudwatch_logs", slots), ok("slack_scanner", scaled)]
    )
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and scaled.id in report.cause.evidence
    assert "report-worker" in report.cause.summary
