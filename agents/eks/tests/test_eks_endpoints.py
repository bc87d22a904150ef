"""An alert about a URL (a blackbox probe, a URL in the alert text) and no namespace: the Ingress
or HTTPRoute that serves the alerted host and path is about the alert, the others are not, and
the scanner reads them (and their Services) even though the alert names no namespace."""

from __future__ import annotations

from typing import Any

from eks_builders import NOW, at, by_prefix, obj, scope
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.common.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.analyzers.endpoints import Endpoint, alert_endpoints, endpoints_in
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.reader import KubeReader
from agents.eks.state import ClusterState
from shared.alerts.context import build_alert_context
from shared.contracts import CauseCategory, Finding, Platform, Severity, Trigger
from shared.relevance import Relevance

NET = "networking.k8s.io/v1"
GW = "gateway.networking.k8s.io/v1"
PROBE = (Endpoint("api.acme.test", "/payments/health"),)
# The alert names a scrape job, not a workload: nothing but the URL ties an object to it.
JOB_SCOPE = {"service": "blackbox"}


def run(objects: list[dict[str, Any]], endpoints: tuple[Endpoint, ...] = PROBE) -> list[Finding]:
    findings, _ = analyze(ClusterState.of(objects), scope(**JOB_SCOPE), load_signatures(), endpoints)
    return findings


def ingress(name: str, ns: str, host: str, path: str, class_name: str) -> dict[str, Any]:
    backend = {"service": {"name": name, "port": {"number": 80}}}
    return obj(
        "Ingress",
        name,
        ns,
        api=NET,
        spec={
            "ingressClassName": class_name,
            "rules": [
                {"host": host, "http": {"paths": [{"path": path, "pathType": "Prefix", "backend": backend}]}}
            ],
        },
    )


CLASSES = [
    obj("IngressClass", "traefik", None, api=NET, spec={"controller": "traefik.io/ingress-controller"})
]


def test_urls_are_read_from_labels_annotations_and_text_but_not_the_generator_url() -> None:
    ctx = build_alert_context(
        platform=Platform.SLACK,
        channel="C1",
        text="probe failed for <https://API.acme.test/payments/health|link> and `http://10.0.0.1:8080/x`",
        labels={"instance": "https://www.acme.test:8443/"},
        annotations={"summary": "see http://grafana.acme.test/d/abc"},
        generator_url="http://grafana.acme.test/graph?g0.expr=up",
        received_at=NOW,
    )
    found = alert_endpoints(ctx)
    assert Endpoint("api.acme.test", "/payments/health") in found
    assert Endpoint("www.acme.test", "/") in found
    assert not any(e.host == "grafana.acme.test" for e in found)
    # Links to the alert's tooling are not what is alerted.
    tooling = build_alert_context(
        platform=Platform.ALERTMANAGER,
        channel="C1",
        text="Dashboard: https://metrics.acme.test/d/abc/checkout <https://ops.acme.test/runbooks/x|Runbook>",
        labels={"instance": "https://shop.acme.test/health"},
        annotations={"runbook_url": "https://handbook.acme.test/alerts/probe"},
        received_at=NOW,
    )
    assert alert_endpoints(tooling) == (Endpoint("shop.acme.test", "/health"),)
    assert endpoints_in(["no url here", "ftp://files.acme.test/"]) == ()


def test_ingress_serving_the_alerted_url_with_a_missing_class_is_the_cause() -> None:
    findings = run(
        [
            *CLASSES,
            ingress("payments", "pay", "api.acme.test", "/payments", "traefik-internal"),
            ingress("reports", "pay", "api.acme.test", "/reports", "nginx-old"),
        ]
    )
    [served] = by_prefix(findings, "eks:ingress-class-missing:pay/payments")
    assert served.relevance >= Relevance.DIRECT and served.severity is Severity.CRITICAL
    assert served.cause_hint is CauseCategory.BAD_CONFIG and "traefik-internal" in served.title
    # The same host on another path is not what the probe hits.
    [other] = by_prefix(findings, "eks:ingress-class-missing:pay/reports")
    assert other.relevance < Relevance.SUPPORTING
    # Without the alert's URL neither is tied to it.
    assert all(f.relevance < Relevance.SUPPORTING for f in run([*CLASSES, served_ingress()], endpoints=()))


def served_ingress() -> dict[str, Any]:
    return ingress("payments", "pay", "api.acme.test", "/payments", "traefik-internal")


