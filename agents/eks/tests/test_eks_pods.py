"""Pod analyzer: each problem kind, its cause hint, severity and the facts in the title."""

from __future__ import annotations

from eks_builders import at, by_prefix, event, pod, run, running, scope, waiting

from shared.contracts import CauseCategory, Severity

RS = ("ReplicaSet", "checkout-7d9f8c6b5")
HASH = {"app": "checkout", "pod-template-hash": "7d9f8c6b5"}


def test_crashloop_reports_last_termination_reason_and_exit_code_and_is_never_info() -> None:
    crashing = pod(
        "checkout-7d9f8c6b5-x2k4p",
        owner=RS,
        labels=HASH,
        statuses=[
            waiting(
                "CrashLoopBackOff",
                "back-off 1m20s",
                restarts=6,
                last={"reason": "Error", "exitCode": 1, "startedAt": at(3), "finishedAt": at(2)},
            )
        ],
    )
    [finding] = by_prefix(run([crashing]), "eks:pod-crashloop:")
    assert finding.id == "eks:pod-crashloop:shop/checkout/app"
    assert finding.severity is Severity.CRITICAL
    assert (
        "CrashLoopBackOff" in finding.title
        and "exit code 1" in finding.title
        and "6 restarts" in finding.title
    )
    assert "shop/checkout-7d9f8c6b5-x2k4p" in finding.title
    assert finding.cause_hint is None  # exit 1 says nothing by itself; the logs decide


def test_oomkilled_crashloop_gets_oom_cause_and_memory_limit() -> None:
    containers = [
        {"name": "app", "image": "repo/checkout:v2.3.0", "resources": {"limits": {"memory": "512Mi"}}}
    ]
    crashing = pod(
        "checkout-7d9f8c6b5-x2k4p",
        owner=RS,
        labels=HASH,
        containers=containers,
        statuses=[
            waiting(
                "CrashLoopBackOff",
                restarts=4,
                last={"reason": "OOMKilled", "exitCode": 137, "finishedAt": at(4)},
            )
        ],
    )
    [finding] = by_prefix(run([crashing]), "eks:pod-oomkilled:")
    assert finding.cause_hint is CauseCategory.OOM
    assert "OOMKilled" in finding.title and "exit code 137" in finding.title and "512Mi" in finding.title
    assert finding.severity is Severity.CRITICAL


def test_replicas_with_the_same_problem_are_grouped_per_workload() -> None:
    last = {"reason": "OOMKilled", "exitCode": 137, "finishedAt": at(4)}
    pods = [
        pod(
            f"checkout-7d9f8c6b5-{s}",
            owner=RS,
            labels=HASH,
            statuses=[waiting("CrashLoopBackOff", restarts=3, last=last)],
        )
        for s in ("aaaaa", "bbbbb")
    ]
    pods.append(pod("checkout-7d9f8c6b5-ccccc", owner=RS, labels=HASH, statuses=[running()]))
    [finding] = by_prefix(run(pods), "eks:pod-oomkilled:")
    assert "2/3 pods of Deployment shop/checkout" in finding.title
    assert set(finding.resources) >= {
        "shop/Pod/checkout-7d9f8c6b5-aaaaa",
        "shop/Pod/checkout-7d9f8c6b5-bbbbb",
    }


def test_liveness_probe_kills_become_probe_failure() -> None:
    crashing = pod(
        "api-5d4c3b2a1-qwert",
        statuses=[
            waiting(
                "CrashLoopBackOff", restarts=5, last={"reason": "Error", "exitCode": 137, "finishedAt": at(2)}
            )
        ],
    )
    probe = event(
        "Pod",
        "api-5d4c3b2a1-qwert",
        "Unhealthy",
        "Liveness probe failed: Get http://10.0.1.5:8080/live: context deadline exceeded",
        count=15,
    )
    [finding] = by_prefix(run([crashing, probe]), "eks:pod-crashloop:")
    assert finding.cause_hint is CauseCategory.PROBE_FAILURE


def _slow_starter(probes: dict, message: str) -> list[dict]:
    crashing = pod(
        "ledger-7c6b5a4d3-zxcvb",
        containers=[{"name": "app", "image": "repo/ledger:4.1", **probes}],
        statuses=[
            waiting(
                "CrashLoopBackOff", restarts=7, last={"reason": "Error", "exitCode": 143, "finishedAt": at(2)}
            )
        ],
    )
    probe = event("Pod", "ledger-7c6b5a4d3-zxcvb", "Unhealthy", message, count=21)
    return [crashing, probe]


LIVENESS = {
    "livenessProbe": {
        "httpGet": {"path": "/healthz", "port": 9000},
        "initialDelaySeconds": 20,
        "periodSeconds": 5,
        "failureThreshold": 4,
    }
}
REFUSED = (
    'Liveness probe failed: Get "http://10.1.2.3:9000/healthz": dial tcp 10.1.2.3:9000: '
    "connect: connection refused"
)


