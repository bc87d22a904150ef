"""What a crashed container's previous log says about why it exited: its errors, not the warnings
it survived; CoreDNS's loop plugin named; a ConfigMap a sync tool stamps is a change."""

from __future__ import annotations

from eks_builders import at, by_prefix, obj, pod, run, scope, waiting

from agents.common.crash_lines import crash_lines
from shared.contracts import CauseCategory, Trigger

RS = ("ReplicaSet", "quota-guard-66c8b9d7f4")
LABELS = {"app": "quota-guard", "pod-template-hash": "66c8b9d7f4"}


def _crashing(name: str, ns: str, container: str) -> dict:
    return pod(
        name,
        ns,
        owner=RS,
        labels=LABELS,
        statuses=[
            waiting(
                "CrashLoopBackOff",
                "back-off 5m0s",
                restarts=7,
                last={"reason": "Error", "exitCode": 1, "startedAt": at(3), "finishedAt": at(3)},
            )
        ],
        containers=[{"name": container, "image": "repo/app:3.9.0"}],
    )


PREVIOUS = """\
2026-11-22 21:35:02.311  INFO 1 --- [main] c.a.quota.QuotaGuardApplication : Starting v3.9.0
21:35:05.870  WARN 1 --- [main] CounterStore : GetItem throttled: ProvisionedThroughputExceededException
2026-11-22 21:35:06.455 ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed
java.lang.NullPointerException: Cannot invoke "Limits.burst()" because "TenantPolicy.limits()" is null
"""


def test_a_warning_survived_before_the_crash_does_not_explain_it() -> None:
    crashing = _crashing("quota-guard-66c8b9d7f4-8mh2v", "platform", "quota-guard")
    findings = run(
        [crashing],
        scope(namespace="platform", workload="quota-guard"),
        logs={"platform/quota-guard-66c8b9d7f4-8mh2v/quota-guard/previous": PREVIOUS},
    )
    [log] = by_prefix(findings, "eks:pod-log-errors:")
    assert "NullPointerException" in log.title
    assert "throttled" not in log.title
    assert log.cause_hint is not CauseCategory.RATE_LIMITED
    [crash] = by_prefix(findings, "eks:pod-crashloop:")
    assert crash.cause_hint is not CauseCategory.RATE_LIMITED


def test_crash_lines_keep_warnings_when_nothing_else_is_there() -> None:
    warn = "2026-11-22 21:35:05 WARN retrying: ThrottlingException"
    assert crash_lines([warn]) == [warn]
    assert crash_lines([warn, "panic: runtime error: index out of range"]) == [
        "panic: runtime error: index out of range"
    ]
    assert crash_lines(['{"level":"info","msg":"x failed"}', '{"level":"error","msg":"boom"}']) == [
        '{"level":"error","msg":"boom"}'
    ]


def test_coredns_halting_on_a_forwarding_loop_is_named_by_its_loop_plugin() -> None:
    crashing = _crashing("coredns-5d8c9b7f6-7xq2m", "kube-system", "coredns")
    crashing["metadata"]["ownerReferences"][0]["name"] = "coredns-5d8c9b7f6"
    log = (
        ".:53\n[INFO] plugin/reload: Running configuration SHA512 = 8a7d59\nCoreDNS-1.11.3\n"
        '[FATAL] plugin/loop: Loop (127.0.0.1:51374 -> :53) detected for zone ".", see '
        'https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 3187302713906517271."\n'
    )
    findings = run(
        [crashing],
        scope(namespace="kube-system", workload="coredns"),
        logs={"kube-system/coredns-5d8c9b7f6-7xq2m/coredns/previous": log},
    )
    [tail] = by_prefix(findings, "eks:pod-log-errors:")
    assert tail.cause_hint is CauseCategory.NETWORK_FAILURE
    assert "plugin/loop" in tail.title
    [crash] = by_prefix(findings, "eks:pod-crashloop:")
    assert crash.cause_hint is CauseCategory.NETWORK_FAILURE and "plugin/loop" in crash.title


def test_a_configmap_stamped_by_a_sync_tool_is_a_change() -> None:
    config = obj("ConfigMap", "tenant-policies", "platform", api="v1", creationTimestamp=at(60 * 24 * 90))
    config["metadata"]["annotations"] = {
        "policy-sync.example.io/last-sync": at(16),
        "policy-sync.example.io/last-change": "add tenant trial-co",
    }
    config["data"] = {"acme.yaml": "tenant: acme\n", "trial-co.yaml": "tenant: trial-co\nlimits:\n"}
    deployment = obj(
        "Deployment",
        "quota-guard",
        "platform",
        spec={
            "replicas": 2,
            "template": {
                "spec": {
                    "containers": [{"name": "quota-guard", "image": "repo/quota-guard:3.9.0"}],
                    "volumes": [{"name": "policies", "configMap": {"name": "tenant-policies"}}],
                }
            },
        },
        status={"readyReplicas": 0},
    )
    [change] = by_prefix(
        run([deployment, config], scope(namespace="platform", workload="quota-guard")),
        "eks:configmap-changed:",
    )
    assert change.change is Trigger.CONFIG_CHANGE
    assert "tenant-policies" in change.title and "trial-co.yaml" in change.title
    assert "quota-guard" in change.title


def test_a_container_whose_certificate_expired_names_the_configmap_or_secret_holding_it() -> None:
    crashing = _crashing("quota-guard-66c8b9d7f4-8mh2v", "platform", "quota-guard")
    crashing["spec"]["volumes"] = [
        {"name": "tls", "secret": {"secretName": "quota-guard-client-tls"}},
        {"name": "settings", "configMap": {"name": "quota-guard-settings"}},
    ]
    # The pod as read lists no mounts; its Deployment's template does.
    template = {
        "metadata": {"labels": LABELS},
        "spec": {
            "volumes": crashing["spec"]["volumes"],
            "containers": [
                {
                    "name": "quota-guard",
                    "volumeMounts": [
                        {"name": "tls", "mountPath": "/etc/quota-guard/tls"},
                        {"name": "settings", "mountPath": "/etc/quota-guard/conf"},
                    ],
                }
            ],
        },
    }
    deployment = obj(
        "Deployment",
        "quota-guard",
        "platform",
        spec={"selector": {"matchLabels": LABELS}, "template": template},
    )
    expired = "2026-11-22 21:35:06 ERROR x509: certificate has expired or is not yet valid\n"
    findings = run(
        [crashing, deployment],
        scope(namespace="platform", workload="quota-guard"),
        logs={"platform/quota-guard-66c8b9d7f4-8mh2v/quota-guard/previous": expired},
    )
    [log] = by_prefix(findings, "eks:pod-log-errors:")
    assert log.cause_hint is CauseCategory.CERTIFICATE_EXPIRED
    assert "its certificate is mounted from Secret platform/quota-guard-client-tls" in log.title
    assert "quota-guard-settings" not in log.title
