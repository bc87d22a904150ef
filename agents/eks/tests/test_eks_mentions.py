"""An alert a person wrote in chat, with no namespace: the workloads its prose names set where the
scanner looks and what the findings are about (a Service named there that selects no pod is the
alert's own problem, not one object among a cluster-wide scan)."""

from __future__ import annotations

from eks_builders import by_prefix, obj, pod, run, running, scope
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.common.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.mentions import lead_alert_names, mentioned_workloads, names_in, words_in
from agents.eks.reader import KubeReader
from shared.contracts import CauseCategory, Severity, Trigger
from shared.relevance import Relevance

TEXT = "every thumbnail is broken since ~20 min. media-gateway logs are full of ECONNREFUSED to thumbnailer"


def cluster() -> list[dict]:
    return [
        obj(
            "Service",
            "thumbnailer",
            "media",
            api="v1",
            spec={"selector": {"app": "thumbnailer", "tier": "backend"}, "ports": [{"port": 80}]},
        ),
        pod(
            "thumbnailer-5d9f8c7b6-2xk9q",
            "media",
            labels={"app": "thumbnailer", "tier": "worker"},
            statuses=[running()],
            owner=("ReplicaSet", "thumbnailer-5d9f8c7b6"),
        ),
        pod(
            "media-gateway-6c7d8e9f5-abcde",
            "media",
            labels={"app": "media-gateway"},
            statuses=[running()],
            owner=("ReplicaSet", "media-gateway-6c7d8e9f5"),
        ),
        pod("web-7d9f8c6b5-x2k4p", "shop", labels={"app": "web"}, statuses=[running()]),
        pod("web-7d9f8c6b5-y3l5q", "blog", labels={"app": "web"}, statuses=[running()]),
    ]


def test_only_names_of_running_workloads_count_in_the_order_the_text_gives_them() -> None:
    names = names_in([TEXT + " (the web pods look fine, see https://grafana.acme.test/d/media)"])
    assert "thumbnail" in names and "media-gateway" in names
    found = mentioned_workloads(names, cluster())
    # "thumbnail" runs nowhere; "web" runs in two namespaces and is too short to trust anyway.
    assert [(m.namespace, m.name) for m in found] == [("media", "media-gateway"), ("media", "thumbnailer")]


def test_a_chat_alert_naming_its_workloads_is_scanned_in_their_namespace() -> None:
    the_scope = scope()
    with KubeStub(cluster(), {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), the_scope, Budget.of(10), names=names_in([TEXT]))
        blind = gather(KubeReader(api), the_scope, Budget.of(10))
    assert blind.scope is None and not blind.state.kind("Service")  # cluster-wide: no Services
    assert gathered.scope is not None and gathered.scope.namespace == "media"
    assert (gathered.scope.workload, gathered.scope.service) == ("media-gateway", "thumbnailer")
    findings, _ = analyze(gathered.state, gathered.scope, load_signatures())
    [selector] = by_prefix(findings, "eks:service-selects-no-pod:media/thumbnailer")
    assert selector.cause_hint is CauseCategory.NETWORK_FAILURE and selector.severity is Severity.CRITICAL
    assert "tier=backend" in selector.title and "tier=worker" in selector.title
    assert selector.relevance >= Relevance.DIRECT


def test_a_service_whose_pods_were_all_recreated_with_other_labels_was_broken_by_their_rollout() -> None:
    service, old_pod, *_ = cluster()
    relabelled = pod(
        "thumbnailer-5d9f8c7b6-2xk9q",
        "media",
        labels={"app": "thumbnailer", "tier": "worker"},
        statuses=[running()],
        created=20,
    )
    findings = run([service, relabelled], scope(namespace="media", service="thumbnailer"))
    [selector] = by_prefix(findings, "eks:service-selects-no-pod:media/thumbnailer")
    assert (
        selector.change is Trigger.DEPLOY and "created 18 min before the alert by a rollout" in selector.title
    )
    findings = run([service, old_pod], scope(namespace="media", service="thumbnailer"))
    [selector] = by_prefix(findings, "eks:service-selects-no-pod:media/thumbnailer")
    assert selector.change is None