def test_liveness_probe_that_kills_a_slow_start_names_the_missing_startup_probe() -> None:
    [finding] = by_prefix(run(_slow_starter(LIVENESS, REFUSED)), "eks:pod-crashloop:")
    assert finding.cause_hint is CauseCategory.PROBE_FAILURE
    assert "killed by its liveness probe before it listens (no startupProbe; 40 s to start" in finding.title


def test_a_liveness_probe_that_gets_an_answer_or_a_startup_probe_is_not_a_slow_start() -> None:
    answered = "Liveness probe failed: HTTP probe failed with statuscode: 500"
    [unhealthy] = by_prefix(run(_slow_starter(LIVENESS, answered)), "eks:pod-crashloop:")
    assert "startup" not in unhealthy.title.lower()
    startup = {**LIVENESS, "startupProbe": {"httpGet": {"path": "/healthz", "port": 9000}}}
    [guarded] = by_prefix(run(_slow_starter(startup, REFUSED)), "eks:pod-crashloop:")
    assert "startup" not in guarded.title.lower()


def test_pods_of_one_deployment_between_pull_retries_are_one_finding_counting_all() -> None:
    cart = ("ReplicaSet", "cart-5f6d7c8b9")
    backing_off = pod(
        "cart-5f6d7c8b9-h2j4k",
        phase="Pending",
        owner=cart,
        statuses=[waiting("ImagePullBackOff", 'Back-off pulling image "repo/cart:v1.9.1"')],
    )
    pulling = pod(
        "cart-5f6d7c8b9-q8w7e",
        phase="Pending",
        owner=cart,
        statuses=[waiting("ErrImagePull", "rpc error: code = NotFound desc = repo/cart:v1.9.1: not found")],
    )
    [finding] = by_prefix(run([backing_off, pulling]), "eks:pod-image-pull:")
    assert "(2/2 pods of Deployment shop/cart)" in finding.title
    assert {r.rsplit("/", 1)[-1] for r in finding.resources} >= {
        "cart-5f6d7c8b9-h2j4k",
        "cart-5f6d7c8b9-q8w7e",
    }


def test_crash_loops_with_different_exit_reasons_are_both_reported() -> None:
    def crashing(name: str, reason: str, code: int) -> dict:
        last = {"reason": reason, "exitCode": code, "startedAt": at(3), "finishedAt": at(2)}
        return pod(name, owner=RS, labels=HASH, statuses=[waiting("CrashLoopBackOff", restarts=5, last=last)])

    findings = by_prefix(
        run(
            [
                crashing("checkout-7d9f8c6b5-x2k4p", "Error", 1),
                crashing("checkout-7d9f8c6b5-b7n3m", "StartError", 128),
            ]
        ),
        "eks:pod-crashloop:",
    )
    assert sorted(f.title.split(" last terminated ")[1].split(" (")[0] for f in findings) == [
        "Error",
        "StartError",
    ]
    assert all("(1/2 pods of Deployment shop/checkout)" in f.title for f in findings)


def test_image_pull_names_the_image_and_the_registry_answer() -> None:
    pulling = pod(
        "cart-5f6d7c8b9-h2j4k",
        phase="Pending",
        containers=[{"name": "app", "image": "repo/cart:v1.9.1"}],
        statuses=[waiting("ImagePullBackOff", 'Back-off pulling image "repo/cart:v1.9.1"')],
    )
    failed = event(
        "Pod",
        "cart-5f6d7c8b9-h2j4k",
        "Failed",
        'Failed to pull image "repo/cart:v1.9.1": rpc error: code = NotFound '
        "desc = repo/cart:v1.9.1: not found",
    )
    [finding] = by_prefix(run([pulling, failed]), "eks:pod-image-pull:")
    assert finding.cause_hint is CauseCategory.IMAGE_PULL
    assert (
        "ImagePullBackOff" in finding.title
        and "cart:v1.9.1" in finding.title
        and "not found" in finding.title
    )
    assert any(e.kind.value == "k8s_event" for e in finding.evidence)


def test_create_container_config_error_quotes_the_message() -> None:
    broken = pod(
        "orders-api-6c9d8f7b4-p5q7r",
        phase="Pending",
        statuses=[waiting("CreateContainerConfigError", 'secret "orders-db-credentials-v2" not found')],
    )
    [finding] = by_prefix(run([broken]), "eks:pod-config-error:")
    assert finding.cause_hint is CauseCategory.BAD_CONFIG
    assert 'secret "orders-db-credentials-v2" not found' in finding.title


