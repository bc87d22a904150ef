"""Findings name the specific culprit value from the objects: the failing probe's type, port and
path with the container's declared ports; (more kinds below)."""

from __future__ import annotations

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope

from shared.contracts import CauseCategory, Trigger

RS = ("ReplicaSet", "ledger-7f6d9c8b54")
LABELS = {"app": "ledger", "pod-template-hash": "7f6d9c8b54"}


def _ledger(probe: dict[str, object], ports: list[dict[str, object]], env: list[dict[str, str]]) -> list:
    container = {"name": "app", "image": "repo/ledger:v2", "ports": ports, "readinessProbe": probe}
    deployment = obj(
        "Deployment",
        "ledger",
        spec={"template": {"spec": {"containers": [{**container, "env": env}]}}},
    )
    rs = obj("ReplicaSet", "ledger-7f6d9c8b54", ownerReferences=[{"kind": "Deployment", "name": "ledger"}])
    unready = pod(
        "ledger-7f6d9c8b54-qw2rt",
        owner=RS,
        labels=LABELS,
        containers=[container],
        statuses=[running(ready=False)],
    )
    failed = event(
        "Pod",
        "ledger-7f6d9c8b54-qw2rt",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 404",
    )
    return [deployment, rs, unready, failed]


def test_not_ready_names_the_readiness_probe_port_path_and_the_other_declared_port() -> None:
    objects = _ledger(
        {"httpGet": {"path": "/actuator/health/readiness", "port": 8080}},
        [{"name": "http", "containerPort": 8080}, {"name": "management", "containerPort": 8081}],
        [{"name": "MANAGEMENT_SERVER_PORT", "value": "8081"}],
    )
    [finding] = by_prefix(run(objects, scope(namespace="shop", workload="ledger")), "eks:pod-not-ready:")
    assert "readinessProbe GET :8080/actuator/health/readiness" in finding.title
    assert "management 8081" in finding.title
    assert "MANAGEMENT_SERVER_PORT=8081" in finding.title
    assert "statuscode: 404" in finding.title


def test_probe_on_the_only_declared_port_names_no_other_port() -> None:
    objects = _ledger(
        {"httpGet": {"path": "/ready", "port": "http"}}, [{"name": "http", "containerPort": 8080}], []
    )
    [finding] = by_prefix(run(objects, scope(namespace="shop", workload="ledger")), "eks:pod-not-ready:")
    assert "readinessProbe GET :http/ready" in finding.title
    assert "declares" not in finding.title


def test_probe_port_name_the_container_does_not_declare_is_named() -> None:
    objects = _ledger({"tcpSocket": {"port": "metrics"}}, [{"name": "http", "containerPort": 8080}], [])
    [finding] = by_prefix(run(objects, scope(namespace="shop", workload="ledger")), "eks:pod-not-ready:")
    assert "port name metrics is not declared" in finding.title


def _ingress_with_sync(minutes_ago: float) -> list:
    nginx = obj(
        "IngressClass", "nginx", None, api="networking.k8s.io/v1", spec={"controller": "k8s.io/ingress-nginx"}
    )
    backend = {"service": {"name": "docs", "port": {"number": 80}}}
    rule = {
        "host": "docs.example.com",
        "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
    }
    docs = obj(
        "Ingress",
        "docs",
        api="networking.k8s.io/v1",
        spec={"ingressClassName": "nginx-public", "rules": [rule]},
    )
    service = obj("Service", "docs", api="v1", spec={"selector": {"app": "docs"}, "ports": [{"port": 80}]})
    sync = event(
        "Ingress", "docs", "Sync", "Scheduled for sync", type_="Normal", first=minutes_ago, last=minutes_ago
    )
    sync["source"] = {"component": "nginx-ingress-controller"}
    return [nginx, docs, service, sync]


def test_ingress_class_missing_is_named_although_a_controller_synced_it_days_ago() -> None:
    findings = run(_ingress_with_sync(12 * 24 * 60), scope(namespace="shop", workload="docs"))
    [missing] = by_prefix(findings, "eks:ingress-class-missing:shop/docs")
    assert "nginx-public" in missing.title and "nginx" in missing.title


