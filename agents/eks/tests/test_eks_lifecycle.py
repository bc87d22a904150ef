"""CronJobs and Jobs, PodDisruptionBudgets, node interruptions and problem conditions,
PersistentVolumes and StorageClasses, image pull Secrets, lifecycle hooks, StatefulSet Services."""

from __future__ import annotations

from typing import Any

from eks_builders import at, by_prefix, event, obj, pod, run, running, scope, waiting

from agents.eks.analyzers.cronjobs import schedule_problem
from shared.contracts import CauseCategory, Severity, Trigger

NODE = "ip-10-0-2-88.ec2.internal"


def cronjob(**spec: Any) -> dict:
    body = {"schedule": "*/15 * * * *", "jobTemplate": {"spec": {"template": {"spec": {}}}}, **spec}
    return obj("CronJob", "invoice-export", api="batch/v1", spec=body, status={"lastScheduleTime": at(14)})


def job(name: str, created: float, *, failed: bool, reason: str = "BackoffLimitExceeded") -> dict:
    conditions = (
        [
            {
                "type": "Failed",
                "status": "True",
                "reason": reason,
                "message": "Job has reached the specified backoff limit",
                "lastTransitionTime": at(created - 3),
            }
        ]
        if failed
        else [{"type": "Complete", "status": "True", "lastTransitionTime": at(created - 2)}]
    )
    return obj(
        "Job",
        name,
        api="batch/v1",
        creationTimestamp=at(created),
        ownerReferences=[{"kind": "CronJob", "name": "invoice-export", "controller": True}],
        spec={"backoffLimit": 2},
        status={"conditions": conditions, "failed": 3 if failed else 0, "startTime": at(created)},
    )


def job_pod(job_name: str, terminated: dict[str, Any]) -> dict:
    return pod(
        f"{job_name}-q7x2p",
        phase="Failed",
        owner=("Job", job_name),
        labels={"job-name": job_name},
        statuses=[{"name": "export", "ready": False, "restartCount": 0, "state": {"terminated": terminated}}],
    )


def test_schedules_the_controller_would_reject() -> None:
    assert schedule_problem("*/15 * * * *") is None and schedule_problem("@hourly") is None
    assert schedule_problem("0 3 * * MON-FRI") is None
    assert "outside 0-23" in (schedule_problem("0 25 * * *") or "")
    assert "6 fields" in (schedule_problem("0 0 3 * * *") or "")
    assert "spec.timeZone" in (schedule_problem("TZ=UTC 0 3 * * *") or "")


def test_invalid_suspended_and_deadline_cronjobs() -> None:
    findings = run([cronjob(schedule="0 25 * * *")], scope(workload="invoice-export"))
    [invalid] = by_prefix(findings, "eks:cronjob-invalid-schedule:")
    assert "'0 25 * * *' is invalid (hour 25 is outside 0-23)" in invalid.title
    assert invalid.cause_hint is CauseCategory.BAD_CONFIG and invalid.severity is Severity.CRITICAL
    [suspended] = by_prefix(
        run([cronjob(suspend=True)], scope(workload="invoice-export")), "eks:cronjob-suspended:"
    )
    assert (
        "is suspended (spec.suspend=true)" in suspended.title
        and "last scheduled 12 min before" in suspended.title
    )
    missed = event(
        "CronJob",
        "invoice-export",
        "TooManyMissedTimes",
        "too many missed start times: 101. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
    )
    [late] = by_prefix(
        run([cronjob(startingDeadlineSeconds=5), missed], scope(workload="invoice-export")),
        "eks:cronjob-missed-runs:",
    )
    assert "too many missed start times" in late.title and "startingDeadlineSeconds=5" in late.title


