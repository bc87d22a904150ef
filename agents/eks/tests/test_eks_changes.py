"""What changed: rollouts from ReplicaSet history, scaling, ConfigMap/Secret changes, pod logs."""

from __future__ import annotations

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope, waiting

from agents.eks.analyzers.config_changes import change_time
from shared.contracts import CauseCategory, Severity, Trigger


def replicaset(name: str, revision: int, created: float, image: str, **container: object) -> dict:
    return obj(
        "ReplicaSet",
        name,
        creationTimestamp=at(created),
        annotations={"deployment.kubernetes.io/revision": str(revision)},
        ownerReferences=[{"kind": "Deployment", "name": "checkout", "controller": True}],
        spec={"template": {"spec": {"containers": [{"name": "app", "image": image, **container}]}}},
    )


DEPLOYMENT = obj(
    "Deployment", "checkout", spec={"replicas": 2}, status={"readyReplicas": 2, "updatedReplicas": 2}
)


def test_rollout_with_image_and_env_diff_ranked_by_closeness() -> None:
    new = replicaset(
        "checkout-7d9f8c6b5",
        14,
        41,
        "repo/checkout:v2.3.0",
        env=[{"name": "CACHE_IMAGES", "value": "true"}, {"name": "DB_PASSWORD", "value": "hunter2"}],
    )
    old = replicaset(
        "checkout-6b8d5f4c9",
        13,
        60 * 24 * 9,
        "repo/checkout:v2.2.4",
        env=[{"name": "DB_PASSWORD", "value": "hunter1"}],
    )
    [finding] = by_prefix(run([DEPLOYMENT, new, old], scope(workload="checkout")), "eks:rollout:")
    assert finding.change is Trigger.DEPLOY
    assert finding.id == "eks:rollout:shop/checkout/rev14"
    assert "revision 14" in finding.title and "39 min before the alert" in finding.title
    assert "image checkout v2.2.4 -> v2.3.0" in finding.title and "env +CACHE_IMAGES=true" in finding.title
    assert "hunter" not in finding.title + finding.detail  # secret-looking values never shown
    assert finding.relevance > 0.5


def test_a_rollout_long_ago_is_not_a_change() -> None:
    new = replicaset("checkout-7d9f8c6b5", 14, 60 * 24 * 3, "repo/checkout:v2.3.0")
    old = replicaset("checkout-6b8d5f4c9", 13, 60 * 24 * 9, "repo/checkout:v2.2.4")
    assert by_prefix(run([DEPLOYMENT, new, old]), "eks:rollout:") == []


def test_pruned_history_says_so() -> None:
    only = replicaset("checkout-7d9f8c6b5", 14, 30, "repo/checkout:v2.3.0")
    from agents.common.signatures import load_signatures
    from agents.eks.analyzers import analyze
    from agents.eks.state import ClusterState

    findings, notes = analyze(ClusterState.of([DEPLOYMENT, only]), scope(), load_signatures())
    [finding] = by_prefix(findings, "eks:rollout:")
    assert "pruned" in finding.title and "what changed is unknown" in finding.title
    assert any("pruned" in note for note in notes)


def test_a_deployment_whose_replicasets_were_not_read_is_a_note_not_silence() -> None:
    from agents.common.signatures import load_signatures
    from agents.eks.analyzers import analyze
    from agents.eks.state import ClusterState

    state = ClusterState.of([DEPLOYMENT])
    state.incomplete.add("ReplicaSet")  # the list was capped or refused
    findings, notes = analyze(state, scope(workload="checkout"), load_signatures())
    assert by_prefix(findings, "eks:rollout:") == []
    assert any(
        "No ReplicaSet of Deployment shop/checkout was read (the ReplicaSet list was incomplete)" in n
        and "unknown" in n
        for n in notes
    )