def wildcard_route(ns: str, listeners_from: str | None) -> list[dict[str, Any]]:
    listener: dict[str, Any] = {"name": "web", "port": 443, "protocol": "HTTPS", "hostname": "*.acme.test"}
    if listeners_from:
        listener["allowedRoutes"] = {"namespaces": {"from": listeners_from}}
    gateway = obj(
        "Gateway", "edge", "infra", api=GW, spec={"gatewayClassName": "eg", "listeners": [listener]}
    )
    refused = {
        "type": "Accepted",
        "status": "False",
        "reason": "NotAllowedByListeners",
        "message": "no listener allows this route",
    }
    route = obj(
        "HTTPRoute",
        "payments-v2",
        ns,
        api=GW,
        spec={
            "parentRefs": [{"name": "edge", "namespace": "infra", "sectionName": "web"}],
            "hostnames": ["*.acme.test"],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/payments"}}]}],
        },
        status={"parents": [{"parentRef": {"name": "edge", "namespace": "infra"}, "conditions": [refused]}]},
        creationTimestamp=at(8),
    )
    return [gateway, route]


def test_route_refused_by_its_listeners_names_their_allowed_routes_and_the_change() -> None:
    [finding] = by_prefix(run(wildcard_route("pay", None)), "eks:httproute-not-accepted:")
    assert finding.relevance >= Relevance.DIRECT  # a wildcard hostname serves the alerted host
    assert "NotAllowedByListeners" in finding.title
    assert "allowedRoutes.namespaces.from: Same" in finding.title and "the route is in pay" in finding.title
    assert finding.change is Trigger.CONFIG_CHANGE  # the route was created 8 min before
    assert any(e.reference.endswith("Gateway/edge") for e in finding.evidence)
    [selector] = by_prefix(run(wildcard_route("pay", "Selector")), "eks:httproute-not-accepted:")
    assert "allowedRoutes.namespaces.from: Selector" in selector.title


def test_scan_without_namespace_reads_the_routes_and_the_backends_of_the_alerted_url() -> None:
    objects = [
        *CLASSES,
        served_ingress(),
        obj("Service", "other", "pay", api="v1", spec={"selector": {"app": "other"}}),
    ]
    the_scope = scope(**JOB_SCOPE)
    with KubeStub(objects, {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        blind = gather(KubeReader(api), the_scope, Budget.of(10))
        gathered = gather(KubeReader(api), the_scope, Budget.of(10), endpoints=PROBE)
    assert not blind.state.kind("Ingress")
    assert [i["metadata"]["name"] for i in gathered.state.kind("Ingress")] == ["payments"]
    assert gathered.state.kind("Service")  # the namespace of the served Ingress
    assert gathered.state.known_absent("Service", "pay", "payments")
    findings, _ = analyze(gathered.state, the_scope, load_signatures(), PROBE)
    [missing] = by_prefix(findings, "eks:ingress-backend-missing:pay/payments")
    assert missing.relevance >= Relevance.DIRECT


def test_a_missing_backend_is_rated_by_its_own_rule_not_by_a_sibling_serving_the_alerted_url() -> None:
    backend = {"service": {"name": "payments", "port": {"number": 80}}}
    missing = {"service": {"name": "reports", "port": {"number": 80}}}
    paths = [
        {"path": "/payments", "pathType": "Prefix", "backend": backend},
        {"path": "/reports", "pathType": "Prefix", "backend": missing},
    ]
    shared = obj(
        "Ingress",
        "edge",
        "pay",
        api=NET,
        spec={"ingressClassName": "traefik", "rules": [{"host": "api.acme.test", "http": {"paths": paths}}]},
    )
    service = obj(
        "Service", "payments", "pay", spec={"selector": {"app": "payments"}, "ports": [{"port": 80}]}
    )
    findings = run([*CLASSES, shared, service])
    [other] = by_prefix(findings, "eks:ingress-backend-missing:pay/edge/reports")
    # The alerted URL is /payments/health: the /reports backend is not on its path.
    assert other.relevance < Relevance.SUPPORTING and other.severity is Severity.WARNING
    # Alerted on /reports, the same missing backend is the cause.
    [served] = by_prefix(
        run([*CLASSES, shared, service], (Endpoint("api.acme.test", "/reports"),)),
        "eks:ingress-backend-missing:pay/edge/reports",
    )
    assert served.relevance >= Relevance.DIRECT and served.severity is Severity.CRITICAL