def test_failing_cronjob_names_why_its_last_job_failed() -> None:
    objects = [
        cronjob(),
        job("invoice-export-29400000", 75, failed=False),
        job("invoice-export-29400015", 45, failed=True),
        job("invoice-export-29400030", 15, failed=True),
        job_pod("invoice-export-29400030", {"reason": "OOMKilled", "exitCode": 137, "finishedAt": at(13)}),
    ]
    findings = run(objects, scope(workload="invoice-export-29400030"))
    [cron] = by_prefix(findings, "eks:cronjob-failing:")
    assert "its last 2 Job(s) failed, newest invoice-export-29400030 BackoffLimitExceeded" in cron.title
    assert "container export OOMKilled (exit code 137" in cron.title
    assert cron.cause_hint is CauseCategory.OOM
    [failed_job] = by_prefix(findings, "eks:job-failed:")
    assert failed_job.cause_hint is CauseCategory.OOM


def test_failed_job_from_a_missing_setting_in_its_log_and_a_suspended_job() -> None:
    name = "invoice-export-29400030"
    objects = [
        job(name, 15, failed=True),
        job_pod(name, {"reason": "Error", "exitCode": 1, "finishedAt": at(13)}),
    ]
    logs = {f"shop/{name}-q7x2p/export": "Traceback...\nKeyError: 'INVOICE_BUCKET'\n"}
    [failed] = by_prefix(run(objects, scope(workload=name), logs), "eks:job-failed:")
    assert "exit code 1" in failed.title and "KeyError: 'INVOICE_BUCKET'" in failed.title
    assert failed.cause_hint is CauseCategory.BAD_CONFIG
    [unexplained] = by_prefix(run(objects, scope(workload=name)), "eks:job-failed:")
    assert unexplained.cause_hint is None  # an exit code 1 alone names no cause
    paused = obj("Job", "reindex", api="batch/v1", spec={"suspend": True, "completions": 1}, status={})
    [suspended] = by_prefix(run([paused], scope(workload="reindex")), "eks:job-suspended:")
    assert "is suspended" in suspended.title
    # The alert is about the suspended Job: it is the whole answer; beside another workload, a note.
    assert suspended.severity is Severity.CRITICAL
    [aside] = by_prefix(run([paused], scope(namespace="shop", workload="checkout")), "eks:job-suspended:")
    assert aside.severity is Severity.WARNING


