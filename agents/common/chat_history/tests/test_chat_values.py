"""A change written in chat is reported with the thing it touches and the value it set, in the
finding's title, so a report citing the change names the value: the replicas a scale asked for,
what an edit made a setting into, the flag and its rollout, the field a manifest moves, the
certificate root rotated. Questions and guesses are not changes."""

from __future__ import annotations

import pytest
from test_chat_scanner import alert, by_kind, scan

from agents.common.chat_history.extract import Kind, classify
from sandbox.memory_chat import MemoryChat
from shared.contracts import Trigger


def _titles(*messages: str) -> list[str]:
    chat = MemoryChat(read_only=True, users={"U0OPS": "ops"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        *((20 - i, "U0OPS", text) for i, text in enumerate(messages)),
        (2, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
    )
    _, findings, _ = scan(chat, alert())
    return [f.title for f in by_kind(findings, "config")]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            "bumping the workers so the backlog drains:\n```kubectl -n analytics scale deploy/report-worker "
            "--replicas=40```",
            ["report-worker", "replicas to 40"],
        ),
        (
            "peak season prep: bumped label-printer-worker from 4 to 16 replicas (values-prod.yaml)",
            ["label-printer-worker", "replicas from 4 to 16"],
        ),
        (
            "pointed coredns at the corp resolver: `kubectl -n kube-system edit configmap coredns` -> "
            "`forward . 10.40.0.2` (was /etc/resolv.conf). reload plugin picked it up",
            ["coredns edited: forward . 10.40.0.2 (was /etc/resolv.conf)"],
        ),
        (
            "LaunchDarkly: flag `cart-autosave-v2` production targeting 5% -> 100%",
            ["feature flag cart-autosave-v2 from 5% to 100%"],
        ),
        (
            "final step, old root removed from the bundle:\n```linkerd upgrade --identity-trust-anchors-file="
            "./ca-new.crt | kubectl apply -f -```",
            ["trust anchor rotated", "linkerd"],
        ),
        (
            "merging the docs-portal chart change: moving it to the public ingress "
            "(ingressClassName nginx-public)",
            ["ingressClassName to nginx-public"],
        ),
        (
            "kubectl -n finance patch deploy ledger-api -p "
            '\'{"spec":{"template":{"spec":{"containers":[{"name":"app","readinessProbe":{"httpGet":{"port":8081}}}]}}}}\'',
            ["ledger-api", "readinessProbe.httpGet.port=8081"],
        ),
        (
            'applying #612 on prod:\n```\nmodule.eks_nodegroups.aws_eks_node_group.search["search-r7i"]: '
            "Creation complete after 3m12s\nApply complete! Resources: 1 added, 0 changed, 1 destroyed.```",
            ["node group changed by Terraform", 'search["search-r7i"]'],
        ),
    ],
)
def test_a_change_title_names_what_it_touched_and_the_value_it_set(text: str, named: list[str]) -> None:
    [title] = _titles(text)
    for part in named:
        assert part in title


@pytest.mark.parametrize(
    "text",
    [
        "cart-service HPA is maxed at 12, shall I bump maxReplicas to 30?",
        "maybe it's the coredns config? should we set replicas to 4?",
        "is RDS doing its maintenance early?? tracker can't talk to the db",
    ],
)
def test_a_question_or_a_guess_is_not_a_change(text: str) -> None:
    assert not [m for m in classify(text, bot=False) if m.kind in (Kind.CONFIG, Kind.INFRA, Kind.DEPLOY)]


def test_a_change_to_cluster_dns_is_plausible_for_an_alert_that_does_not_name_it() -> None:
    chat = MemoryChat(read_only=True, users={"U0OPS": "ops"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (19, "U0OPS", "`kubectl -n kube-system edit configmap coredns` -> `forward . 10.40.0.2`"),
        (18, "U0OPS", "`kubectl -n search edit configmap search-settings` -> `timeout 30s`"),
        (2, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
    )
    _, findings, _ = scan(chat, alert())
    dns = next(f for f in by_kind(findings, "config") if "coredns" in f.title)
    other = next(f for f in by_kind(findings, "config") if "search-settings" in f.title)
    assert dns.change is Trigger.CONFIG_CHANGE and dns.relevance >= 0.5 > other.relevance


def test_a_plan_posted_then_applied_by_its_author_is_the_change_it_plans() -> None:
    plan = (
        "migrating the media roles to iam-roles module v3, plan looks clean:\n```\n"
        "# module.media_api_irsa.aws_iam_role.this will be updated in-place\n"
        '  ~ assume_role_policy = jsonencode(\n      ~ "oidc.eks.us-east-2.amazonaws.com/id/6B1F:sub" = '
        '"system:serviceaccount:media:media-api" -> "system:serviceaccount:media:media-api-sa"\n    )\n'
        "Plan: 0 to add, 1 to change, 0 to destroy.\n```"
    )
    titles = _titles(plan, "applied. media-api-irsa now managed by v3")
    [trust] = [t for t in titles if "trust policy" in t]
    assert "media-api-sa" in trust
    assert not _titles(plan)  # shown for review only: not a change


def test_a_flag_named_like_the_alerts_workload_is_more_plausible_than_another() -> None:
    chat = MemoryChat(read_only=True, users={"U0OPS": "ops"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (19, "U0OPS", "LaunchDarkly: flag `checkout-autosave-v2` production targeting 5% -> 100%"),
        (18, "U0OPS", "LaunchDarkly: flag `search-ranking-v3` production targeting 5% -> 100%"),
        (2, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
    )
    _, findings, _ = scan(chat, alert())
    ours = next(f for f in by_kind(findings, "config") if "checkout-autosave-v2" in f.title)
    other = next(f for f in by_kind(findings, "config") if "search-ranking-v3" in f.title)
    assert ours.relevance >= 0.5 > other.relevance


def test_a_coredns_edit_is_named_by_the_service_clients_resolve_through() -> None:
    chat = MemoryChat(read_only=True, users={"U0OPS": "ops"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (19, "U0OPS", "`kubectl -n kube-system edit configmap coredns` -> `forward . 10.40.0.2`"),
        (2, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
    )
    _, findings, _ = scan(chat, alert())
    [dns] = by_kind(findings, "config")
    assert {"coredns", "kube-dns"} <= set(dns.resources)


def test_an_image_going_live_is_a_release_and_a_node_group_apply_is_infrastructure() -> None:
    [live] = classify("new build image ci-builder:2026.12 (9.8GB) is live for all pipelines", bot=False)
    assert (live.kind, live.service, live.version) == (Kind.DEPLOY, "ci-builder", "2026.12")
    [nodes] = classify(
        'applying #612:\nmodule.eks_nodegroups.aws_eks_node_group.search["search-r7i"]: Creation complete\n'
        "Apply complete! Resources: 1 added, 0 changed, 1 destroyed.",
        bot=False,
    )
    assert nodes.kind is Kind.INFRA and "search-r7i" in (nodes.thing or "")
    assert [m.kind for m in classify("flash sale is live, 2M emails went out", bot=False)] == [Kind.TRAFFIC]


def test_a_setting_changed_on_a_named_workload_is_a_change_to_it() -> None:
    [m] = classify("changed the readiness probe port to 8081 on ledger-api", bot=False)
    assert (m.kind, m.service, m.key, m.new) == (Kind.CONFIG, "ledger-api", "port", "8081")
    [later] = classify("set maxReplicas: 30 for now", bot=False)
    assert later.service is None and (later.key, later.new) == ("maxReplicas", "30")
