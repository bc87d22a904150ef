"""Routes an alert names only by host: a synthetic check that writes `portal.acme.test` without a
scheme, a blackbox probe of a site whose host happens to read like tooling (`docs.`). The Ingress
or HTTPRoute serving that host is on the alert's path; its TLS Secret, when missing, is an invalid
certificate for that host; a cross-namespace route its Gateway refuses is a network failure. A
class list that says nothing (no class listed at all) does not outweigh what the controller wrote
in the object's status."""

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
from shared.contracts import CauseCategory, Platform, Severity, Trigger
from shared.relevance import Relevance

NET = "networking.k8s.io/v1"
GW = "gateway.networking.k8s.io/v1"


def tls_ingress(ns: str, host: str, secret: str, **status: Any) -> dict[str, Any]:
    backend = {"service": {"name": "portal", "port": {"number": 80}}}
    return obj(
        "Ingress",
        "portal",
        ns,
        api=NET,
        spec={
            "ingressClassName": "nginx",
            "tls": [{"hosts": [host], "secretName": secret}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "backend": backend}]}}],
        },
        status=status or {"loadBalancer": {"ingress": [{"hostname": "lb.elb.amazonaws.com"}]}},
        creationTimestamp=at(30),
    )


def test_host_names_written_without_a_scheme_are_endpoints_of_any_path() -> None:
    found = endpoints_in(
        [
            "HTTPS check portal.acme.test failed: Host: portal.acme.test. is not cert's CN"
            " (store.go:440, v1.2.3)"
        ],
        bare_hosts=True,
    )
    assert found == (Endpoint("portal.acme.test", ""),)
    assert endpoints_in(["check portal.acme.test"]) == ()  # only when asked for
    ctx = build_alert_context(
        platform=Platform.SLACK,
        channel="C1",
        text="[Synthetics] HTTPS check portal.acme.test <https://app.monitor.test/synthetics/abc|View test>",
        received_at=NOW,
    )
    assert Endpoint("portal.acme.test", "") in alert_endpoints(ctx)


def test_a_probed_url_in_a_label_is_the_target_whatever_its_host_reads_like() -> None:
    ctx = build_alert_context(
        platform=Platform.ALERTMANAGER,
        channel="C1",
        text="",
        labels={"alertname": "BlackboxProbeFailed", "instance": "https://docs.acme.test/"},
        annotations={"runbook_url": "https://docs.acme.test/runbooks/probe"},
        received_at=NOW,
    )
    assert alert_endpoints(ctx) == (Endpoint("docs.acme.test", "/"),)


def test_missing_tls_secret_of_the_ingress_serving_a_host_named_in_prose_is_an_invalid_certificate() -> None:
    objects = [
        tls_ingress("portal", "portal.acme.test", "portal-tls"),
        obj("Service", "portal", "portal", api="v1", spec={"selector": {"app": "portal"}}),
        # The Secret stayed behind in the namespace the app moved from.
        obj("Secret", "portal-tls", "web", api="v1"),
    ]
    endpoints = (Endpoint("portal.acme.test", ""),)
    the_scope = scope()
    with KubeStub(objects, {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), the_scope, Budget.of(10), endpoints=endpoints)
    assert gathered.state.known_absent("Secret", "portal", "portal-tls")
    findings, _ = analyze(gathered.state, the_scope, load_signatures(), endpoints)
    [missing] = by_prefix(findings, "eks:ingress-tls-secret-missing:portal/portal/portal-tls")
    assert missing.cause_hint is CauseCategory.CERTIFICATE_EXPIRED
    assert "portal.acme.test" in missing.title and "portal/portal-tls" in missing.title
    assert missing.relevance >= Relevance.DIRECT and missing.severity is Severity.CRITICAL
    assert missing.change is Trigger.CONFIG_CHANGE  # the Ingress was created 30 min before
    # No IngressClass listed at all, while the controller gave the Ingress its address: the class
    # list is what is missing, not the class.
    assert not by_prefix(findings, "eks:ingress-class-missing:")
    unaddressed = tls_ingress("portal", "portal.acme.test", "portal-tls", loadBalancer={})
    findings, _ = analyze(ClusterState.of([unaddressed]), the_scope, load_signatures(), endpoints)
    assert by_prefix(findings, "eks:ingress-class-missing:portal/portal")


def refused_route(gateway_status: dict[str, Any]) -> list[dict[str, Any]]:
    listener = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    }
    gateway = obj(
        "Gateway",
        "public-gw",
        "gateway-infra",
        api=GW,
        spec={"gatewayClassName": "envoy", "listeners": [listener]},
        status=gateway_status,
    )
    refused = {
        "type": "Accepted",
        "status": "False",
        "reason": "NotAllowedByListeners",
        "message": "not allowed",
    }
    parent = {"name": "public-gw", "namespace": "gateway-infra", "sectionName": "https"}
    route = obj(
        "HTTPRoute",
        "docs-site",
        "docs",
        api=GW,
        spec={"parentRefs": [parent], "hostnames": ["docs.acme.test"], "rules": [{"backendRefs": []}]},
        status={"parents": [{"parentRef": parent, "conditions": [refused]}]},
        creationTimestamp=at(20),
    )
    return [gateway, route]


def test_route_refused_by_the_gateway_of_another_namespace_is_a_network_failure() -> None:
    accepted = {"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}]}
    endpoints = (Endpoint("docs.acme.test", "/"),)
    findings, _ = analyze(ClusterState.of(refused_route(accepted)), scope(), load_signatures(), endpoints)
    [route] = by_prefix(findings, "eks:httproute-not-accepted:docs/docs-site")
    assert route.cause_hint is CauseCategory.NETWORK_FAILURE and route.relevance >= Relevance.DIRECT
    assert "gateway-infra/public-gw" in route.title and "only routes in gateway-infra" in route.title
    # The controller accepted the Gateway: its class exists, though no GatewayClass was listed.
    assert not by_prefix(findings, "eks:gateway-class-missing:")
    findings, _ = analyze(ClusterState.of(refused_route({})), scope(), load_signatures(), endpoints)
    assert by_prefix(findings, "eks:gateway-class-missing:gateway-infra/public-gw")


def test_a_url_the_alert_says_was_loaded_is_the_target_whatever_its_host_reads_like() -> None:
    loaded = build_alert_context(
        platform=Platform.SLACK,
        channel="C1",
        text='Canary `docs-home` step "load https://docs.acme.test/" failed: Received HTTP 404. '
        "Runbook: https://wiki.acme.test/canaries",
        received_at=NOW,
    )
    assert alert_endpoints(loaded) == (Endpoint("docs.acme.test", "/"),)