def test_pdb_that_never_allows_an_eviction_blocks_drains() -> None:
    pdb = obj(
        "PodDisruptionBudget",
        "payments",
        api="policy/v1",
        spec={"minAvailable": 2, "selector": {"matchLabels": {"app": "payments"}}},
        status={"currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 2, "disruptionsAllowed": 0},
    )
    blocked = event(
        "Node",
        NODE,
        "DisruptionBlocked",
        'Cannot disrupt Node: pdb "shop/payments" prevents pod evictions',
        ns=None,
    )
    findings = run([pdb, blocked], scope(namespace="shop"))
    [finding] = by_prefix(findings, "eks:pdb-no-disruption:")
    assert "minAvailable 2 with 2 pod(s): no eviction is ever allowed" in finding.title
    assert "node drains are blocked" in finding.title and finding.cause_hint is CauseCategory.BAD_CONFIG
    assert finding.relevance >= 0.9  # the drain it blocks is what the alert is about
    [drain] = by_prefix(findings, "eks:node-drain-blocked:")
    assert drain.cause_hint is None  # a symptom: the budget is the cause
    unhealthy = obj(
        "PodDisruptionBudget",
        "payments",
        api="policy/v1",
        spec={"maxUnavailable": 1, "selector": {"matchLabels": {"app": "payments"}}},
        status={"currentHealthy": 1, "desiredHealthy": 2, "expectedPods": 3, "disruptionsAllowed": 0},
    )
    [degraded] = by_prefix(run([unhealthy]), "eks:pdb-no-disruption:")
    assert "only 1/3 pods healthy" in degraded.title and degraded.cause_hint is None


def test_pdb_holding_a_pod_on_the_alerts_cordoned_node_is_the_blocked_drain() -> None:
    """No drain event names the budget (a managed node group update only fails): its pod still on
    the cordoned node the alert names tells it."""
    pdb = obj(
        "PodDisruptionBudget",
        "ledger-writer",
        api="policy/v1",
        spec={"maxUnavailable": 0, "selector": {"matchLabels": {"app": "ledger-writer"}}},
        status={"currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 2, "disruptionsAllowed": 0},
    )
    cordoned = obj("Node", NODE, api="v1", ns=None, spec={"unschedulable": True}, status={"conditions": []})
    pods = [
        pod("ledger-writer-6d5c4b3a2-abcde", labels={"app": "ledger-writer"}, node=NODE),
        pod(
            "ledger-writer-6d5c4b3a2-fghij", labels={"app": "ledger-writer"}, node="ip-10-0-9-9.ec2.internal"
        ),
    ]
    [finding] = by_prefix(run([pdb, cordoned, *pods], scope(node=NODE)), "eks:pdb-no-disruption:")
    assert "maxUnavailable 0" in finding.title
    assert f"its pod ledger-writer-6d5c4b3a2-abcde cannot leave cordoned node {NODE}" in finding.title
    assert finding.cause_hint is CauseCategory.BAD_CONFIG and finding.relevance >= 0.9
    # Without a cordoned node it is only the budget's own misconfiguration, not a blocked drain.
    [calm] = by_prefix(run([pdb, *pods], scope(node=NODE)), "eks:pdb-no-disruption:")
    assert "cordoned" not in calm.title and calm.relevance < 0.9


def test_spot_interruption_from_the_termination_handler_taint_and_events() -> None:
    node = obj(
        "Node",
        NODE,
        None,
        api="v1",
        spec={
            "unschedulable": True,
            "taints": [
                {
                    "key": "aws-node-termination-handler/spot-itn",
                    "value": "i-0a1b2c3d",
                    "effect": "NoSchedule",
                }
            ],
        },
        status={"conditions": [{"type": "Ready", "status": "True"}]},
    )
    notice = event(
        "Node",
        NODE,
        "SpotInterruption",
        "Spot Interruption notice for instance i-0a1b2c3d4e5f was sent at 2026-11-22 21:32:10 +0000 UTC",
        ns=None,
        type_="Normal",
        first=8,
    )
    mine = pod("checkout-7d9f8c6b5-x2k4p", node=NODE, statuses=[running()])
    findings = run([node, notice, mine], scope(workload="checkout"))
    [finding] = by_prefix(findings, "eks:node-interrupted:")
    assert "spot interruption notice (node termination handler)" in finding.title
    assert "hosts checkout-7d9f8c6b5-x2k4p" in finding.title and finding.severity is Severity.CRITICAL
    assert finding.cause_hint is CauseCategory.NODE_FAILURE and finding.change is Trigger.INFRASTRUCTURE
    gone = event(
        "Node",
        "ip-10-0-9-9.ec2.internal",
        "SpotInterrupted",
        "Spot interruption warning was triggered",
        ns=None,
    )
    [karpenter] = by_prefix(run([gone, mine], scope(workload="checkout")), "eks:node-interrupted:")
    assert "SpotInterrupted" in karpenter.title and "(the node is gone)" in karpenter.title


def test_node_problem_detector_and_monitoring_agent_conditions() -> None:
    node = obj(
        "Node",
        NODE,
        None,
        api="v1",
        status={
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "KernelDeadlock", "status": "False", "reason": "KernelHasNoDeadlock"},
                {
                    "type": "ReadonlyFilesystem",
                    "status": "True",
                    "reason": "FilesystemIsReadOnly",
                    "message": "Remounting filesystem read-only",
                    "lastTransitionTime": at(20),
                },
                {"type": "StorageReady", "status": "False", "reason": "XFSSmallAverageClusterSize"},
                {"type": "NetworkingReady", "status": "True"},
            ]
        },
    )
    mine = pod("checkout-7d9f8c6b5-x2k4p", node=NODE, statuses=[running()])
    findings = by_prefix(run([node, mine], scope(workload="checkout")), "eks:node-condition:")
    titles = " | ".join(f.title for f in findings)
    assert len(findings) == 2 and "ReadonlyFilesystem=True (FilesystemIsReadOnly" in titles
    assert "StorageReady=False" in titles and "KernelDeadlock" not in titles
    assert all(f.cause_hint is CauseCategory.NODE_FAILURE for f in findings)