def test_create_container_error_is_bad_config() -> None:
    broken = pod(
        "worker-5d4c3b2a1-zxcvb",
        statuses=[
            waiting(
                "CreateContainerError", 'failed to create containerd task: exec: "/app/run": no such file'
            )
        ],
    )
    [finding] = by_prefix(run([broken]), "eks:pod-create-error:")
    assert finding.cause_hint is CauseCategory.BAD_CONFIG and "/app/run" in finding.title


def test_create_container_error_title_keeps_the_runtime_answer_of_a_long_wrapped_error() -> None:
    message = (
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
        'runc create failed: unable to start container process: exec: "/usr/local/bin/billing-worker": '
        "stat /usr/local/bin/billing-worker: no such file or directory: unknown"
    )
    broken = pod("worker-5d4c3b2a1-zxcvb", statuses=[waiting("CreateContainerError", message)])
    [finding] = by_prefix(run([broken]), "eks:pod-create-error:")
    assert "stat /usr/local/bin/billing-worker: no such file or directory" in finding.title
    assert "containerd task" not in finding.title and message in finding.detail


def test_pending_pod_quotes_the_scheduler_and_escalates_when_stuck() -> None:
    message = (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No victims."
    )
    pending = pod(
        "indexer-7b8c9d6f5-ee3ff",
        phase="Pending",
        conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
        ],
    )
    fresh = event("Pod", "indexer-7b8c9d6f5-ee3ff", "FailedScheduling", message, first=3, last=1)
    [finding] = by_prefix(run([pending, fresh]), "eks:pod-pending:")
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE and "Insufficient cpu" in finding.title
    assert "preemption" not in finding.title
    assert finding.severity is Severity.WARNING
    stuck = event("Pod", "indexer-7b8c9d6f5-ee3ff", "FailedScheduling", message, first=25, last=1)
    [finding] = by_prefix(run([pending, stuck]), "eks:pod-pending:")
    assert finding.severity is Severity.CRITICAL


def test_pending_on_an_unbound_claim_is_a_storage_problem() -> None:
    pending = pod(
        "db-0",
        phase="Pending",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
            }
        ],
    )
    [finding] = by_prefix(run([pending]), "eks:pod-pending:")
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE


def test_evicted_by_node_pressure_vs_own_ephemeral_limit() -> None:
    node_pressure = pod(
        "a-5d4c3b2a1-aaaaa",
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: ephemeral-storage. Threshold quantity: 2Gi",
    )
    own_limit = pod(
        "b-5d4c3b2a1-bbbbb",
        phase="Failed",
        reason="Evicted",
        message="Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.",
    )
    low_memory = pod(
        "c-5d4c3b2a1-ccccc",
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi.",
    )
    findings = by_prefix(run([node_pressure, own_limit, low_memory]), "eks:pod-evicted:")
    causes = {f.resources[0]: f.cause_hint for f in findings}
    # The node's disk or the pod's own ephemeral storage filled up: a full disk either way; the
    # node short of memory is the node's pressure.
    assert causes == {
        "shop/Pod/a-5d4c3b2a1-aaaaa": CauseCategory.DISK_FULL,
        "shop/Pod/b-5d4c3b2a1-bbbbb": CauseCategory.DISK_FULL,
        "shop/Pod/c-5d4c3b2a1-ccccc": CauseCategory.NODE_FAILURE,
    }
    assert all("Evicted" in f.title and "ip-10-0-1-1" in f.title for f in findings)


def test_running_but_not_ready_quotes_the_failing_readiness_probe() -> None:
    unready = pod(
        "invoice-api-74f8d9c6b-s1d2f",
        statuses=[running(ready=False)],
        conditions=[{"type": "Ready", "status": "False"}],
    )
    probe = event(
        "Pod",
        "invoice-api-74f8d9c6b-s1d2f",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 404",
        count=140,
    )
    [finding] = by_prefix(run([unready, probe]), "eks:pod-not-ready:")
    assert finding.cause_hint is CauseCategory.PROBE_FAILURE
    assert "Readiness probe failed" in finding.title and "404" in finding.title


def test_restart_burst_counts_restarts_inside_the_window_of_a_young_pod() -> None:
    restarted = pod(
        "api-5d4c3b2a1-qwert",
        created=40,
        statuses=[running(restarts=5, last={"reason": "Error", "exitCode": 143, "finishedAt": at(8)})],
    )
    [finding] = by_prefix(run([restarted]), "eks:pod-restarts:")
    assert "restarted 5 times in the last 60 min" in finding.title and "exit code 143" in finding.title


def test_restarts_spread_over_days_are_no_burst() -> None:
    # Nine days old, five restarts in all, one of them 8 min ago: a rate of one, not a burst.
    restarted = pod(
        "api-5d4c3b2a1-qwert",
        created=9 * 24 * 60,
        statuses=[running(restarts=5, last={"reason": "Error", "exitCode": 143, "finishedAt": at(8)})],
    )
    assert by_prefix(run([restarted]), "eks:pod-restarts:") == []


