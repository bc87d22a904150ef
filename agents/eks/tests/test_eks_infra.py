"""Nodes, HPAs, PVCs, Services, and grouped Warning events."""

from __future__ import annotations

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope, waiting

from shared.contracts import CauseCategory, Severity, Trigger

NODE = "ip-10-0-2-88.ec2.internal"


def node(name: str = NODE, conditions: list[dict[str, str]] | None = None, **spec: object) -> dict:
    return obj(
        "Node",
        name,
        None,
        api="v1",
        spec=dict(spec),
        status={"conditions": conditions or [{"type": "Ready", "status": "True"}]},
        labels={"node.kubernetes.io/instance-type": "m6i.large"},
    )


def test_not_ready_node() -> None:
    down = node(
        conditions=[
            {
                "type": "Ready",
                "status": "Unknown",
                "reason": "NodeStatusUnknown",
                "message": "Kubelet stopped posting node status.",
                "lastTransitionTime": at(12),
            }
        ]
    )
    [finding] = by_prefix(run([down]), "eks:node-notready:")
    assert finding.cause_hint is CauseCategory.NODE_FAILURE and finding.severity is Severity.CRITICAL
    assert (
        NODE in finding.title
        and "NodeStatusUnknown" in finding.title
        and "10 min before the alert" in finding.title
    )


def test_pressure_conditions_and_the_pods_they_host() -> None:
    pressured = node(
        conditions=[
            {"type": "Ready", "status": "True"},
            {"type": "DiskPressure", "status": "True", "message": "kubelet has disk pressure"},
            {"type": "PIDPressure", "status": "True", "reason": "KubeletHasInsufficientPID"},
        ]
    )
    mine = pod("checkout-7d9f8c6b5-x2k4p", node=NODE, statuses=[running()])
    findings = run([pressured, mine], scope(workload="checkout"))
    disk = by_prefix(findings, "eks:node-disk-pressure:")[0]
    assert "DiskPressure" in disk.title and "hosts checkout-7d9f8c6b5-x2k4p" in disk.title
    assert disk.relevance >= 0.9 and disk.severity is Severity.CRITICAL
    assert by_prefix(findings, "eks:node-pid-pressure:")


def test_cordoned_node_is_a_warning_only_when_it_hosts_the_alert() -> None:
    cordoned = node(unschedulable=True, taints=[{"key": "node.kubernetes.io/unschedulable"}])
    [finding] = by_prefix(run([cordoned], scope(workload="checkout")), "eks:node-cordoned:")
    assert finding.severity is Severity.INFO and finding.relevance < 0.5


def hpa(current: int, desired: int, maximum: int, conditions: list[dict[str, str]]) -> dict:
    return obj(
        "HorizontalPodAutoscaler",
        "search-api",
        "search",
        api="autoscaling/v2",
        spec={
            "scaleTargetRef": {"kind": "Deployment", "name": "search-api"},
            "minReplicas": 3,
            "maxReplicas": maximum,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
        status={
            "currentReplicas": current,
            "desiredReplicas": desired,
            "conditions": conditions,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 182}}}
            ],
        },
    )