def test_ingress_synced_by_a_controller_minutes_ago_is_served() -> None:
    findings = run(_ingress_with_sync(5), scope(namespace="shop", workload="docs"))
    assert not by_prefix(findings, "eks:ingress-class-missing:")


def test_service_with_no_endpoints_names_the_selector_key_no_pod_carries() -> None:
    service = obj("Service", "pricing", api="v1", spec={"selector": {"app": "pricing", "track": "stable"}})
    endpoints = obj("Endpoints", "pricing", api="v1")
    pods = [
        pod(f"pricing-6b9f7d8c5d-{s}", labels={"app": "pricing", "pod-template-hash": "6b9f7d8c5d"})
        for s in ("a1", "b2")
    ]
    [finding] = by_prefix(
        run([service, endpoints, *pods], scope(namespace="shop")), "eks:service-selects-no-pod:"
    )
    assert "no endpoints" in finding.title
    assert "no pod carries label track=stable (key track)" in finding.title
    assert "app=pricing (key" not in finding.title


def _cron_runs(log: str) -> tuple[list, dict[str, str]]:
    container = {"name": "reconcile", "image": "repo/reconcile:2.8.1"}
    failed = obj(
        "Job",
        "reconcile-29417760",
        api="batch/v1",
        ownerReferences=[{"kind": "CronJob", "name": "reconcile", "controller": True}],
        creationTimestamp="2026-11-22T21:10:00Z",
        spec={
            "template": {
                "spec": {"containers": [{**container, "args": ["--since-hours=48", "--dsn-env=DB"]}]}
            }
        },
        status={
            "failed": 5,
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
        },
    )
    earlier = obj(
        "Job",
        "reconcile-29417700",
        api="batch/v1",
        creationTimestamp="2026-11-22T20:40:00Z",
        spec={
            "template": {"spec": {"containers": [{**container, "args": ["--lookback=24h", "--dsn-env=DB"]}]}}
        },
        status={"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]},
    )
    failed_pod = pod(
        "reconcile-29417760-9qkzt",
        phase="Failed",
        labels={"job-name": "reconcile-29417760"},
        containers=[{**container, "args": ["--since-hours=48", "--dsn-env=DB"]}],
        statuses=[
            {"name": "reconcile", "ready": False, "state": {"terminated": {"reason": "Error", "exitCode": 2}}}
        ],
    )
    return [failed, earlier, failed_pod], {"shop/reconcile-29417760-9qkzt/reconcile": log}


def test_failed_cronjob_run_names_the_rejected_argument_and_the_args_change() -> None:
    objects, logs = _cron_runs(
        "flag provided but not defined: -since-hours\nUsage of /app/reconcile:\n  -dry-run\n"
    )
    [finding] = by_prefix(
        run(objects, scope(namespace="shop", workload="reconcile"), logs), "eks:job-failed:"
    )
    assert "flag provided but not defined: -since-hours" in finding.title
    assert "bad argument --since-hours=48" in finding.title
    assert finding.cause_hint is CauseCategory.BAD_CONFIG
    assert "args --lookback=24h --dsn-env=DB -> --since-hours=48 --dsn-env=DB" in finding.detail
    assert finding.change is Trigger.CONFIG_CHANGE


def test_failed_job_quotes_the_last_error_line_of_its_log() -> None:
    objects, logs = _cron_runs(
        "starting\nconnecting to db\npanic: runtime error: index out of range [3]\nexit\n"
    )
    [finding] = by_prefix(
        run(objects, scope(namespace="shop", workload="reconcile"), logs), "eks:job-failed:"
    )
    assert "its last log line: panic: runtime error: index out of range [3]" in finding.title


def _stuck_on(node_conditions: list[dict[str, str]], message: str) -> list:
    node = obj("Node", "ip-10-0-1-1.ec2.internal", None, api="v1", status={"conditions": node_conditions})
    stuck = pod(
        "renderer-5b7c9d8f6e-v2kq8",
        phase="Pending",
        owner=("ReplicaSet", "renderer-5b7c9d8f6e"),
        statuses=[{"name": "app", "ready": False, "state": {"waiting": {"reason": "ContainerCreating"}}}],
        created=30,
    )
    failed = event("Pod", "renderer-5b7c9d8f6e-v2kq8", "FailedCreatePodSandBox", message)
    return [node, stuck, failed]


DEADLOCK = {
    "type": "KernelDeadlock",
    "status": "True",
    "reason": "DockerHung",
    "message": "task docker blocked",
}
READY = {"type": "Ready", "status": "True"}


def test_sandbox_timeout_on_a_node_with_a_problem_condition_is_the_nodes_failure() -> None:
    objects = _stuck_on(
        [READY, DEADLOCK], "Failed to create pod sandbox: operation timeout: context deadline exceeded"
    )
    [finding] = by_prefix(run(objects, scope(namespace="shop", workload="renderer")), "eks:pod-sandbox:")
    assert "KernelDeadlock=True (DockerHung" in finding.title
    assert finding.cause_hint is CauseCategory.NODE_FAILURE


def test_cni_failure_stays_the_networks_on_a_node_with_a_problem_condition() -> None:
    objects = _stuck_on(
        [READY, DEADLOCK], "failed to setup network for sandbox: failed to assign an IP address"
    )
    [finding] = by_prefix(run(objects, scope(namespace="shop", workload="renderer")), "eks:pod-sandbox:")
    assert finding.cause_hint is CauseCategory.NETWORK_FAILURE


def test_sandbox_timeout_on_a_healthy_node_is_not_blamed_on_the_node() -> None:
    objects = _stuck_on([READY], "Failed to create pod sandbox: operation timeout: context deadline exceeded")
    [finding] = by_prefix(run(objects, scope(namespace="shop", workload="renderer")), "eks:pod-sandbox:")
    assert finding.cause_hint is not CauseCategory.NODE_FAILURE and "KernelDeadlock" not in finding.title


def _moved_by_consolidation(status: dict) -> list:
    gone = "ip-10-0-6-90.ec2.internal"
    terminating = event(
        "Node", gone, "DisruptionTerminating", "Disrupting Node: Underutilized", ns=None, first=20, last=20
    )
    terminating["type"] = "Normal"
    moved = pod(
        "payments-7c8d9b6f5-m4tr8",
        owner=("ReplicaSet", "payments-7c8d9b6f5"),
        node="ip-10-0-8-77.ec2.internal",
        created=19,
        statuses=[status],
    )
    pulled = event(
        "Pod",
        "payments-7c8d9b6f5-m4tr8",
        "Failed",
        'Failed to pull image "repo/payments:1.14.2": rpc error: code = NotFound desc = '
        "repo/payments:1.14.2: not found",
    )
    return [terminating, moved, pulled]


def test_pods_recreated_by_a_disruption_that_cannot_pull_their_deleted_image_fail_for_the_image() -> None:
    status = {
        "name": "app",
        "ready": False,
        "image": "repo/payments:1.14.2",
        "state": {"waiting": {"reason": "ImagePullBackOff"}},
    }
    findings = run(_moved_by_consolidation(status), scope(namespace="shop", workload="payments"))
    [disruption] = by_prefix(findings, "eks:node-interrupted:")
    assert disruption.cause_hint is None and "failed on their own (ImagePullBackOff)" in disruption.title
    [pull] = by_prefix(findings, "eks:pod-image-pull:")
    assert pull.cause_hint is CauseCategory.IMAGE_PULL
    assert "payments:1.14.2" in pull.title and "not found" in pull.title
    assert pull.relevance > disruption.relevance


def test_pods_recreated_by_a_disruption_and_running_keep_the_disruption_as_cause() -> None:
    status = {"name": "app", "ready": True, "state": {"running": {"startedAt": "2026-11-22T21:25:00Z"}}}
    [disruption] = by_prefix(
        run(_moved_by_consolidation(status), scope(namespace="shop", workload="payments")),
        "eks:node-interrupted:",
    )
    assert disruption.cause_hint is CauseCategory.NODE_FAILURE


def _policies_and_pod(allow_labels: dict[str, str]) -> list:
    net = "networking.k8s.io/v1"
    deny = obj(
        "NetworkPolicy", "default-deny-ingress", api=net, spec={"podSelector": {}, "policyTypes": ["Ingress"]}
    )
    allow = obj(
        "NetworkPolicy",
        "allow-from-gateway",
        api=net,
        spec={
            "podSelector": {"matchLabels": allow_labels},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"name": "ingress-nginx"}}}]}],
        },
    )
    orders = pod(
        "orders-api-7b8c9d6f5e-4kq9x", labels={"app.kubernetes.io/name": "orders-api"}, statuses=[running()]
    )
    return [deny, allow, orders]


