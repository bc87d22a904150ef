"""Pods whose containers are ready but whose load balancer readiness gate fails."""

from __future__ import annotations

from agents.eks.tests.eks_builders import at, by_prefix, obj, pod, run, running, scope
from shared.contracts import CauseCategory

GATE = "target-health.elbv2.k8s.aws/k8s-web-frontend-0a1b2c3d4e"


def _gated(name: str, *, passing: bool) -> dict:
    p = pod(
        name,
        "web",
        owner=("ReplicaSet", "frontend-6b5c4d3e2"),
        labels={"app": "frontend", "pod-template-hash": "6b5c4d3e2"},
        statuses=[running("frontend")],
        conditions=[
            {
                "type": GATE,
                "status": "True" if passing else "False",
                **(
                    {}
                    if passing
                    else {
                        "reason": "Target.ResponseCodeMismatch",
                        "message": "Health checks failed with these codes: [502]",
                        "lastTransitionTime": at(20),
                        "lastProbeTime": at(1),
                    }
                ),
            },
            {"type": "ContainersReady", "status": "True"},
            {"type": "Ready", "status": "True" if passing else "False", "reason": "ReadinessGatesNotReady"},
        ],
    )
    p["spec"]["readinessGates"] = [{"conditionType": GATE}]
    return p


def _objects(annotations: dict[str, str]) -> list[dict]:
    return [
        _gated("frontend-6b5c4d3e2-aaaaa", passing=False),
        _gated("frontend-6b5c4d3e2-bbbbb", passing=False),
        _gated("frontend-6b5c4d3e2-ccccc", passing=True),
        obj("Service", "frontend", "web", api="v1", spec={"selector": {"app": "frontend"}}),
        obj(
            "Ingress",
            "frontend",
            "web",
            api="networking.k8s.io/v1",
            annotations=annotations,
            spec={
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "backend": {"service": {"name": "frontend", "port": {"number": 80}}},
                                }
                            ]
                        }
                    }
                ]
            },
        ),
    ]


def test_a_failing_load_balancer_gate_is_a_probe_failure_naming_the_code_and_the_health_check_path() -> None:
    objects = _objects({"alb.ingress.kubernetes.io/healthcheck-path": "/status/ready"})
    findings = by_prefix(run(objects, scope(namespace="web", workload="frontend")), "eks:readiness-gate")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.cause_hint is CauseCategory.PROBE_FAILURE
    assert "2/3 pods of Deployment web/frontend" in finding.title
    assert "[502]" in finding.title and "path /status/ready" in finding.title
    assert "Ingress web/frontend" in finding.title
    assert finding.relevance >= 0.9


def test_pods_without_a_failing_gate_give_no_gate_finding() -> None:
    objects = [_gated("frontend-6b5c4d3e2-ccccc", passing=True)]
    assert by_prefix(run(objects, scope(namespace="web")), "eks:readiness-gate") == []


def test_a_service_whose_endpoints_hold_addresses_is_not_said_to_select_no_pod() -> None:
    objects = [
        obj("Service", "partner", "edge", api="v1", spec={"selector": {"app": "partner"}}),
        obj("Endpoints", "partner", "edge", api="v1") | {"subsets": [{"addresses": [{"ip": "10.0.0.7"}]}]},
    ]
    assert (
        by_prefix(run(objects, scope(namespace="edge", service="partner")), "eks:service-selects-no-pod")
        == []
    )
    objects[1]["subsets"] = []
    assert by_prefix(run(objects, scope(namespace="edge", service="partner")), "eks:service-selects-no-pod")


def test_an_ingress_a_controller_reports_on_is_not_said_to_have_no_controller() -> None:
    from agents.eks.tests.eks_builders import event

    ingress = obj("Ingress", "partner", "edge", api="networking.k8s.io/v1", spec={"ingressClassName": "alb"})
    assert by_prefix(run([ingress], scope(namespace="edge")), "eks:ingress-class-missing")
    failed = event(
        "Ingress", "partner", "FailedDeployModel", "Failed deploy model due to AccessDenied", ns="edge"
    )
    failed["source"] = {"component": "ingress"}
    assert by_prefix(run([ingress, failed], scope(namespace="edge")), "eks:ingress-class-missing") == []


def test_every_cluster_dns_replica_on_one_node_is_named_with_the_node() -> None:
    dns = [
        pod(
            f"coredns-5d78c9869d-{s}",
            "kube-system",
            labels={"k8s-app": "kube-dns"},
            node="ip-10-1-2-3.ec2.internal",
        )
        for s in ("aaaa1", "bbbb2")
    ]
    findings = by_prefix(run(dns), "eks:dns-one-node")
    assert len(findings) == 1 and "ip-10-1-2-3.ec2.internal" in findings[0].title
    assert findings[0].cause_hint is CauseCategory.NETWORK_FAILURE
    dns[1]["spec"]["nodeName"] = "ip-10-1-9-9.ec2.internal"
    assert by_prefix(run(dns), "eks:dns-one-node") == []