def test_released_volume_zone_conflict_and_missing_storage_class() -> None:
    released = obj(
        "PersistentVolume",
        "pvc-3f2a",
        None,
        api="v1",
        spec={
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": "shop", "name": "data-db-0"},
            "storageClassName": "gp3",
        },
        status={"phase": "Released"},
    )
    [finding] = by_prefix(run([released]), "eks:pv-released:")
    assert "PersistentVolume pvc-3f2a Released (claim shop/data-db-0)" in finding.title
    pinned = obj(
        "PersistentVolume",
        "pvc-9a8b",
        None,
        api="v1",
        spec={
            "claimRef": {"namespace": "shop", "name": "data-db-0"},
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "topology.ebs.csi.aws.com/zone",
                                    "operator": "In",
                                    "values": ["us-east-1a"],
                                }
                            ]
                        }
                    ]
                }
            },
        },
        status={"phase": "Bound"},
    )
    node_b = obj(
        "Node",
        NODE,
        None,
        api="v1",
        labels={"topology.kubernetes.io/zone": "us-east-1b", "topology.ebs.csi.aws.com/zone": "us-east-1b"},
        status={"conditions": [{"type": "Ready", "status": "True"}]},
    )
    db = pod("db-0", phase="Pending", owner=("StatefulSet", "db"))
    db["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]
    [conflict] = by_prefix(run([pinned, node_b, db], scope(workload="db")), "eks:pv-node-affinity-conflict:")
    assert "topology.ebs.csi.aws.com/zone In us-east-1a" in conflict.title and "us-east-1b" in conflict.title
    assert conflict.cause_hint is CauseCategory.STORAGE_FAILURE
    claim = obj(
        "PersistentVolumeClaim",
        "data-db-0",
        api="v1",
        creationTimestamp=at(30),
        spec={"storageClassName": "gp3-encrypted", "resources": {"requests": {"storage": "20Gi"}}},
        status={"phase": "Pending"},
    )
    gp2 = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp2"},
        "provisioner": "kubernetes.io/aws-ebs",
    }
    [missing] = by_prefix(run([claim, gp2, db], scope(workload="db")), "eks:pvc-storageclass-missing:")
    assert "names StorageClass gp3-encrypted, which does not exist (classes: gp2)" in missing.title
    assert missing.severity is Severity.CRITICAL


def test_missing_pull_secret_hooks_and_headless_service() -> None:
    pulling = pod(
        "api-6c5d4b3a2-zzzzz",
        owner=("ReplicaSet", "api-6c5d4b3a2"),
        statuses=[waiting("ImagePullBackOff", 'Back-off pulling image "registry.example.com/api:v3"')],
    )
    pulling["spec"]["imagePullSecrets"] = [{"name": "regcred"}]
    [secret] = by_prefix(run([pulling], scope(workload="api")), "eks:image-pull-secret-missing:")
    assert "imagePullSecret shop/regcred of Deployment shop/api does not exist" in secret.title
    assert secret.cause_hint is CauseCategory.IMAGE_PULL and secret.severity is Severity.CRITICAL
    hook = event(
        "Pod",
        "api-6c5d4b3a2-zzzzz",
        "FailedPostStartHook",
        'PostStartHook failed: Exec lifecycle hook ([/bin/sh -c /app/warmup.sh]) for Container "api" in Pod '
        "\"api-6c5d4b3a2-zzzzz_shop\" failed - error: command '/bin/sh -c /app/warmup.sh' exited with 127",
    )
    crashing = pod(
        "api-6c5d4b3a2-zzzzz",
        owner=("ReplicaSet", "api-6c5d4b3a2"),
        statuses=[waiting("CrashLoopBackOff", restarts=4)],
    )
    [post] = by_prefix(run([crashing, hook], scope(workload="api")), "eks:pod-poststart-hook-failed:")
    assert "PostStart lifecycle hook of pod shop/api-6c5d4b3a2-zzzzz failed" in post.title
    assert "(command '/bin/sh -c /app/warmup.sh' exited with 127)" in post.title
    assert post.cause_hint is CauseCategory.BAD_CONFIG
    sts = obj(
        "StatefulSet",
        "kafka",
        spec={"serviceName": "kafka-headless", "replicas": 3},
        status={"readyReplicas": 3},
    )
    broker = pod("kafka-0", owner=("StatefulSet", "kafka"), statuses=[running()])
    logs = {
        "shop/kafka-0/app": "WARN Unable to resolve address: "
        "kafka-1.kafka-headless.shop.svc:9093 (no such host)\n"
    }
    [headless] = by_prefix(
        run([sts, broker], scope(workload="kafka"), logs), "eks:statefulset-service-missing:"
    )
    assert "serviceName kafka-headless does not exist" in headless.title and "no such host" in headless.title
    assert headless.severity is Severity.CRITICAL
    [quiet] = by_prefix(run([sts, broker], scope(workload="kafka")), "eks:statefulset-service-missing:")
    assert quiet.severity is Severity.WARNING and quiet.relevance < 0.9