def test_default_deny_names_the_allow_policy_whose_selector_key_the_pods_do_not_carry() -> None:
    findings = run(_policies_and_pod({"app": "orders-api"}), scope(namespace="shop", workload="orders-api"))
    [denial] = by_prefix(findings, "eks:networkpolicy-denies-ingress:")
    assert "default-deny-ingress" in denial.title and "denies all ingress" in denial.title
    assert "allow policy shop/allow-from-gateway selects app=orders-api" in denial.title
    assert "carry app.kubernetes.io/name=orders-api (no label key app)" in denial.title
    [nothing] = by_prefix(findings, "eks:networkpolicy-selects-nothing:")
    assert "podSelector app=orders-api" in nothing.title


def test_allow_policy_for_other_pods_is_not_named() -> None:
    findings = run(_policies_and_pod({"app": "billing"}), scope(namespace="shop", workload="orders-api"))
    [denial] = by_prefix(findings, "eks:networkpolicy-denies-ingress:")
    assert "allow-from-gateway" not in denial.title


def _expired_cert_called_by_checkout() -> list:
    cert = obj(
        "Certificate",
        "tax-internal-tls",
        "tax",
        api="cert-manager.io/v1",
        spec={"secretName": "tax-internal-tls", "dnsNames": ["tax.internal.example.com"]},
        status={
            "notAfter": "2026-11-22T21:15:00Z",
            "conditions": [{"type": "Ready", "status": "False", "reason": "Expired", "message": "expired"}],
        },
    )
    order = obj(
        "Order",
        "tax-internal-tls-6q8vd-2871904415",
        "tax",
        api="acme.cert-manager.io/v1",
        status={"state": "errored", "reason": "Failed to finalize Order: 403 orderNotReady"},
    )
    tax = pod("tax-service-58d7c6b9f4-p2wxs", "tax", statuses=[running()])
    tax["spec"]["volumes"] = [{"name": "tls", "secret": {"secretName": "tax-internal-tls"}}]
    tax["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "tax-service-58d7c6b9f4"}]
    checkout = obj(
        "Deployment",
        "checkout-api",
        "checkout",
        spec={
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "env": [{"name": "TAX_SERVICE_URL", "value": "https://tax.internal.example.com"}],
                        }
                    ]
                }
            }
        },
    )
    return [cert, order, tax, checkout]


