"""Ingress / IngressClass, Gateway API, NetworkPolicy and admission webhooks, on objects as the API
server returns them (status included)."""

from __future__ import annotations

from typing import Any

from eks_builders import by_prefix, event, obj, pod, run, running, scope

from agents.eks.state import ClusterState
from shared.contracts import CauseCategory, Severity

NET = "networking.k8s.io/v1"
GW = "gateway.networking.k8s.io/v1"


def service(name: str, ns: str = "shop", ports: list[dict[str, Any]] | None = None, **spec: Any) -> dict:
    return obj(
        "Service",
        name,
        ns,
        api="v1",
        spec={
            "selector": {"app": name},
            "ports": ports or [{"name": "http", "port": 80, "targetPort": 8080}],
            **spec,
        },
    )


def ingress(backend: str, port: dict[str, Any], **spec: Any) -> dict:
    rule = {
        "host": "shop.example.com",
        "http": {
            "paths": [
                {
                    "path": "/api",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": backend, "port": port}},
                }
            ]
        },
    }
    return obj(
        "Ingress",
        "storefront",
        api=NET,
        spec={"ingressClassName": "alb", "rules": [rule], **spec},
        status={"loadBalancer": {}},
    )


ALB = obj("IngressClass", "alb", None, api=NET, spec={"controller": "ingress.k8s.aws/alb"})
WEB_POD = pod("web-6b7c8d9f5-abcde", labels={"app": "web"}, statuses=[running()])


def test_ingress_backend_service_missing_and_port_missing() -> None:
    missing = run([ingress("web-v2", {"number": 80}), service("web"), ALB, WEB_POD], scope(workload="web-v2"))
    [finding] = by_prefix(missing, "eks:ingress-backend-missing:")
    assert (
        "Service shop/web-v2:80, which does not exist" in finding.title
        and "shop.example.com/api" in finding.title
    )
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE and finding.severity is Severity.CRITICAL
    wrong_port = run([ingress("web", {"number": 8080}), service("web"), ALB, WEB_POD], scope(workload="web"))
    [port] = by_prefix(wrong_port, "eks:ingress-backend-port:")
    assert "has no port 8080 (it offers 80 (http))" in port.title
    named = run([ingress("web", {"name": "http"}), service("web"), ALB, WEB_POD], scope(workload="web"))
    assert not by_prefix(named, "eks:ingress-backend")


def test_ingress_backend_not_claimed_missing_when_services_were_not_read() -> None:
    state = ClusterState.of([ingress("web-v2", {"number": 80}), ALB])
    state.incomplete.add("Service")
    from agents.common.signatures import load_signatures
    from agents.eks.analyzers import analyze

    findings, _ = analyze(state, scope(namespace="shop"), load_signatures())
    assert not by_prefix(findings, "eks:ingress-backend")


def test_ingress_class_missing_unset_and_tls_secret_missing() -> None:
    nginx_default = obj(
        "IngressClass",
        "nginx",
        None,
        api=NET,
        spec={"controller": "k8s.io/ingress-nginx"},
        annotations={"ingressclass.kubernetes.io/is-default-class": "false"},
    )
    wrong = ingress("web", {"number": 80}, ingressClassName="nginx-internal")
    findings = run([wrong, service("web"), nginx_default, ALB, WEB_POD], scope(workload="web"))
    [missing] = by_prefix(findings, "eks:ingress-class-missing:")
    assert (
        "IngressClass nginx-internal, which does not exist "
        "(classes: alb (ingress.k8s.aws/alb), nginx (k8s.io/ingress-nginx))" in missing.title
    )
    assert missing.cause_hint is CauseCategory.BAD_CONFIG
    unset = ingress("web", {"number": 80}, ingressClassName=None)
    [no_class] = by_prefix(
        run([unset, service("web"), ALB, WEB_POD], scope(workload="web")), "eks:ingress-class-unset:"
    )
    assert "no IngressClass is the default" in no_class.title
    tls = ingress("web", {"number": 80}, tls=[{"hosts": ["shop.example.com"], "secretName": "shop-tls"}])
    [secret] = by_prefix(
        run([tls, service("web"), ALB, WEB_POD], scope(workload="web")), "eks:ingress-tls-secret-missing:"
    )
    assert "TLS Secret shop/shop-tls for shop.example.com does not exist" in secret.title
    present = obj("Secret", "shop-tls", api="v1")
    assert not by_prefix(run([tls, present, service("web"), ALB, WEB_POD]), "eks:ingress-tls")