def test_rollback_time_comes_from_the_scale_up_from_zero() -> None:
    reused = replicaset("checkout-6b8d5f4c9", 15, 60 * 24 * 9, "repo/checkout:v2.2.4")
    bad = replicaset("checkout-7d9f8c6b5", 14, 60, "repo/checkout:v2.3.0")
    scaled = event(
        "Deployment",
        "checkout",
        "ScalingReplicaSet",
        "Scaled up replica set checkout-6b8d5f4c9 to 2 from 0",
        type_="Normal",
        first=12,
    )
    [finding] = by_prefix(run([DEPLOYMENT, reused, bad, scaled]), "eks:rollout:")
    assert "revision 15" in finding.title and "10 min before the alert" in finding.title
    assert "v2.3.0 -> v2.2.4" in finding.title


def test_manual_scale_is_reported_but_rollout_steps_are_not() -> None:
    current = replicaset("checkout-7d9f8c6b5", 4, 60 * 24 * 20, "repo/checkout:v2.3.0")
    up = event(
        "Deployment",
        "checkout",
        "ScalingReplicaSet",
        "Scaled up replica set checkout-7d9f8c6b5 to 6 from 2",
        type_="Normal",
        first=25,
    )
    step = event(
        "Deployment",
        "checkout",
        "ScalingReplicaSet",
        "Scaled down replica set checkout-7d9f8c6b5 to 0 from 1",
        type_="Normal",
        first=20,
    )
    up["metadata"]["name"], step["metadata"]["name"] = "a", "b"
    [finding] = by_prefix(run([DEPLOYMENT, current, up, step]), "eks:deployment-scaled:")
    assert "scaled up from 2 to 6 replicas" in finding.title


def test_probe_and_resource_changes_read_like_a_diff() -> None:
    probe_old = {"httpGet": {"path": "/ready", "port": 8080}}
    probe_new = {"httpGet": {"path": "/health/ready", "port": 8080}}
    new = replicaset(
        "checkout-7d9f8c6b5",
        2,
        20,
        "repo/checkout:v3",
        readinessProbe=probe_new,
        resources={"requests": {"cpu": "2"}},
    )
    old = replicaset(
        "checkout-6b8d5f4c9",
        1,
        900,
        "repo/checkout:v3",
        readinessProbe=probe_old,
        resources={"requests": {"cpu": "1"}},
    )
    [finding] = by_prefix(run([DEPLOYMENT, new, old]), "eks:rollout:")
    assert "readinessProbe httpGet /ready:8080 -> httpGet /health/ready:8080" in finding.title
    assert "requests.cpu 1 -> 2" in finding.title


def uses(**refs: object) -> dict:
    return obj(
        "Deployment",
        "payments-api",
        "payments",
        spec={
            "replicas": 1,
            "template": {"spec": {"containers": [{"name": "api", "image": "repo/payments:v7", **refs}]}},
        },
        status={"readyReplicas": 1},
    )


def test_configmap_change_from_managed_fields_with_its_settings() -> None:
    config = obj(
        "ConfigMap",
        "payments-api-config",
        "payments",
        api="v1",
        creationTimestamp=at(60 * 24 * 200),
        managedFields=[{"manager": "kubectl-edit", "operation": "Update", "time": at(48)}],
    )
    config["data"] = {"DB_POOL_MAX": "8", "BIG": "x" * 200}
    deployment = uses(envFrom=[{"configMapRef": {"name": "payments-api-config"}}])
    [finding] = by_prefix(
        run([deployment, config], scope(namespace="payments", workload="payments-api")),
        "eks:configmap-changed:",
    )
    assert finding.change is Trigger.CONFIG_CHANGE
    assert "46 min before the alert" in finding.title and "DB_POOL_MAX=8" in finding.title
    assert "BIG" in finding.title and "x" * 41 not in finding.title  # the key is named, its long value is not
    assert "kubectl-edit" in finding.detail


def test_configmap_without_a_recent_time_is_not_a_change() -> None:
    config = obj(
        "ConfigMap", "payments-api-config", "payments", api="v1", creationTimestamp=at(60 * 24 * 200)
    )
    deployment = uses(envFrom=[{"configMapRef": {"name": "payments-api-config"}}])
    assert by_prefix(run([deployment, config]), "eks:configmap-") == []
    assert change_time(config)[1] == "creationTimestamp"