def test_expired_certificate_names_its_secret_who_mounts_it_who_calls_it_and_the_failed_order() -> None:
    findings = run(_expired_cert_called_by_checkout(), scope(namespace="checkout", workload="checkout-api"))
    [cert] = by_prefix(findings, "eks:certificate-expired:tax/tax-internal-tls")
    assert "Secret tax-internal-tls" in cert.title
    assert "Order tax-internal-tls-6q8vd-2871904415 is errored" in cert.detail
    assert "mounted by pods of Deployment tax/tax-service" in cert.title
    assert "called by Deployment checkout/checkout-api (env TAX_SERVICE_URL)" in cert.title
    assert cert.cause_hint is CauseCategory.CERTIFICATE_EXPIRED
    assert cert.relevance >= 0.9 and cert.severity.value == "critical"


def test_expired_certificate_nobody_in_scope_calls_stays_far() -> None:
    objects = _expired_cert_called_by_checkout()[:3]
    [cert] = by_prefix(
        run(objects, scope(namespace="checkout", workload="checkout-api")), "eks:certificate-expired:"
    )
    assert "called by" not in cert.title and cert.relevance < 0.6


def _node_failing_gc(pressure: bool) -> list:
    conditions = [{"type": "Ready", "status": "True"}]
    if pressure:
        conditions.append({"type": "DiskPressure", "status": "True", "message": "kubelet has disk pressure"})
    images = [
        {
            "names": ["repo/ci-builder@sha256:abc", "123.dkr.ecr.us-east-1.amazonaws.com/ci-builder:2026.12"],
            "sizeBytes": 9_800_000_000,
        },
        {"names": ["repo/pause:3.9"], "sizeBytes": 300_000},
        {"names": ["repo/artifact-cache:0.9.2"], "sizeBytes": 1_200_000_000},
    ]
    node = obj(
        "Node",
        "ip-10-30-7-91.ec2.internal",
        None,
        api="v1",
        status={"conditions": conditions, "images": images},
    )
    gc = event(
        "Node",
        "ip-10-30-7-91.ec2.internal",
        "ImageGCFailed",
        "Failed to garbage collect required amount of images. Attempted to free 4783028633 bytes, "
        "but only found 0 bytes eligible to free.",
        ns=None,
    )
    return [node, gc]