def _gateway(conditions: list[dict[str, Any]], listeners: list[dict[str, Any]] | None = None) -> dict:
    return obj(
        "Gateway",
        "public",
        "edge",
        api=GW,
        spec={"gatewayClassName": "eg", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS"}]},
        status={"conditions": conditions, "listeners": listeners or []},
    )


def _route(backend: dict[str, Any], parent: str = "public", status: dict | None = None) -> dict:
    return obj(
        "HTTPRoute",
        "checkout",
        api=GW,
        spec={"parentRefs": [{"name": parent, "namespace": "edge"}], "rules": [{"backendRefs": [backend]}]},
        status=status or {},
    )


OK = [{"type": "Accepted", "status": "True", "reason": "Accepted"}, {"type": "Programmed", "status": "True"}]
CLASS = obj(
    "GatewayClass",
    "eg",
    None,
    api=GW,
    spec={"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
    status={"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}]},
)
CHECKOUT = [
    service("checkout", ports=[{"port": 8080}]),
    pod("checkout-7d9f8c6b5-x2k4p", labels={"app": "checkout"}, statuses=[running()]),
]


def test_gateway_class_not_accepted_and_listener_not_programmed() -> None:
    refused = obj(
        "GatewayClass",
        "eg",
        None,
        api=GW,
        spec={"controllerName": "example.com/none"},
        status={
            "conditions": [
                {
                    "type": "Accepted",
                    "status": "Unknown",
                    "reason": "Pending",
                    "message": "Waiting for controller",
                }
            ]
        },
    )
    findings = run(
        [refused, _gateway(OK), _route({"name": "checkout", "port": 8080}), *CHECKOUT],
        scope(workload="checkout"),
    )
    [gc] = by_prefix(findings, "eks:gatewayclass-not-accepted:")
    assert "no controller (example.com/none) has accepted it" in gc.title and "edge/public" in gc.title
    assert gc.relevance >= 0.9 and gc.cause_hint is CauseCategory.BAD_CONFIG
    listener = {
        "name": "https",
        "attachedRoutes": 1,
        "conditions": [
            {
                "type": "Programmed",
                "status": "False",
                "reason": "Invalid",
                "message": "Listener is invalid, see other Conditions",
            },
            {
                "type": "ResolvedRefs",
                "status": "False",
                "reason": "InvalidCertificateRef",
                "message": "Secret edge/public-tls does not exist.",
            },
        ],
    }
    findings = run(
        [CLASS, _gateway(OK, [listener]), _route({"name": "checkout", "port": 8080}), *CHECKOUT],
        scope(workload="checkout"),
    )
    [gw] = by_prefix(findings, "eks:gateway-not-ready:")
    assert (
        "listener https" in gw.title
        and "Programmed=False Invalid" in gw.title
        and gw.severity is Severity.CRITICAL
    )


def test_route_to_missing_gateway_backend_port_and_cross_namespace_without_grant() -> None:
    findings = run(
        [CLASS, _route({"name": "checkout", "port": 8080}, parent="internal"), *CHECKOUT],
        scope(workload="checkout"),
    )
    [parent] = by_prefix(findings, "eks:httproute-gateway-missing:")
    assert "Gateway edge/internal, which does not exist" in parent.title
    findings = run(
        [CLASS, _gateway(OK), _route({"name": "checkout", "port": 9090}), *CHECKOUT],
        scope(workload="checkout"),
    )
    [port] = by_prefix(findings, "eks:httproute-backend-port:")
    assert "Service shop/checkout:9090" in port.title and port.cause_hint is CauseCategory.NETWORK_FAILURE
    cross = _route({"name": "payments", "namespace": "billing", "port": 80})
    payments = service("payments", ns="billing")
    findings = run([CLASS, _gateway(OK), cross, payments, *CHECKOUT], scope(namespace="shop"))
    [denied] = by_prefix(findings, "eks:httproute-ref-not-permitted:")
    assert "no ReferenceGrant in billing allows HTTPRoutes from shop" in denied.title
    grant = obj(
        "ReferenceGrant",
        "shop-routes",
        "billing",
        api="gateway.networking.k8s.io/v1beta1",
        spec={
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "shop"}],
            "to": [{"group": "", "kind": "Service"}],
        },
    )
    assert not by_prefix(run([CLASS, _gateway(OK), cross, payments, grant, *CHECKOUT]), "eks:httproute-")


def test_route_status_reported_by_the_controller() -> None:
    status = {
        "parents": [
            {
                "parentRef": {"name": "public", "namespace": "edge"},
                "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
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
    }
    findings = run(
        [CLASS, _gateway(OK), _route({"name": "checkout", "port": 8080}, status=status), *CHECKOUT],
        scope(workload="checkout"),
    )
    [route] = by_prefix(findings, "eks:httproute-not-accepted:")
    assert "NotAllowedByListeners" in route.title and route.cause_hint is CauseCategory.NETWORK_FAILURE


def _policy(name: str, selector: dict[str, Any], types: list[str], **rules: Any) -> dict:
    return obj("NetworkPolicy", name, api=NET, spec={"podSelector": selector, "policyTypes": types, **rules})


CHECKOUT_POD = pod(
    "checkout-7d9f8c6b5-x2k4p",
    labels={"app": "checkout"},
    statuses=[running()],
    owner=("ReplicaSet", "checkout-7d9f8c6b5"),
)
LOG_KEY = "shop/checkout-7d9f8c6b5-x2k4p/app"


def test_egress_policy_that_blocks_dns_is_named_with_the_log_line() -> None:
    deny = _policy(
        "restrict-egress",
        {"matchLabels": {"app": "checkout"}},
        ["Egress"],
        egress=[{"to": [{"podSelector": {"matchLabels": {"app": "orders-db"}}}], "ports": [{"port": 5432}]}],
    )
    logs = {
        LOG_KEY: "ERROR dial tcp: lookup orders-db.shop.svc.cluster.local on 10.100.0.10:53: "
        "read udp: i/o timeout\n"
    }
    [finding] = by_prefix(
        run([deny, CHECKOUT_POD], scope(workload="checkout"), logs), "eks:networkpolicy-denies-dns:"
    )
    assert "NetworkPolicy shop/restrict-egress selects the checkout pods and denies DNS" in finding.title
    assert "lookup orders-db" in finding.title and finding.severity is Severity.CRITICAL
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE
    allow_dns = _policy(
        "allow-dns",
        {},
        ["Egress"],
        egress=[
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"port": 53, "protocol": "UDP"}],
            }
        ],
    )
    assert not by_prefix(
        run([deny, allow_dns, CHECKOUT_POD], scope(workload="checkout"), logs),
        "eks:networkpolicy-denies-dns:",
    )


