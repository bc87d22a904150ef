"""The report names the specific thing that broke, from the cause's own evidence (built here): which
probe on which port and path, which action on which resource was denied and to whom, which volume
is attached elsewhere or which provisioner a volume waits on."""

from __future__ import annotations

from test_chain import alert, log
from test_synthesis import ago, ok

from agents.master.specifics import specific
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity


def pod_finding(fid: str, title: str, event: str, cause: CauseCategory) -> Finding:
    return Finding(
        id=f"eks:{fid}",
        agent="eks",
        severity=Severity.CRITICAL,
        title=title,
        resources=("shop/Pod/cart-api-6c8f9d7b54-tq2vx", "shop/Deployment/cart-api"),
        first_seen=ago(12),
        last_seen=ago(1),
        cause_hint=cause,
        relevance=1.0,
        evidence=(
            Evidence(
                kind=EvidenceKind.K8S_EVENT, reference="shop/Event/cart-api.1", excerpt=event, at=ago(12)
            ),
        ),
    )


def test_the_failing_probe_is_named_with_its_kind_port_and_path() -> None:
    crash = pod_finding(
        "pod-crashloop:shop/cart-api/app",
        "CrashLoopBackOff: pod shop/cart-api-6c8f9d7b54-tq2vx container app, exit code 143",
        'Warning Unhealthy on Pod/cart-api-6c8f9d7b54-tq2vx: Liveness probe failed: Get "http://10.2.4.133:8080'
        '/actuator/health/liveness": dial tcp 10.2.4.133:8080: connect: connection refused (x24)',
        CauseCategory.PROBE_FAILURE,
    )
    summary = synthesize(alert("cart-api", "shop"), [ok("eks", crash)]).cause.summary
    assert (
        "Specifically: the liveness probe (HTTP port 8080, path /actuator/health/liveness) fails: "
        "connection refused." in summary
    )
    readiness = crash.model_copy(
        update={
            "evidence": (
                crash.evidence[0].model_copy(
                    update={"excerpt": "Readiness probe failed: HTTP probe failed with statuscode: 503"}
                ),
            )
        }
    )
    summary = synthesize(alert("cart-api", "shop"), [ok("eks", readiness)]).cause.summary
    assert "Specifically: the readiness probe gets HTTP 503." in summary


def test_the_denied_action_resource_and_principal_are_named() -> None:
    denied = log(
        "errors:kms",
        "ClientError: (AccessDenied) calling GetObject: User: arn:aws:sts::381492650117:assumed-role/"
        "documents-irsa/botocore-session-1 is not authorized to perform: kms:Decrypt on resource: "
        "arn:aws:kms:us-east-1:381492650117:key/3f9c2a1e because of a policy",
        ago(15),
        CauseCategory.PERMISSION_DENIED,
    )
    # As scanners title a long line: cut where it starts to say what was denied.
    denied = denied.model_copy(
        update={"title": 'Access denied: 120x "…calling GetObject: User: arn:aws:sts::3814…"'}
    )
    summary = synthesize(alert("documents", "docs"), [ok("cloudwatch_logs", denied)]).cause.summary
    assert (
        "Specifically: kms:Decrypt is denied to documents-irsa on "
        "arn:aws:kms:us-east-1:381492650117:key/3f9c2a1e." in summary
    )


def test_the_volume_attached_elsewhere_is_named_and_a_value_the_title_says_is_not_repeated() -> None:
    stuck = pod_finding(
        "pod-volume:shop/cart-db/db",
        "Stuck in ContainerCreating (FailedAttachVolume): pod shop/cart-api-6c8f9d7b54-tq2vx",
        'Warning FailedAttachVolume: Multi-Attach error for volume "pvc-3c1f7a2e" Volume is already '
        "exclusively attached to one node and can't be attached to another",
        CauseCategory.STORAGE_FAILURE,
    )
    summary = synthesize(alert("cart-api", "shop"), [ok("eks", stuck)]).cause.summary
    assert "Specifically: volume pvc-3c1f7a2e is still attached to another node (Multi-Attach)." in summary
    waiting = stuck.model_copy(
        update={
            "title": 'PVC shop/data waits on external provisioner "ebs.csi.aws.com"',
            "evidence": (
                stuck.evidence[0].model_copy(
                    update={
                        "excerpt": "waiting for a volume to be created by external provisioner "
                        '"ebs.csi.aws.com"'
                    }
                ),
            ),
        }
    )
    summary = synthesize(alert("cart-api", "shop"), [ok("eks", waiting)]).cause.summary
    assert "Specifically" not in summary  # the title already names the provisioner


def test_a_coredns_forwarding_loop_is_named_by_its_plugin_and_addresses() -> None:
    tail = Finding(
        id="eks:pod-log-errors:kube-system/coredns-5d8c9b7f6-7xq2m/coredns/previous",
        agent="eks",
        severity=Severity.WARNING,
        title="Log of the previous (crashed) container coredns: [FATAL] plugin/loop: Loop "
        '(127.0.0.1:51374 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting.',
        relevance=0.9,
        cause_hint=CauseCategory.NETWORK_FAILURE,
    )
    said = specific(CauseCategory.NETWORK_FAILURE, [tail], [tail.id], "")
    assert "plugin/loop" in said and "127.0.0.1:51374 -> :53" in said and "zone ." in said