def test_disk_pressure_names_the_failing_image_gc_and_the_largest_images() -> None:
    [finding] = by_prefix(
        run(_node_failing_gc(True), scope(node="ip-10-30-7-91.ec2.internal")), "eks:node-disk-pressure:"
    )
    assert "ImageGCFailed" in finding.title and "all images in use" in finding.title
    assert "largest images: ci-builder:2026.12 (9.8 GB), artifact-cache:0.9.2 (1.2 GB)" in finding.title


def test_image_gc_failing_without_disk_pressure_is_a_full_disk_finding() -> None:
    [finding] = by_prefix(
        run(_node_failing_gc(False), scope(node="ip-10-30-7-91.ec2.internal")), "eks:node-image-gc-failed:"
    )
    assert finding.cause_hint is CauseCategory.DISK_FULL and "ci-builder:2026.12" in finding.title


def _revision(
    name: str, revision: int, created: float, labels: dict, pod_spec: dict, container: dict
) -> dict:
    return obj(
        "ReplicaSet",
        name,
        creationTimestamp=at(created),
        annotations={"deployment.kubernetes.io/revision": str(revision)},
        ownerReferences=[{"kind": "Deployment", "name": "search", "controller": True}],
        spec={
            "template": {
                "metadata": {"labels": labels},
                "spec": {**pod_spec, "containers": [{"name": "app", "image": "repo/search:v5", **container}]},
            }
        },
    )


def test_rollout_diff_names_every_changed_field_of_the_pod_template_old_to_new() -> None:
    deployment = obj("Deployment", "search", spec={"replicas": 2}, status={"readyReplicas": 2})
    old = _revision(
        "search-5b8c7d6f91",
        7,
        60 * 24 * 3,
        {"app": "search", "track": "stable"},
        {
            "nodeSelector": {"node-pool": "search"},
            "serviceAccountName": "search",
            "volumes": [{"name": "cfg", "configMap": {"name": "search-v1"}}],
        },
        {"ports": [{"name": "http", "containerPort": 8080}]},
    )
    new = _revision(
        "search-7f6d9c8b54",
        8,
        30,
        {"app": "search"},
        {
            "nodeSelector": {"node-pool": "search-r7i"},
            "serviceAccountName": "search-v2",
            "volumes": [{"name": "cfg", "configMap": {"name": "search-v2"}}],
        },
        {"ports": [{"name": "http", "containerPort": 9090}]},
    )
    [finding] = by_prefix(run([deployment, old, new], scope(workload="search")), "eks:rollout:")
    for change in (
        "app ports http 8080 -> http 9090",
        "nodeSelector node-pool=search -> node-pool=search-r7i",
        "serviceAccountName search -> search-v2",
        "volume cfg configMap search-v1 -> configMap search-v2",
        "pod label -track=stable",
    ):
        assert change in finding.detail
    assert "app ports http 8080 -> http 9090" in finding.title