def test_egress_to_the_dependency_the_logs_time_out_on() -> None:
    only_dns = _policy(
        "dns-only",
        {},
        ["Egress"],
        egress=[{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
    )
    db = obj(
        "Service", "orders-db", api="v1", spec={"selector": {"app": "orders-db"}, "ports": [{"port": 5432}]}
    )
    logs = {
        LOG_KEY: 'psycopg2.OperationalError: connection to server at "orders-db" (10.0.3.4), '
        "port 5432 failed: timeout expired\n"
    }
    findings = run([only_dns, db, CHECKOUT_POD], scope(workload="checkout"), logs)
    [finding] = by_prefix(findings, "eks:networkpolicy-denies-egress:")
    assert "egress to orders-db:5432" in finding.title and "timeout expired" in finding.title
    assert not by_prefix(findings, "eks:networkpolicy-denies-dns:")
    allow_db = _policy(
        "to-db",
        {"matchLabels": {"app": "checkout"}},
        ["Egress"],
        egress=[{"to": [{"podSelector": {"matchLabels": {"app": "orders-db"}}}], "ports": [{"port": 5432}]}],
    )
    assert not by_prefix(
        run([only_dns, allow_db, db, CHECKOUT_POD], scope(workload="checkout"), logs),
        "eks:networkpolicy-denies",
    )


def test_deny_all_ingress_and_policies_selecting_nothing() -> None:
    deny_in = _policy("default-deny", {}, ["Ingress"])
    stale = _policy("legacy-api", {"matchLabels": {"app": "legacy-api"}}, ["Ingress"], ingress=[{}])
    findings = run([deny_in, stale, CHECKOUT_POD], scope(workload="checkout"))
    [ingress_denied] = by_prefix(findings, "eks:networkpolicy-denies-ingress:")
    assert "denies all ingress" in ingress_denied.title
    [nothing] = by_prefix(findings, "eks:networkpolicy-selects-nothing:")
    assert "legacy-api selects no pod" in nothing.title and nothing.severity is Severity.INFO


def _webhook_config(failure_policy: str = "Fail") -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "kyverno-resource-validating-webhook-cfg"},
        "webhooks": [
            {
                "name": "validate.kyverno.svc-fail",
                "failurePolicy": failure_policy,
                "clientConfig": {
                    "service": {
                        "name": "kyverno-svc",
                        "namespace": "kyverno",
                        "path": "/validate/fail",
                        "port": 443,
                    }
                },
                "rules": [
                    {
                        "operations": ["CREATE", "UPDATE"],
                        "apiGroups": ["*"],
                        "apiVersions": ["*"],
                        "resources": ["pods"],
                    }
                ],
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
            }
        ],
    }