def test_hpa_at_max_with_scaling_limited() -> None:
    limited = hpa(10, 10, 10, [{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas"}])
    [finding] = by_prefix(run([limited]), "eks:hpa-at-max:")
    assert finding.cause_hint is CauseCategory.SCALING_LIMIT and finding.severity is Severity.CRITICAL
    assert "10/10 replicas" in finding.title and "cpu 182% (target 70%)" in finding.title


def test_hpa_below_max_is_fine_and_missing_metrics_is_reported() -> None:
    assert run([hpa(4, 4, 10, [{"type": "ScalingActive", "status": "True"}])]) == []
    blind = hpa(
        3,
        3,
        10,
        [
            {
                "type": "ScalingActive",
                "status": "False",
                "reason": "FailedGetResourceMetric",
                "message": "unable to get metrics for resource cpu: no metrics returned",
            }
        ],
    )
    [finding] = by_prefix(run([blind]), "eks:hpa-no-metrics:")
    assert "FailedGetResourceMetric" in finding.title


def test_pvc_pending_with_provisioning_failure() -> None:
    claim = obj(
        "PersistentVolumeClaim",
        "data-db-0",
        api="v1",
        creationTimestamp=at(20),
        spec={"storageClassName": "gp3-encrypted", "resources": {"requests": {"storage": "500Gi"}}},
        status={"phase": "Pending"},
    )
    failure = event(
        "PersistentVolumeClaim",
        "data-db-0",
        "ProvisioningFailed",
        'failed to provision volume with StorageClass "gp3-encrypted": rpc error: code = Internal '
        "desc = could not create volume in EC2: api error VolumeLimitExceeded: maximum gp3 storage",
        count=9,
    )
    user = pod("db-0", phase="Pending")
    user["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]
    [finding] = by_prefix(run([claim, failure, user]), "eks:pvc-pending:")
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE and finding.severity is Severity.CRITICAL
    assert (
        "VolumeLimitExceeded" in finding.title
        and "gp3-encrypted" in finding.title
        and "db-0" in finding.title
    )


def test_young_pending_claim_waits_quietly() -> None:
    claim = obj(
        "PersistentVolumeClaim", "data-db-0", api="v1", creationTimestamp=at(0.5), status={"phase": "Pending"}
    )
    assert run([claim]) == []


def service(selector: dict[str, str], **meta: object) -> dict:
    return obj("Service", "wishlist", api="v1", spec={"selector": selector, "ports": [{"port": 80}]}, **meta)


def test_service_selecting_no_pod_names_what_the_pods_carry() -> None:
    svc = service(
        {"app.kubernetes.io/name": "wishlist"},
        managedFields=[{"manager": "helm", "operation": "Update", "time": at(17)}],
    )
    pods = [pod("wishlist-5c9d8e7f6-v3b4n", labels={"app": "wishlist", "pod-template-hash": "5c9d8e7f6"})]
    [finding] = by_prefix(run([svc, *pods], scope(service="wishlist")), "eks:service-selects-no-pod:")
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE and finding.change is Trigger.CONFIG_CHANGE
    assert "app.kubernetes.io/name=wishlist" in finding.title and "app=wishlist" in finding.title
    assert "pod-template-hash" not in finding.title


def test_service_with_only_unready_endpoints() -> None:
    svc = service({"app": "wishlist"})
    endpoints = obj("Endpoints", "wishlist", api="v1")
    endpoints["subsets"] = [{"notReadyAddresses": [{"ip": "10.0.1.7"}, {"ip": "10.0.1.8"}]}]
    unready = pod("wishlist-5c9d8e7f6-v3b4n", labels={"app": "wishlist"}, statuses=[running(ready=False)])
    [finding] = by_prefix(
        run([svc, endpoints, unready], scope(service="wishlist")), "eks:service-no-endpoints:"
    )
    assert "no ready endpoints" in finding.title and "2 address(es) not ready" in finding.title
    assert finding.cause_hint is None  # the pods' own findings say why they are not ready


def test_selector_check_is_skipped_when_the_pod_list_was_cut() -> None:
    from agents.common.signatures import load_signatures
    from agents.eks.analyzers import analyze
    from agents.eks.state import ClusterState

    state = ClusterState.of([service({"app": "wishlist"})])
    state.incomplete.add("Pod")
    findings, _ = analyze(state, scope(), load_signatures())
    assert by_prefix(findings, "eks:service-selects-no-pod:") == []


def test_warning_events_are_grouped_and_skip_objects_already_reported() -> None:
    sandbox = [
        event(
            "Pod",
            f"web-5d4c3b2a1-{s}",
            "FailedCreatePodSandBox",
            f"Failed to create pod sandbox: plugin type=aws-cni failed: add cmd: failed to assign an IP "
            f"address to sandbox {sandbox_id}",
            count=4,
        )
        for s, sandbox_id in (("aaaaa", "3f2a9c1b"), ("bbbbb", "77d0e4a2"))
    ]
    covered = event("Deployment", "checkout", "SomethingOdd", "odd", count=5)
    deployment = obj("Deployment", "checkout", spec={"replicas": 2}, status={"readyReplicas": 0})
    findings = run([*sandbox, covered, deployment])
    [group] = by_prefix(findings, "eks:events-failedcreatepodsandbox:")
    assert group.cause_hint is CauseCategory.NETWORK_FAILURE
    assert "8 Warning FailedCreatePodSandBox" in group.title and "1 more" in group.title
    assert by_prefix(findings, "eks:events-somethingodd:") == []


def test_events_before_the_window_are_ignored() -> None:
    old = event("Pod", "web-5d4c3b2a1-aaaaa", "FailedMount", "MountVolume.SetUp failed", first=300, last=200)
    assert by_prefix(run([old]), "eks:events-") == []


def test_claim_naming_a_volume_bound_to_another_claim() -> None:
    claim = obj(
        "PersistentVolumeClaim",
        "data-search-2",
        api="v1",
        spec={"storageClassName": "gp3-retain", "volumeName": "pvc-5e6f"},
        status={"phase": "Pending"},
    )
    binding = event(
        "PersistentVolumeClaim",
        "data-search-2",
        "FailedBinding",
        'volume "pvc-5e6f" already bound to a different claim.',
        count=40,
    )
    [finding] = by_prefix(run([claim, binding], scope(workload="search")), "eks:pvc-pending:")
    assert 'FailedBinding: volume "pvc-5e6f" already bound to a different claim' in finding.title
    assert finding.severity is Severity.CRITICAL


def test_cluster_dns_replicas_that_crash_are_the_clusters_network_failure() -> None:
    dns = {"k8s-app": "kube-dns"}
    deployment = obj(
        "Deployment", "coredns", "kube-system", spec={"selector": {"matchLabels": dns}, "replicas": 2}
    )
    crashing = pod(
        "coredns-5d8c9b7f6-7xq2m",
        "kube-system",
        labels=dns,
        node="ip-10-0-7-12.ec2.internal",
        statuses=[waiting("CrashLoopBackOff", name="coredns", restarts=11)],
    )
    serving = pod("coredns-5d8c9b7f6-q9s1d", "kube-system", labels=dns, statuses=[running("coredns")])
    the_scope = scope(namespace="kube-system", workload="kube-dns", service="kube-dns")
    [finding] = by_prefix(run([deployment, crashing, serving], the_scope), "eks:cluster-dns-down:")
    assert "Cluster DNS (CoreDNS) Deployment kube-system/coredns: 1/2 replicas not serving" in finding.title
    assert "coredns-5d8c9b7f6-7xq2m CrashLoopBackOff (11 restarts)" in finding.title
    assert "ip-10-0-7-12.ec2.internal" in finding.title
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE and finding.severity is Severity.WARNING
    healthy = pod("coredns-5d8c9b7f6-abcde", "kube-system", labels=dns, statuses=[running("coredns")])
    assert not by_prefix(run([deployment, serving, healthy], the_scope), "eks:cluster-dns-down:")