GROUP = (
    "[FIRING:2] KubeJobFailed, CronJobNoRecentSuccess (billing)\n"
    "- Job failed to complete. [alertname=KubeJobFailed, job_name=invoice-rollup-2947, namespace=billing]\n"
    "- CronJob billing/ledger-archive has not completed [alertname=CronJobNoRecentSuccess, "
    "cronjob=ledger-archive, namespace=billing, severity=critical]"
)


def test_the_lead_alert_of_a_group_names_the_subject() -> None:
    assert lead_alert_names(GROUP, "CronJobNoRecentSuccess") == ("ledger-archive",)
    assert lead_alert_names(GROUP, "KubeJobFailed") == ("invoice-rollup-2947",)
    one = "- Pod crash [alertname=KubePodCrashLooping, pod=api-7d9f8c6b5-x2k4p, namespace=shop]"
    assert lead_alert_names(one, "KubePodCrashLooping") == ()  # a single alert's labels are its hints


def test_a_grouped_alert_about_a_suspended_cronjob_is_about_that_cronjob() -> None:
    cron = obj(
        "CronJob",
        "ledger-archive",
        "billing",
        api="batch/v1",
        spec={"schedule": "15 1 * * *", "suspend": True, "jobTemplate": {"spec": {}}},
        status={"lastScheduleTime": "2026-11-20T01:15:00Z"},
    )
    other = obj("CronJob", "invoice-rollup", "billing", api="batch/v1", spec={"schedule": "0 * * * *"})
    names = lead_alert_names(GROUP, "CronJobNoRecentSuccess")
    with KubeStub([cron, other], {}) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api), scope(namespace="billing"), Budget.of(10), names=names)
    assert gathered.scope is not None and gathered.scope.workload == "ledger-archive"
    findings, _ = analyze(gathered.state, gathered.scope, load_signatures())
    [suspended] = by_prefix(findings, "eks:cronjob-suspended:billing/ledger-archive")
    assert suspended.cause_hint is CauseCategory.BAD_CONFIG and suspended.relevance >= Relevance.DIRECT


def _workloads() -> list[dict]:
    return [
        pod(
            "checkout-gateway-69b7c8d5f-fk2tn",
            "checkout",
            labels={"app": "checkout-gateway"},
            statuses=[running()],
        ),
        pod("checkout-web-5c8d7f9b6-q2w3e", "checkout", labels={"app": "checkout-web"}, statuses=[running()]),
        pod("api-6d5c4b3a2-zx9yq", "payments", labels={"app": "api"}, statuses=[running()]),
        pod("api-7e6d5c4b3-ab1cd", "ledger", labels={"app": "api"}, statuses=[running()]),
        pod("gateway-8f7e6d5c4-lm3no", "edge", labels={"app": "gateway"}, statuses=[running()]),
    ]


def test_a_workload_spelled_out_in_separate_words_is_found() -> None:
    text = 'checkout is failing card payments, gateway logs full of "getaddrinfo EAI_AGAIN"'
    found = mentioned_workloads(names_in([text]), _workloads(), words_in([text]))
    assert [(m.namespace, m.name) for m in found][:1] == [("checkout", "checkout-gateway")]


def test_one_plain_word_names_a_workload_only_with_its_namespace() -> None:
    # "api" runs in two namespaces; the text says which.
    text = "the api in payments answers 500 since the last hour"
    found = mentioned_workloads(names_in([text]), _workloads(), words_in([text]))
    assert [(m.namespace, m.name) for m in found] == [("payments", "api")]
    # Without a namespace word, a short plain word is no workload: "api" is an everyday word.
    vague = "some api errors, not sure where"
    assert mentioned_workloads(names_in([vague]), _workloads(), words_in([vague])) == []


def test_an_exact_name_wins_over_words_that_spell_another() -> None:
    text = "checkout-web is slow; the checkout gateway looks fine"
    found = mentioned_workloads(names_in([text]), _workloads(), words_in([text]))
    assert (found[0].namespace, found[0].name) == ("checkout", "checkout-web")
    assert "checkout-gateway" not in [m.name for m in found]