def test_hpa_whose_target_no_longer_exists() -> None:
    hpa = obj(
        "HorizontalPodAutoscaler",
        "checkout",
        api="autoscaling/v2",
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout-v1"},
            "minReplicas": 2,
            "maxReplicas": 10,
        },
        status={"currentReplicas": 0, "desiredReplicas": 0},
    )
    renamed = obj("Deployment", "checkout-v2", spec={"replicas": 2}, status={"readyReplicas": 2})
    [finding] = by_prefix(run([hpa, renamed], scope(workload="checkout")), "eks:hpa-target-missing:")
    assert "targets Deployment shop/checkout-v1, which does not exist" in finding.title
    live = obj("Deployment", "checkout-v1", spec={"replicas": 2}, status={"readyReplicas": 2})
    assert not by_prefix(run([hpa, live], scope(workload="checkout")), "eks:hpa-target-missing:")
    # As the controller reports it: AbleToScale=False FailedGetScale, the last replica count kept.
    hpa["status"] = {
        "currentReplicas": 4,
        "desiredReplicas": 4,
        "conditions": [
            {
                "type": "AbleToScale",
                "status": "False",
                "reason": "FailedGetScale",
                "message": "the HPA controller was unable to get the target's current scale: "
                'deployments/scale.apps "checkout-v1" not found',
            }
        ],
    }
    findings = run([hpa, renamed], scope(workload="checkout"))
    [reported] = by_prefix(findings, "eks:hpa-target-missing:")
    assert "(Deployments in shop: checkout-v2)" in reported.title and "FailedGetScale" in reported.title
    assert not by_prefix(findings, "eks:hpa-cannot-scale:")


def _nodeclaim(conditions: list[dict[str, Any]], created: float = 20) -> dict:
    return obj(
        "NodeClaim",
        "general-purpose-x7k2p",
        None,
        api="karpenter.sh/v1",
        creationTimestamp=at(created),
        labels={"karpenter.sh/nodepool": "general-purpose"},
        spec={
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
            "requirements": [
                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p4d.24xlarge"]}
            ],
        },
        status={"conditions": conditions},
    )


def test_karpenter_claim_that_cannot_launch_or_register() -> None:
    pending = pod("trainer-6d5c4b3a2-k8s9d", phase="Pending", owner=("ReplicaSet", "trainer-6d5c4b3a2"))
    del pending["spec"]["nodeName"]  # waiting for a node
    ice = _nodeclaim(
        [
            {
                "type": "Launched",
                "status": "False",
                "reason": "InsufficientCapacityError",
                "message": "all requested instance types were unavailable during launch",
            }
        ]
    )
    [launch] = by_prefix(run([ice, pending], scope(workload="trainer")), "eks:nodeclaim-launched:")
    assert "NodeClaim general-purpose-x7k2p (NodePool general-purpose) not Launched" in launch.title
    assert "InsufficientCapacityError" in launch.title and "1 pod(s) Pending" in launch.title
    assert launch.cause_hint is CauseCategory.UNSCHEDULABLE and launch.severity is Severity.CRITICAL
    unregistered = _nodeclaim(
        [
            {"type": "Launched", "status": "True", "reason": "Launched"},
            {
                "type": "Registered",
                "status": "Unknown",
                "reason": "AwaitingReconciliation",
                "message": "object is awaiting reconciliation",
            },
        ]
    )
    [registration] = by_prefix(
        run([unregistered, pending], scope(workload="trainer")), "eks:nodeclaim-registered:"
    )
    assert registration.cause_hint is CauseCategory.NODE_FAILURE
    young = _nodeclaim(unregistered["status"]["conditions"], created=3)
    assert not by_prefix(run([young, pending], scope(workload="trainer")), "eks:nodeclaim-")