def _injector(message: str) -> list:
    webhook = {
        "name": "namespace.sidecar-injector.istio.io",
        "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
        "failurePolicy": "Fail",
        "rules": [{"operations": ["CREATE"], "resources": ["pods"]}],
    }
    config = obj(
        "MutatingWebhookConfiguration", "istio-sidecar-injector", None, api="admissionregistration.k8s.io/v1"
    )
    config["webhooks"] = [webhook]
    service = obj("Service", "istiod", "istio-system", api="v1", spec={"selector": {"app": "istiod"}})
    endpoints = obj("Endpoints", "istiod", "istio-system", api="v1")
    endpoints["subsets"] = [{"addresses": [{"ip": "10.0.0.9"}]}]
    rejected = event("ReplicaSet", "orders-api-5c7f9d8b6", "FailedCreate", message)
    return [config, service, endpoints, rejected]


def test_webhook_call_failing_certificate_verification_is_the_certificates_failure() -> None:
    message = (
        "Error creating: Internal error occurred: failed calling webhook "
        '"namespace.sidecar-injector.istio.io": '
        'failed to call webhook: Post "https://istiod.istio-system.svc:443/inject": tls: failed to verify '
        "certificate: x509: certificate has expired or is not yet valid: current time is after"
    )
    findings = run(_injector(message), scope(namespace="shop", workload="orders-api"))
    [finding] = by_prefix(findings, "eks:webhook-certificate:")
    assert "x509: certificate has expired or is not yet valid" in finding.title
    assert "istio-sidecar-injector" in finding.title
    assert finding.cause_hint is CauseCategory.CERTIFICATE_EXPIRED


def test_webhook_with_a_serving_backend_and_no_tls_error_is_not_reported() -> None:
    message = 'Error creating: admission webhook "namespace.sidecar-injector.istio.io" denied the request: no'
    assert not by_prefix(
        run(_injector(message), scope(namespace="shop", workload="orders-api")), "eks:webhook-"
    )


def _controller(rolled_minutes_ago: float) -> list:
    args = ["/nginx-ingress-controller", "--controller-class=k8s.io/ingress-nginx", "--ingress-class=nginx"]
    deployment = obj(
        "Deployment",
        "ingress-nginx-controller",
        "ingress-nginx",
        spec={"template": {"spec": {"containers": [{"name": "controller", "args": args}]}}},
    )

    def rs(name: str, minutes: float, image: str) -> dict:
        return obj(
            "ReplicaSet",
            name,
            "ingress-nginx",
            creationTimestamp=at(minutes),
            ownerReferences=[{"kind": "Deployment", "name": "ingress-nginx-controller"}],
            spec={"template": {"spec": {"containers": [{"name": "controller", "image": image}]}}},
        )

    return [
        deployment,
        rs("ingress-nginx-controller-7f6c9d5b8", rolled_minutes_ago, "registry/controller:v1.0.4"),
        rs("ingress-nginx-controller-5b4d8c6f7", 60 * 24 * 190, "registry/controller:v0.49.3"),
    ]


def test_ingress_without_class_names_the_controller_its_rollout_and_the_classes_it_serves() -> None:
    objects = _ingress_with_sync(60 * 24)
    del objects[1]["spec"]["ingressClassName"]
    findings = run([*objects, *_controller(25)], scope(namespace="shop", workload="docs"))
    [unset] = by_prefix(findings, "eks:ingress-class-unset:shop/docs")
    assert "controller Deployment ingress-nginx/ingress-nginx-controller rolled out" in unset.title
    assert "controller:v0.49.3 -> controller:v1.0.4" in unset.title
    assert unset.change is Trigger.DEPLOY


def test_a_controller_rolled_out_long_ago_is_no_change() -> None:
    objects = _ingress_with_sync(60 * 24)
    findings = run([*objects, *_controller(60 * 24 * 3)], scope(namespace="shop", workload="docs"))
    [missing] = by_prefix(findings, "eks:ingress-class-missing:shop/docs")
    assert "serves --controller-class=k8s.io/ingress-nginx --ingress-class=nginx" in missing.title
    assert missing.change is None