def test_restart_burst_of_an_old_pod_is_told_by_the_kubelet_start_events() -> None:
    restarted = pod(
        "api-5d4c3b2a1-qwert",
        created=9 * 24 * 60,
        statuses=[running(restarts=7, last={"reason": "Error", "exitCode": 1, "finishedAt": at(3)})],
    )
    starts = event(
        "Pod", "api-5d4c3b2a1-qwert", "Started", "Started container app", type_="Normal", count=4, first=25
    )
    [finding] = by_prefix(run([restarted, starts]), "eks:pod-restarts:")
    assert "restarted 4 times in the last 60 min (7 since it started)" in finding.title


def test_old_restarts_and_healthy_pods_are_not_findings() -> None:
    old = pod(
        "api-5d4c3b2a1-qwert",
        statuses=[running(restarts=9, last={"reason": "Error", "exitCode": 1, "finishedAt": at(60 * 24)})],
    )
    healthy = pod(
        "web-5d4c3b2a1-asdfg", statuses=[running()], conditions=[{"type": "Ready", "status": "True"}]
    )
    assert by_prefix(run([old, healthy]), "eks:pod-") == []


def test_relevance_follows_the_alert_target() -> None:
    last = {"reason": "Error", "exitCode": 1, "finishedAt": at(2)}
    mine = pod(
        "checkout-7d9f8c6b5-x2k4p", owner=RS, labels=HASH, statuses=[waiting("CrashLoopBackOff", last=last)]
    )
    other = pod("billing-6b5a4c3d2-zzzzz", ns="billing", statuses=[waiting("CrashLoopBackOff", last=last)])
    findings = run([mine, other], scope(namespace="shop", workload="checkout"))
    relevance = {f.id: f.relevance for f in by_prefix(findings, "eks:pod-crashloop:")}
    assert relevance["eks:pod-crashloop:shop/checkout/app"] >= 0.95
    assert relevance["eks:pod-crashloop:billing/billing-6b5a4c3d2-zzzzz/app"] <= 0.3


def test_a_pending_pod_names_the_node_selector_value_no_node_has() -> None:
    message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    pending = pod(
        "reports-6f7d8c9b5-q1w2e",
        phase="Pending",
        conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
        ],
    )
    pending["spec"]["nodeSelector"] = {"eks.amazonaws.com/nodegroup": "ng-batch-2022"}
    nodes = [
        node(f"ip-10-0-{i}-1.ec2.internal", {"eks.amazonaws.com/nodegroup": group})
        for i, group in enumerate(["ng-general-2025", "ng-general-2025", "ng-gpu"])
    ]
    [finding] = by_prefix(run([pending, *nodes]), "eks:pod-pending:")
    assert finding.cause_hint is CauseCategory.UNSCHEDULABLE
    assert "eks.amazonaws.com/nodegroup=ng-batch-2022 matches no node" in finding.title
    assert "ng-general-2025, ng-gpu" in finding.title


def test_a_pending_pod_names_the_taint_every_matching_node_has() -> None:
    message = "0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}."
    pending = pod(
        "trainer-6f7d8c9b5-a1s2d",
        phase="Pending",
        conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
        ],
    )
    tainted = [
        node(
            f"ip-10-0-{i}-2.ec2.internal",
            {},
            taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
        )
        for i in range(2)
    ]
    [finding] = by_prefix(run([pending, *tainted]), "eks:pod-pending:")
    assert "taint it does not tolerate: dedicated=gpu:NoSchedule" in finding.title


def node(
    name: str, labels: dict[str, str], *, taints: list[dict[str, str]] | None = None
) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "creationTimestamp": at(60 * 24 * 30)},
        "spec": {"taints": taints or []},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]},
    }


def test_image_pull_quotes_the_registry_answer_over_the_backoff_events_after_it() -> None:
    name = "api-6c5d4b3a2-zzzzz"
    pulling = pod(
        name,
        owner=("ReplicaSet", "api-6c5d4b3a2"),
        statuses=[waiting("ImagePullBackOff", 'Back-off pulling image "registry.acme.io/api:v3"')],
    )
    failed = event(
        "Pod",
        name,
        "Failed",
        'Failed to pull image "registry.acme.io/api:v3": '
        'failed to resolve reference "registry.acme.io/api:v3": '
        "pull access denied, repository does not exist or may require authorization: authorization failed: "
        "no basic auth credentials",
        first=20,
        last=5,
    )
    backoff = event("Pod", name, "Failed", "Error: ImagePullBackOff", first=20, last=1)
    [finding] = by_prefix(run([pulling, failed, backoff], scope(workload="api")), "eks:pod-image-pull:")
    assert "unauthorized (registry credentials or pull permission)" in finding.title