def test_hpa_on_cpu_of_containers_without_cpu_requests() -> None:
    hpa = obj(
        "HorizontalPodAutoscaler",
        "checkout",
        api="autoscaling/v2",
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
        status={"currentReplicas": 2, "desiredReplicas": 2},
    )
    template = {
        "spec": {
            "containers": [
                {"name": "app", "image": "repo/checkout:v2", "resources": {"requests": {"memory": "1Gi"}}}
            ]
        }
    }
    deployment = obj(
        "Deployment", "checkout", spec={"replicas": 2, "template": template}, status={"readyReplicas": 2}
    )
    [finding] = by_prefix(run([hpa, deployment], scope(workload="checkout")), "eks:hpa-missing-requests:")
    assert (
        "container app requests no cpu" in finding.title and finding.cause_hint is CauseCategory.SCALING_LIMIT
    )
    template["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "500m"
    assert not by_prefix(run([hpa, deployment], scope(workload="checkout")), "eks:hpa-missing-requests:")


def test_pdb_reported_by_its_condition_alone() -> None:
    pdb = obj(
        "PodDisruptionBudget",
        "web",
        api="policy/v1",
        spec={"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}},
        status={
            "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods"}]
        },
    )
    [finding] = by_prefix(run([pdb], scope(namespace="shop")), "eks:pdb-no-disruption:")
    assert "allows no disruption" in finding.title


