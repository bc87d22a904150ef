"""The cluster DNS, read for every alert: scaled down, scaled to zero, the Corefile forwarding to an
upstream of its own, the DNS Service without endpoints; context unless the alert's pods show
lookups failing. And the read itself: kube-system's DNS objects only, over the fake API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eks_builders import at, by_prefix, event, obj, pod, run, running, scope

from agents.common.base import Budget
from agents.common.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.analyzers.cluster_dns import corefile_forward
from agents.eks.auth import TOKEN_ENV, connect
from agents.eks.cluster_dns import add_cluster_dns
from agents.eks.reader import KubeReader
from agents.eks.state import ClusterState
from sandbox import http, kube
from shared.contracts import CauseCategory, Severity, Trigger
from shared.relevance import Relevance

COREFILE = """.:53 {
    errors
    health {
        lameduck 5s
      }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
    }
    prometheus :9153
    forward . %s
    cache 30
    loop
    reload
}
corp.internal:53 {
    forward . 10.9.9.9
}
"""
DNS_LABELS = {"k8s-app": "kube-dns"}


def coredns(replicas: int = 2, ready: int | None = None, **meta: Any) -> dict[str, Any]:
    return obj(
        "Deployment",
        "coredns",
        "kube-system",
        labels={"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"},
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": DNS_LABELS},
            "template": {
                "metadata": {"labels": DNS_LABELS},
                "spec": {
                    "containers": [{"name": "coredns", "image": "eks/coredns:v1.11.4"}],
                    "volumes": [{"name": "config-volume", "configMap": {"name": "coredns"}}],
                },
            },
        },
        status={"replicas": replicas, "readyReplicas": replicas if ready is None else ready},
        **meta,
    )


def corefile(upstream: str, **meta: Any) -> dict[str, Any]:
    cm = obj("ConfigMap", "coredns", "kube-system", api="v1", **meta)
    cm["data"] = {"Corefile": COREFILE % upstream}
    return cm


def dns_pod(name: str, node: str = "ip-10-0-1-1.ec2.internal") -> dict[str, Any]:
    return pod(name, "kube-system", labels=DNS_LABELS, statuses=[running("coredns")], node=node)


def app() -> list[dict[str, Any]]:
    return [pod("checkout-7d9f8c6b5-x2k4p", statuses=[running()], labels={"app": "checkout"})]


CHECKOUT = scope(namespace="shop", workload="checkout")
LOOKUPS_FAIL = {
    "shop/checkout-7d9f8c6b5-x2k4p/app": "ERROR charge failed: dial tcp: lookup api.stripe.com on "
    "172.20.0.10:53: read udp 10.0.3.4:53122->172.20.0.10:53: i/o timeout\n"
}


def test_corefile_forward_reads_the_root_zone_only() -> None:
    assert corefile_forward(COREFILE % "10.40.0.2") == ["10.40.0.2"]
    assert corefile_forward(COREFILE % "/etc/resolv.conf") == ["/etc/resolv.conf"]
    assert corefile_forward("corp.internal:53 {\n forward . 10.9.9.9\n}\n") == []


def test_a_scale_down_of_coredns_is_a_config_change_naming_the_deployment_and_service() -> None:
    objects = [
        coredns(replicas=1),
        obj(
            "Service",
            "kube-dns",
            "kube-system",
            api="v1",
            spec={"selector": DNS_LABELS, "clusterIP": "172.20.0.10"},
        ),
        event(
            "Deployment",
            "coredns",
            "ScalingReplicaSet",
            "Scaled down replica set coredns-5d78c9869d from 4 to 1",
            ns="kube-system",
            type_="Normal",
            first=40,
            last=40,
        ),
        *app(),
    ]
    [found] = by_prefix(run(objects, CHECKOUT), "eks:dns-scaled-down:")
    assert "from 4 to 1" in found.title and "kube-system/coredns" in found.title
    assert found.change is Trigger.CONFIG_CHANGE
    assert "kube-system/Deployment/coredns" in found.resources
    assert "kube-system/Service/kube-dns" in found.resources
    # The alert's own pods show nothing about DNS: context.
    assert found.relevance <= Relevance.ELSEWHERE


def test_a_scale_down_is_relevant_when_the_alerts_pods_fail_lookups() -> None:
    objects = [
        coredns(replicas=1),
        event(
            "Deployment",
            "coredns",
            "ScalingReplicaSet",
            "Scaled down replica set coredns-5d78c9869d to 1 from 3",
            ns="kube-system",
            type_="Normal",
            first=12,
            last=12,
        ),
        *app(),
    ]
    findings, _ = analyze(ClusterState.of(objects, LOOKUPS_FAIL), CHECKOUT, load_signatures())
    [found] = by_prefix(findings, "eks:dns-scaled-down:")
    assert "from 3 to 1" in found.title
    assert found.relevance >= Relevance.NEAR * 0.9


def test_a_rollout_step_of_coredns_is_no_scale_down() -> None:
    # The old ReplicaSet scaled down to zero while the new one took over: replicas unchanged.
    objects = [
        coredns(replicas=2),
        event(
            "Deployment",
            "coredns",
            "ScalingReplicaSet",
            "Scaled down replica set coredns-5d78c9869d from 2 to 0",
            ns="kube-system",
            type_="Normal",
        ),
        *app(),
    ]
    assert not by_prefix(run(objects, CHECKOUT), "eks:dns-scaled-down:")


def test_coredns_scaled_to_zero_is_critical() -> None:
    [found] = by_prefix(run([coredns(replicas=0, ready=0), *app()], CHECKOUT), "eks:dns-unavailable:")
    assert "scaled to zero" in found.title
    assert found.severity is Severity.CRITICAL and found.cause_hint is CauseCategory.NETWORK_FAILURE


def test_a_corefile_forwarding_to_its_own_upstream_changed_recently() -> None:
    cm = corefile(
        "10.40.0.2",
        managedFields=[{"manager": "kubectl-edit", "operation": "Update", "time": at(19)}],
    )
    [found] = by_prefix(run([coredns(), cm, *app()], CHECKOUT), "eks:dns-corefile-forward:")
    assert "10.40.0.2" in found.title and "changed 17 min before the alert" in found.title
    assert found.change is Trigger.CONFIG_CHANGE and found.cause_hint is CauseCategory.NETWORK_FAILURE
    assert "kube-system/Deployment/coredns" in found.resources
    assert "kube-system/ConfigMap/coredns" in found.resources


def test_the_default_corefile_says_nothing_and_an_old_custom_one_is_context() -> None:
    assert not by_prefix(run([coredns(), corefile("/etc/resolv.conf"), *app()], CHECKOUT), "eks:dns-corefile")
    old = corefile("10.40.0.2", creationTimestamp=at(60 * 24 * 90))
    [found] = by_prefix(run([coredns(), old, *app()], CHECKOUT), "eks:dns-corefile-forward:")
    assert found.severity is Severity.INFO and found.change is None


def test_the_dns_service_without_ready_endpoints() -> None:
    svc = obj(
        "Service",
        "kube-dns",
        "kube-system",
        api="v1",
        spec={"selector": DNS_LABELS, "clusterIP": "172.20.0.10"},
    )
    endpoints = obj("Endpoints", "kube-dns", "kube-system", api="v1")
    endpoints["subsets"] = [{"notReadyAddresses": [{"ip": "10.0.1.5"}, {"ip": "10.0.2.6"}]}]
    [found] = by_prefix(run([coredns(), svc, endpoints, *app()], CHECKOUT), "eks:dns-service-no-endpoints:")
    assert "kube-system/kube-dns" in found.title and "2 not ready" in found.title
    assert found.cause_hint is CauseCategory.NETWORK_FAILURE
    assert "kube-system/Deployment/coredns" in found.resources


def test_all_dns_pods_on_one_node_name_their_deployment() -> None:
    objects = [coredns(), dns_pod("coredns-5d78c9869d-a1b2c"), dns_pod("coredns-5d78c9869d-d3e4f"), *app()]
    [found] = by_prefix(run(objects, CHECKOUT), "eks:dns-one-node:")
    assert "kube-system/Deployment/coredns" in found.resources


# The read: kube-system's DNS objects, beside the alert's namespace.

TOKEN = "dns-test-token"


@pytest.fixture()
def fake() -> Iterator[tuple[Any, str]]:
    api = kube.FakeKubeApi(token=TOKEN)
    served = http.ServedApp(api.app, name="fake-kube")
    url = served.start()
    try:
        yield api, url
    finally:
        served.stop()


def test_the_cluster_dns_is_read_from_kube_system_by_its_labels(fake: tuple[Any, str]) -> None:
    api, url = fake
    other = obj("Deployment", "aws-load-balancer-controller", "kube-system", spec={"replicas": 2})
    node_agent = pod("aws-node-x7k2p", "kube-system", labels={"k8s-app": "aws-node"})
    api.load(
        [
            coredns(),
            corefile("10.40.0.2"),
            other,
            node_agent,
            dns_pod("coredns-5d78c9869d-a1b2c"),
            obj("Service", "kube-dns", "kube-system", api="v1", spec={"selector": DNS_LABELS}),
            *app(),
        ],
        {},
    )
    env = {"X": url, TOKEN_ENV: TOKEN}
    reader = KubeReader(connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env=env).api)
    state = ClusterState(namespaces=["shop"])
    notes: list[str] = []
    add_cluster_dns(reader, Budget.of(10), state, notes)
    names = {(x["kind"], x["metadata"]["name"]) for k in state.objects.values() for x in k}
    assert ("Deployment", "coredns") in names and ("ConfigMap", "coredns") in names
    assert ("Pod", "coredns-5d78c9869d-a1b2c") in names and ("Service", "kube-dns") in names
    assert ("Deployment", "aws-load-balancer-controller") not in names
    assert ("Pod", "aws-node-x7k2p") not in names
    # Nothing read twice when the scan listed kube-system itself.
    listed = ClusterState(namespaces=["kube-system"])
    add_cluster_dns(reader, Budget.of(10), listed, notes)
    assert not listed.objects


def test_the_alert_quoting_failed_lookups_makes_the_dns_relevant() -> None:
    objects = [coredns(), dns_pod("coredns-5d78c9869d-a1b2c"), dns_pod("coredns-5d78c9869d-d3e4f"), *app()]
    quiet, _ = analyze(ClusterState.of(objects), CHECKOUT, load_signatures())
    said = "checkout throws UnknownHostException for dynamodb.us-west-2.amazonaws.com since 20 min"
    loud, _ = analyze(ClusterState.of(objects), CHECKOUT, load_signatures(), alert_text=said)
    [before] = by_prefix(quiet, "eks:dns-one-node:")
    [after] = by_prefix(loud, "eks:dns-one-node:")
    assert before.relevance <= Relevance.ELSEWHERE < Relevance.NEAR <= after.relevance