def test_webhook_without_ready_backend_is_the_cause_of_failed_creates() -> None:
    endpoints = obj("Endpoints", "kyverno-svc", "kyverno", api="v1")
    endpoints["subsets"] = [
        {
            "notReadyAddresses": [
                {
                    "ip": "10.0.2.9",
                    "targetRef": {"kind": "Pod", "name": "kyverno-admission-controller-5d8f7-q9x2w"},
                }
            ],
            "ports": [{"port": 9443}],
        }
    ]
    rejected = event(
        "ReplicaSet",
        "checkout-7d9f8c6b5",
        "FailedCreate",
        'Error creating: Internal error occurred: failed calling webhook "validate.kyverno.svc-fail": '
        'failed to call webhook: Post "https://kyverno-svc.kyverno.svc:443/validate/fail?timeout=10s": '
        'no endpoints available for service "kyverno-svc"',
        count=14,
    )
    replicaset = obj(
        "ReplicaSet",
        "checkout-7d9f8c6b5",
        ownerReferences=[{"kind": "Deployment", "name": "checkout", "controller": True}],
        status={"replicas": 0},
    )
    objects = [
        _webhook_config(),
        service("kyverno-svc", ns="kyverno", ports=[{"port": 443}]),
        endpoints,
        rejected,
        replicaset,
    ]
    findings = run(objects, scope(workload="checkout"))
    [finding] = by_prefix(findings, "eks:webhook-backend-down:")
    assert "webhook validate.kyverno.svc-fail fails closed" in finding.title
    assert "no ready endpoints (1 not ready: kyverno-admission-controller-5d8f7-q9x2w)" in finding.title
    assert finding.cause_hint is CauseCategory.DEPENDENCY_FAILURE and finding.relevance >= 0.9
    [create] = by_prefix(findings, "eks:replicaset-failedcreate:")
    assert create.cause_hint is CauseCategory.DEPENDENCY_FAILURE
    assert not by_prefix(
        run([_webhook_config("Ignore"), *objects[1:]], scope(workload="checkout")), "eks:webhook-"
    )


def test_webhook_service_that_does_not_exist() -> None:
    [finding] = by_prefix(run([_webhook_config()]), "eks:webhook-backend-down:")
    assert "its Service kyverno/kyverno-svc does not exist" in finding.title
    assert finding.severity is Severity.WARNING  # nothing was rejected yet


def test_kube_prometheus_object_labels_scope_the_scan() -> None:
    from datetime import UTC, datetime

    from agents.common.scope import scope_from_context
    from sandbox.alert_context import build_alert_context

    for label, value in (
        ("cronjob", "invoice-export"),
        ("ingress", "storefront"),
        ("horizontalpodautoscaler", "checkout"),
        ("persistentvolumeclaim", "data-db-0"),
        ("job_name", "invoice-export-29551200"),
    ):
        ctx = build_alert_context(
            platform="alertmanager",
            channel="C0",
            text="",
            labels={"alertname": "Kube", "namespace": "shop", label: value},
            received_at=datetime(2026, 11, 22, 21, 40, tzinfo=UTC),
        )
        assert scope_from_context(ctx).workload == value, label


def test_load_balancer_sync_failure_on_a_service() -> None:
    failed = event(
        "Service",
        "storefront",
        "SyncLoadBalancerFailed",
        "Error syncing load balancer: failed to ensure load balancer: "
        "could not find any suitable subnets for creating the ELB",
        count=6,
    )
    [finding] = by_prefix(run([failed], scope(service="storefront")), "eks:events-syncloadbalancerfailed:")
    assert "could not find any suitable subnets" in finding.title
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE


def test_load_balancer_controller_denied_by_iam_is_permission_denied() -> None:
    failed = event(
        "Service",
        "storefront",
        "FailedDeployModel",
        "Failed deploy model due to AccessDenied: User: arn:aws:sts::123456789012:assumed-role/"
        "aws-load-balancer-controller/1732311111 is not authorized to perform: "
        "elasticloadbalancing:CreateLoadBalancer",
        count=4,
    )
    [finding] = by_prefix(run([failed], scope(service="storefront")), "eks:events-faileddeploymodel:")
    assert finding.cause_hint is CauseCategory.PERMISSION_DENIED