def _pricing_and_caller(log: str) -> tuple[list, dict[str, str]]:
    service = obj(
        "Service",
        "pricing",
        api="v1",
        spec={"clusterIP": "172.20.88.14", "selector": {"app": "pricing", "track": "stable"}},
    )
    backend = pod("pricing-6b9f7d8c5d-a1", labels={"app": "pricing"}, statuses=[running()])
    caller = pod("storefront-7d8c9b6f4a-kl3mn", labels={"app": "storefront"}, statuses=[running()])
    return [service, backend, caller], {"shop/storefront-7d8c9b6f4a-kl3mn/app": log}


def test_service_without_endpoints_the_alerts_pods_call_by_address_ranks_above_their_errors() -> None:
    objects, logs = _pricing_and_caller(
        '{"msg":"pricing lookup failed","err":"connect ECONNREFUSED 172.20.88.14:8080"}'
    )
    findings = run(objects, scope(namespace="shop", workload="storefront"), logs)
    [finding] = by_prefix(findings, "eks:service-selects-no-pod:shop/pricing")
    assert "the alert's pods call it (named in the log of storefront-7d8c9b6f4a-kl3mn)" in finding.title
    assert finding.relevance > 0.95 and finding.severity.value == "critical"


def test_service_the_alerts_pods_do_not_call_stays_a_side_finding() -> None:
    objects, logs = _pricing_and_caller("connect ECONNREFUSED 172.20.88.140:8080")
    findings = run(objects, scope(namespace="shop", workload="storefront"), logs)
    [finding] = by_prefix(findings, "eks:service-selects-no-pod:shop/pricing")
    assert "call it" not in finding.title and finding.relevance < 0.9


def test_egress_denial_names_the_label_the_policy_selects_the_pods_by() -> None:
    policy = obj(
        "NetworkPolicy",
        "restrict-egress",
        api="networking.k8s.io/v1",
        spec={"podSelector": {"matchLabels": {"app": "checkout"}}, "policyTypes": ["Egress"], "egress": []},
    )
    checkout = pod("checkout-7d9f8c6b5-x2k4p", labels={"app": "checkout"}, statuses=[running()])
    log = "ERROR dial tcp: lookup orders-db.shop.svc.cluster.local on 10.100.0.10:53: read udp: i/o timeout"
    findings = run(
        [policy, checkout],
        scope(namespace="shop", workload="checkout"),
        {"shop/checkout-7d9f8c6b5-x2k4p/app": log},
    )
    [denial] = by_prefix(findings, "eks:networkpolicy-denies-dns:")
    assert "restrict-egress" in denial.title and "denies DNS" in denial.title
    assert denial.title.endswith("; podSelector of restrict-egress: app=checkout")


def test_a_container_the_runtime_cannot_start_names_the_runtime_error_and_its_command() -> None:
    last = {
        "reason": "StartError",
        "exitCode": 128,
        "message": "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
        'runc create failed: unable to start container process: exec: "wge": executable file not found '
        "in $PATH: unknown",
    }
    status = {
        "name": "downloader",
        "ready": False,
        "restartCount": 6,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
        "lastState": {"terminated": last},
    }
    agent = pod(
        "logging-agent",
        containers=[
            {"name": "downloader", "image": "busybox:1.28", "command": ["wge", "-O", "/work/index.html"]}
        ],
        statuses=[status],
    )
    [finding] = by_prefix(run([agent], scope(namespace="shop", pod="logging-agent")), "eks:pod-crashloop:")
    assert 'exec: "wge": executable file not found in $PATH' in finding.title
    assert "(command wge -O /work/index.html)" in finding.title


def test_a_pull_denied_by_the_registry_keeps_its_status_code_and_the_registry_host() -> None:
    image = "111122223333.dkr.ecr.us-west-2.amazonaws.com/notifier:2.9.0"
    pulling = pod(
        "notifier-7fd8b96c44-2hxqp",
        owner=("ReplicaSet", "notifier-7fd8b96c44"),
        containers=[{"name": "app", "image": image}],
        statuses=[
            {
                "name": "app",
                "ready": False,
                "image": image,
                "state": {"waiting": {"reason": "ImagePullBackOff"}},
            }
        ],
    )
    failed = event(
        "Pod",
        "notifier-7fd8b96c44-2hxqp",
        "Failed",
        f'Failed to pull image "{image}": failed to resolve reference: pulling from host '
        "111122223333.dkr.ecr.us-west-2.amazonaws.com failed with status code [manifests 2.9.0]: "
        "403 Forbidden",
    )
    [finding] = by_prefix(
        run([pulling, failed], scope(namespace="shop", workload="notifier")), "eks:pod-image-pull:"
    )
    assert f"cannot pull image {image}: 403 Forbidden: unauthorized" in finding.title