def test_claim_waiting_on_a_provisioner_that_never_answers() -> None:
    claim = obj(
        "PersistentVolumeClaim",
        "data-db-0",
        api="v1",
        creationTimestamp=at(25),
        spec={"storageClassName": "gp3", "resources": {"requests": {"storage": "20Gi"}}},
        status={"phase": "Pending"},
    )
    waiting = event(
        "PersistentVolumeClaim",
        "data-db-0",
        "ExternalProvisioning",
        "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually "
        "by the system administrator. If volume creation is delayed, please verify that the provisioner is "
        "running and correctly registered.",
        type_="Normal",
        count=92,
    )
    [finding] = by_prefix(run([claim, waiting], scope(workload="db")), "eks:pvc-pending:")
    assert "waiting for the external provisioner ebs.csi.aws.com (92 times)" in finding.title
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE
    # A pod waiting on it for 25 minutes: as sure a failure as a provisioner that said no.
    user = pod("db-0", phase="Pending", owner=("StatefulSet", "db"))
    user["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]
    [stuck] = by_prefix(run([claim, waiting, user], scope(workload="db")), "eks:pvc-pending:")
    assert stuck.severity is Severity.CRITICAL and finding.severity is Severity.WARNING


def test_volume_that_cannot_attach_to_the_pods_node() -> None:
    pv = obj(
        "PersistentVolume",
        "pvc-3f2a",
        None,
        api="v1",
        spec={
            "claimRef": {"namespace": "shop", "name": "data-db-0"},
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0abc"},
        },
        status={"phase": "Bound"},
    )
    attachment = obj(
        "VolumeAttachment",
        "csi-5e8d1c0a",
        None,
        api="storage.k8s.io/v1",
        spec={
            "attacher": "ebs.csi.aws.com",
            "nodeName": NODE,
            "source": {"persistentVolumeName": "pvc-3f2a"},
        },
        status={
            "attached": False,
            "attachError": {
                "time": at(4),
                "message": 'rpc error: code = Internal desc = Could not attach volume "vol-0abc" to node '
                '"i-0123": attachment of disk "vol-0abc" failed, '
                "expected device to be attached but was attaching",
            },
        },
    )
    db = pod("db-0", phase="Pending", owner=("StatefulSet", "db"), node=NODE)
    db["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]
    [finding] = by_prefix(run([pv, attachment, db], scope(workload="db")), "eks:volume-attach-failed:")
    assert (
        f"Volume pvc-3f2a (volume vol-0abc, claim shop/data-db-0) cannot attach to node {NODE}"
        in finding.title
    )
    assert "Could not attach volume" in finding.title and finding.cause_hint is CauseCategory.STORAGE_FAILURE
    assert finding.severity is Severity.CRITICAL


def test_evicted_pod_takes_its_reason_from_the_kubelet_event() -> None:
    gone = pod("api-6c5d4b3a2-zzzzz", phase="Failed", reason="Evicted", owner=("ReplicaSet", "api-6c5d4b3a2"))
    evicted = event(
        "Pod",
        "api-6c5d4b3a2-zzzzz",
        "Evicted",
        "The node was low on resource: ephemeral-storage. Threshold quantity: 2Gi, available: 1536Mi. "
        "Container api was using 9Gi, request is 0, has larger consumption of ephemeral-storage.",
    )
    [finding] = by_prefix(run([gone, evicted], scope(workload="api")), "eks:pod-evicted:")
    assert "low on resource: ephemeral-storage" in finding.title
    assert finding.cause_hint is CauseCategory.DISK_FULL  # the node's disk filled up


def test_statefulset_claim_template_naming_a_missing_storage_class() -> None:
    sts = obj(
        "StatefulSet",
        "db",
        spec={
            "serviceName": "db",
            "replicas": 1,
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"storageClassName": "io2-fast"}}
            ],
        },
        status={"readyReplicas": 0},
    )
    gp3 = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp3"},
        "provisioner": "ebs.csi.aws.com",
    }
    findings = run(
        [sts, gp3, obj("Service", "db", api="v1", spec={"clusterIP": "None"})], scope(workload="db")
    )
    [finding] = by_prefix(findings, "eks:statefulset-storageclass-missing:")
    assert (
        "volumeClaimTemplate data names StorageClass io2-fast, which does not exist (classes: gp3)"
        in finding.title
    )
    assert finding.cause_hint is CauseCategory.STORAGE_FAILURE
    assert not by_prefix(run([sts], scope(workload="db")), "eks:statefulset-storageclass-missing:")


def test_forbid_concurrency_behind_a_job_that_never_ends_skips_every_run() -> None:
    cron = cronjob(concurrencyPolicy="Forbid")
    cron["status"]["active"] = [{"kind": "Job", "name": "invoice-export-29551200"}]
    stuck = job("invoice-export-29551200", 300, failed=False)
    stuck["status"] = {"startTime": at(300), "active": 1}
    waiting = pod(
        "invoice-export-29551200-q7x2p",
        phase="Pending",
        owner=("Job", "invoice-export-29551200"),
        labels={"job-name": "invoice-export-29551200"},
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/4 nodes are available: 4 Insufficient memory.",
                "lastTransitionTime": at(300),
            }
        ],
    )
    del waiting["spec"]["nodeName"]
    skipped = event(
        "CronJob",
        "invoice-export",
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
        type_="Normal",
        count=19,
    )
    findings = run([cron, stuck, waiting, skipped], scope(workload="invoice-export"))
    [finding] = by_prefix(findings, "eks:cronjob-blocked-by-active-job:")
    assert (
        "19 x JobAlreadyActive" in finding.title
        and "Job invoice-export-29551200 still active" in finding.title
    )
    assert "Insufficient memory" in finding.title and finding.cause_hint is CauseCategory.UNSCHEDULABLE
    allowed = cronjob(concurrencyPolicy="Allow")
    allowed["status"]["active"] = cron["status"]["active"]
    assert not by_prefix(
        run([allowed, stuck, skipped], scope(workload="invoice-export")), "eks:cronjob-blocked"
    )