def test_secret_change_shows_keys_never_values_and_a_missing_secret_is_bad_config() -> None:
    # As the reader returns a Secret: metadata only (PartialObjectMetadata), no data.
    secret = obj(
        "Secret",
        "db",
        "payments",
        api="v1",
        creationTimestamp=at(60 * 24 * 30),
        managedFields=[
            {
                "manager": "kubectl-edit",
                "operation": "Update",
                "time": at(20),
                "fieldsV1": {"f:data": {"f:password": {}}},
            }
        ],
    )
    del secret["spec"], secret["status"]
    present = uses(
        env=[{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    )
    [finding] = by_prefix(run([present, secret]), "eks:secret-changed:")
    assert "keys password" in finding.title and "18 min before the alert" in finding.title
    assert finding.change is Trigger.CONFIG_CHANGE and "kubectl-edit" in finding.detail
    missing = uses(env=[{"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}])
    [finding] = by_prefix(run([missing]), "eks:secret-missing:")
    assert finding.cause_hint is CauseCategory.BAD_CONFIG and "payments/gone" in finding.title
    optional = uses(
        env=[{"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k", "optional": True}}}]
    )
    assert by_prefix(run([optional]), "eks:secret-missing:") == []


def test_crashed_container_log_explains_the_crash() -> None:
    crashing = pod(
        "report-builder-0",
        owner=("StatefulSet", "report-builder"),
        statuses=[
            waiting(
                "CrashLoopBackOff",
                name="builder",
                restarts=7,
                last={"reason": "Error", "exitCode": 1, "finishedAt": at(5)},
            )
        ],
    )
    logs = {
        "shop/report-builder-0/builder/previous": "INFO resuming\n"
        "FATAL cannot write checkpoint /data/state.json: no space left on device\n"
    }
    findings = run([crashing], scope(pod="report-builder-0"), logs)
    [crash] = by_prefix(findings, "eks:pod-crashloop:")
    assert crash.cause_hint is CauseCategory.DISK_FULL and "no space left on device" in crash.title
    [log] = by_prefix(findings, "eks:pod-log-errors:")
    assert log.id.endswith("/previous") and log.evidence[-1].excerpt.startswith("FATAL")
    assert "previous=true" in log.evidence[0].reference


def test_code_errors_in_logs_count_as_bad_deploy_only_after_a_rollout() -> None:
    healthy = pod(
        "checkout-api-6d8f9b7c5-k8l9m",
        owner=("ReplicaSet", "checkout-api-6d8f9b7c5"),
        labels={"pod-template-hash": "6d8f9b7c5"},
        statuses=[running()],
    )
    logs = {
        "shop/checkout-api-6d8f9b7c5-k8l9m/app": "ERROR POST /v1/checkout 500 31ms\nERROR c.s.Coupon - "
        'java.lang.NullPointerException: Cannot invoke "Coupon.discount()"\n'
        "ERROR POST /v1/checkout 500 30ms\n"
    }
    [log] = by_prefix(run([healthy], logs=logs), "eks:pod-log-errors:")
    assert log.cause_hint is None
    assert "NullPointerException" in log.title  # the exception line wins over an access-log line
    rolled = obj("Deployment", "checkout-api", spec={"replicas": 1}, status={"readyReplicas": 1})
    rs = obj(
        "ReplicaSet",
        "checkout-api-6d8f9b7c5",
        creationTimestamp=at(25),
        annotations={"deployment.kubernetes.io/revision": "31"},
        ownerReferences=[{"kind": "Deployment", "name": "checkout-api", "controller": True}],
    )
    findings = run([rolled, rs, healthy], logs=logs)
    assert by_prefix(findings, "eks:pod-log-errors:")[0].cause_hint is CauseCategory.BAD_DEPLOY
    assert by_prefix(findings, "eks:rollout:")[0].severity in {Severity.INFO, Severity.WARNING}