def _crashing_on_a_read_only_node(sibling_ready: bool) -> list:
    bad, good = "ip-10-70-3-117.ec2.internal", "ip-10-70-1-42.ec2.internal"
    readonly = {"type": "ReadonlyFilesystem", "status": "True", "reason": "FilesystemIsReadOnly"}
    nodes = [
        obj("Node", bad, None, api="v1", status={"conditions": [READY, readonly]}),
        obj("Node", good, None, api="v1", status={"conditions": [READY]}),
    ]
    last = {"reason": "Error", "exitCode": 1}
    crashing = pod(
        "thumbnailer-64d8f7c9b5-r7wq2",
        labels={"app": "thumbnailer"},
        node=bad,
        statuses=[
            {
                "name": "app",
                "ready": False,
                "restartCount": 9,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": last},
            }
        ],
    )
    sibling = pod(
        "thumbnailer-64d8f7c9b5-6pmsd",
        labels={"app": "thumbnailer"},
        node=good,
        statuses=[running(ready=sibling_ready)],
        conditions=[{"type": "Ready", "status": "True" if sibling_ready else "False"}],
    )
    return [*nodes, crashing, sibling]


def test_a_crash_that_follows_a_node_with_a_problem_condition_is_the_nodes_failure() -> None:
    findings = run(_crashing_on_a_read_only_node(True), scope(namespace="shop", workload="thumbnailer"))
    [crash] = by_prefix(findings, "eks:pod-crashloop:")
    assert "its node ip-10-70-3-117.ec2.internal reports ReadonlyFilesystem=True" in crash.title
    assert crash.cause_hint is CauseCategory.NODE_FAILURE


def test_a_crash_that_also_breaks_the_pods_on_healthy_nodes_is_not_blamed_on_the_node() -> None:
    findings = run(_crashing_on_a_read_only_node(False), scope(namespace="shop", workload="thumbnailer"))
    [crash] = by_prefix(findings, "eks:pod-crashloop:")
    assert "ReadonlyFilesystem" not in crash.title and crash.cause_hint is not CauseCategory.NODE_FAILURE


def test_a_certificate_served_behind_a_service_the_alerts_workload_calls_is_on_its_path() -> None:
    cert = obj(
        "Certificate",
        "identity-issuer",
        "mesh",
        api="cert-manager.io/v1",
        spec={"secretName": "identity-issuer", "dnsNames": ["identity.mesh.cluster.local"]},
        status={"notAfter": "2026-11-22T21:15:00Z"},
    )
    identity = obj(
        "Deployment",
        "identity",
        "mesh",
        spec={
            "template": {
                "metadata": {"labels": {"app": "identity"}},
                "spec": {"volumes": [{"name": "issuer", "secret": {"secretName": "identity-issuer"}}]},
            }
        },
    )
    front = obj("Service", "identity-headless", "mesh", api="v1", spec={"selector": {"app": "identity"}})
    env = [{"name": "PROXY_IDENTITY_ADDR", "value": "identity-headless.mesh.svc.cluster.local:8080"}]
    orders = obj(
        "Deployment", "orders", spec={"template": {"spec": {"containers": [{"name": "proxy", "env": env}]}}}
    )
    findings = run([cert, identity, front, orders], scope(namespace="shop", workload="orders"))
    [expired] = by_prefix(findings, "eks:certificate-expired:mesh/identity-issuer")
    assert "mounted by pods of Deployment mesh/identity" in expired.title
    assert "called by Deployment shop/orders (env PROXY_IDENTITY_ADDR)" in expired.title
    assert expired.relevance >= 0.9
