"""Alert contexts from Slack/Discord text and Alertmanager labels: hints, window, id."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from shared.alerts.context import build_alert_context, workload_of_pod
from shared.contracts import Platform, Severity

T = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)


def ctx_of(text: str = "", **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("platform", "slack")
    kw.setdefault("channel", "C0ALERTS")
    kw.setdefault("received_at", T)
    return build_alert_context(text=text, **kw)  # type: ignore[arg-type]


def test_slack_alertmanager_message_gives_every_hint() -> None:
    ctx = ctx_of(
        "<@U0SREBOT> :red_circle: [FIRING:1] KubePodCrashLooping (prod-eks)\n"
        'Pod shop/checkout-7d9f8c6b5-x2k4p (app) is in waiting state (reason: "CrashLoopBackOff").\n'
        "severity=critical namespace=shop"
    )
    h = ctx.hints

    assert h.alert_name == "KubePodCrashLooping"
    assert h.cluster == "prod-eks"
    assert (h.namespace, h.pod, h.container, h.workload) == (
        "shop",
        "checkout-7d9f8c6b5-x2k4p",
        "app",
        "checkout",
    )
    assert h.severity is Severity.CRITICAL


def test_alertmanager_default_slack_template() -> None:
    h = ctx_of(
        "*[FIRING:1] KubePodCrashLooping (app prod-eks shop checkout-7d9f8c6b5-x2k4p critical)*\n"
        "*Alert:* Pod is crash looping. - `critical`\n"
        "*Description:* Pod shop/checkout-7d9f8c6b5-x2k4p (app) is in waiting state "
        '(reason: "CrashLoopBackOff").\n'
        "*Details:*\n"
        "  • *alertname:* `KubePodCrashLooping`\n"
        "  • *cluster:* `prod-eks`\n"
        "  • *namespace:* `shop`\n"
    ).hints

    assert (h.alert_name, h.cluster, h.namespace, h.pod, h.container, h.severity) == (
        "KubePodCrashLooping",
        "prod-eks",
        "shop",
        "checkout-7d9f8c6b5-x2k4p",
        "app",
        Severity.CRITICAL,
    )


def test_unnamed_label_values_in_the_title_give_only_what_their_shape_shows() -> None:
    h = ctx_of("[FIRING:2] HighErrorRate (checkout checkout-7d9f8c6b5-x2k4p warning)").hints
    assert (h.pod, h.severity, h.namespace, h.cluster) == (
        "checkout-7d9f8c6b5-x2k4p",
        Severity.WARNING,
        None,  # `container` (named like the workload) sorts just before `pod`, not a namespace
        None,
    )
    assert ctx_of("[FIRING:1] HighErrorRate (critical)").hints.cluster is None


def test_title_form_with_namespace_and_pod_after_the_alert_name() -> None:
    h = ctx_of("[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p").hints

    assert (h.alert_name, h.namespace, h.pod, h.workload) == (
        "KubePodCrashLooping",
        "shop",
        "checkout-7d9f8c6b5-x2k4p",
        "checkout",
    )


def test_slack_markup_is_stripped_and_channel_links_are_kept_as_extra_channels() -> None:
    ctx = ctx_of(
        "<!channel> <@U123ABC|oncall> checkout is down, see <https://grafana.example/d/abc|dashboard> "
        "and <#C0DEPLOYS|deploys>: deployment=checkout namespace=&lt;shop&gt;"
    )

    assert ctx.hints.extra_channels == ("C0DEPLOYS",)
    assert ctx.hints.workload == "checkout"
    assert ctx.hints.namespace is None  # `<shop>` is not a Kubernetes name
    assert ctx.text.startswith("<!channel>")  # the original text is kept for the agents


def test_discord_mentions_and_key_value_with_quotes() -> None:
    h = ctx_of(
        '<@!123456789012345678> alert HighLatency service="payments-api" cluster: prod-eks severity: warning',
        platform="discord",
        channel="1100000000000000001",
    ).hints

    assert (h.service, h.cluster, h.severity) == ("payments-api", "prod-eks", Severity.WARNING)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("kubectl rollout status deployment/checkout -n shop", "workload", "checkout"),
        ("statefulset shop/redis is degraded", "workload", "redis"),
        ("service payments-api returns 503", "service", "payments-api"),
        ("svc/payments-api has no endpoints", "service", "payments-api"),
        ("node ip-10-0-3-17.ec2.internal NotReady", "node", "ip-10-0-3-17.ec2.internal"),
        (
            "errors in /aws/containerinsights/prod-eks/application since 21:00",
            "log_groups",
            ("/aws/containerinsights/prod-eks/application",),
        ),
        ("pods crashing in cluster prod-eks", "cluster", "prod-eks"),
        ("[critical] checkout down", "severity", Severity.CRITICAL),
    ],
)
def test_object_references_in_prose(text: str, field: str, value: object) -> None:
    assert getattr(ctx_of(text).hints, field) == value


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("ALB for tile-proxy is returning 502s since 14:05", "tile-proxy"),
        ("rewards-redemption dashboard is all red", "rewards-redemption"),
        (
            'point redemptions are failing for a lot of members since ~15 min ("something went wrong, try '
            'again"). rewards-redemption dashboard is all red',
            "rewards-redemption",
        ),
        ("the orders service keeps timing out", "orders"),
        ("invoice-worker queue is backing up", "invoice-worker"),
        ("the accounts-web target group has no healthy targets", "accounts-web"),
        ("latency for search-api is spiking", "search-api"),
        ("users report login failures on auth-api since the deploy", "auth-api"),
        ("@sre-bot ledger-sync has been throwing SocketTimeoutException since 9:10", "ledger-sync"),
        # After a mention, a bare word is as often a product area as a service: not taken.
        ("@sre-bot checkout is failing at the shipping step. quote-svc errors since 10:02", "quote-svc"),
        ("@sre-bot why did the acme-store basket-api stop working?", "basket-api"),
        ("payments-gw isn't working since the maintenance", "payments-gw"),
    ],
)
def test_a_persons_own_words_name_the_application(text: str, service: str) -> None:
    """The application a person names, never the verb beside it ("returning 502s", "keeps")."""
    assert ctx_of(text).hints.service == service


def test_prose_words_after_kinds_are_not_taken_for_names() -> None:
    h = ctx_of("the service is down and the pod is restarting").hints

    assert h.service is None and h.pod is None


@pytest.mark.parametrize(
    "text",
    ["why are pods stuck in namespace payments?", "why pods stuck in namespace payments?"],
)
def test_a_questions_own_words_and_states_are_not_taken_for_names(text: str) -> None:
    h = ctx_of(text).hints

    assert h.namespace == "payments"
    assert h.service is None and h.workload is None


def test_a_state_after_a_kind_is_not_its_name() -> None:
    h = ctx_of("pods in namespace stuck pending since the upgrade").hints

    assert h.namespace is None


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("checkout is returning 503 Service Temporarily Unavailable since 10 minutes", "checkout"),
        ("HTTP 503 Service Unavailable from service payments-api", "payments-api"),
    ],
)
def test_an_http_reason_phrase_is_not_a_service_reference(text: str, service: str) -> None:
    assert ctx_of(text).hints.service == service


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("evicting pods from nodes in node group ng-general failed", None),
        ("the node pool spot-arm is short of capacity", None),
        (
            "update failed in node group ng-general; "
            "ip-10-20-3-41.eu-west-1.compute.internal is still cordoned",
            "ip-10-20-3-41.eu-west-1.compute.internal",
        ),
    ],
)
def test_a_group_of_nodes_is_not_a_node_name(text: str, node: str | None) -> None:
    assert ctx_of(text).hints.node == node


def test_alertmanager_labels_win_over_text_and_annotations() -> None:
    ctx = build_alert_context(
        platform=Platform.ALERTMANAGER,
        channel="C0ALERTS",
        received_at=T,
        starts_at=T - timedelta(minutes=4),
        text="namespace=wrong",
        labels={
            "alertname": "HighErrorRate",
            "namespace": "payments",
            "service": "payments-api",
            "severity": "critical",
            "job": "kubernetes-pods",
            "instance": "ip-10-0-1-42.ec2.internal:8080",
            "log_group": "/aws/containerinsights/prod-eks/application",
        },
        annotations={
            "summary": "payments-api 5xx ratio above 5% in namespace other",
            "log_groups": "/aws/rds/instance/payments-db/postgresql",
        },
        generator_url="http://prometheus:9090/graph?g0.expr=x",
        cluster_default="prod-eks",
        region="eu-west-1",
    )
    h = ctx.hints

    assert (h.alert_name, h.namespace, h.service, h.severity) == (
        "HighErrorRate",
        "payments",
        "payments-api",
        Severity.CRITICAL,
    )
    assert h.node == "ip-10-0-1-42.ec2.internal"
    assert h.log_groups == (
        "/aws/containerinsights/prod-eks/application",
        "/aws/rds/instance/payments-db/postgresql",
    )
    assert (h.cluster, h.region, h.generator_url) == (
        "prod-eks",
        "eu-west-1",
        "http://prometheus:9090/graph?g0.expr=x",
    )


def test_workload_comes_from_the_pod_label_when_absent() -> None:
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C1",
        received_at=T,
        labels={"alertname": "KubePodNotReady", "namespace": "data", "pod": "kafka-2"},
    )
    assert ctx.hints.workload == "kafka"


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("checkout-7d9f8c6b5-x2k4p", "checkout"),
        ("payments-api-84c6d9b7f-t4w9z", "payments-api"),
        ("checkout-7d9f-x2k4p", "checkout"),
        ("redis-0", "redis"),
        ("fluent-bit-x7k2p", "fluent-bit"),
        ("payments-api-server", None),
        ("checkout", None),
    ],
)
def test_workload_of_pod(pod: str, workload: str | None) -> None:
    assert workload_of_pod(pod) == workload


def test_window_reaches_back_from_the_alert_start_to_just_after_receipt() -> None:
    started = T - timedelta(minutes=4)
    ctx = build_alert_context(
        platform="alertmanager", channel="C1", received_at=T, starts_at=started, window_minutes=30
    )

    assert ctx.anchor == started
    assert ctx.window_start == started - timedelta(minutes=30)
    assert T < ctx.window_end <= T + timedelta(minutes=5)


def test_a_naive_receipt_time_is_taken_as_utc() -> None:
    ctx = ctx_of("x", received_at=datetime(2026, 11, 22, 21, 40))
    assert ctx.received_at == T


def test_investigation_id_is_stable_per_thread_and_distinct_across_threads() -> None:
    a = ctx_of("x", thread_id="1795383600.000100")
    again = ctx_of("different text, same thread", thread_id="1795383600.000100")
    other = ctx_of("x", thread_id="1795383600.000200")

    assert a.investigation_id == again.investigation_id
    assert a.investigation_id != other.investigation_id
    assert len(a.investigation_id) >= 8 and a.investigation_id.startswith("slack-")
    assert ctx_of("x", investigation_id="given-id-123").investigation_id == "given-id-123"


def test_alerts_without_a_thread_are_told_apart_by_labels_and_start() -> None:
    def am(name: str, start: datetime) -> str:
        return build_alert_context(
            platform="alertmanager", channel="C1", received_at=T, starts_at=start, labels={"alertname": name}
        ).investigation_id

    assert am("A", T) == am("A", T)
    assert am("A", T) != am("B", T)
    assert am("A", T) != am("A", T - timedelta(minutes=1))


def test_operator_notes_and_long_text_are_kept_within_the_contract() -> None:
    ctx = ctx_of("x" * 30_000, operator_notes=("  ", "checked the DB already"))

    assert len(ctx.text) == 20_000
    assert ctx.operator_notes == ("checked the DB already",)


def test_importing_the_context_builder_stays_light() -> None:
    code = (
        "import sys, shared.alerts.context as c; "
        "heavy = ('strands', 'kubernetes', 'a2a', 'slack_sdk', 'boto3', 'httpx'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"


KSM_LABELS = (
    "checkout http 10.42.1.17:8080 kube-state-metrics {pod} monitoring/kube-prometheus-stack-prometheus "
    "CrashLoopBackOff kube-prometheus-stack-kube-state-metrics warning 9b2c6d0e-5f3a-4d1b-8e7f-2a4c6e8b0d13"
)
POD = "checkout-7d9f8c6b5-x2k4p"


def test_alertmanager_title_grouped_by_namespace_as_kube_prometheus_does() -> None:
    h = ctx_of(f"[FIRING:1] shop (KubePodCrashLooping {KSM_LABELS.format(pod=POD)})").hints

    assert (h.alert_name, h.namespace, h.pod, h.workload, h.severity) == (
        "KubePodCrashLooping",
        "shop",
        POD,
        "checkout",
        Severity.WARNING,
    )
    assert h.service is None  # the exporter's service label is not the application


def test_alertmanager_title_grouped_by_alertname_cluster_service() -> None:
    text = (
        "[FIRING:1] KubePodCrashLooping prod-eks checkout "
        f"(checkout http 10.42.1.17:8080 kube-state-metrics shop {POD} warning)"
    )
    h = ctx_of(text).hints

    assert (h.alert_name, h.namespace, h.pod, h.severity) == (
        "KubePodCrashLooping",
        "shop",
        POD,
        Severity.WARNING,
    )


def test_grafana_labels_section_keeps_alert_names_with_spaces() -> None:
    h = ctx_of(
        "[FIRING:1] Apps High 5xx rate (checkout shop critical)\n**Firing**\n\nValue: B=7.2\nLabels:\n"
        " - alertname = High 5xx rate\n - grafana_folder = Apps\n - namespace = shop\n - service = checkout\n"
        " - severity = critical\nAnnotations:\n - summary = 5xx above 5% for 5m\n"
    ).hints

    assert (h.alert_name, h.namespace, h.service, h.severity) == (
        "High 5xx rate",
        "shop",
        "checkout",
        Severity.CRITICAL,
    )


@pytest.mark.parametrize(
    "labels",
    [
        {
            "alertname": "KubePodNotReady",
            "job": "kube-state-metrics",
            "service": "kube-prometheus-stack-kube-state-metrics",
        },
        {
            "alertname": "NodeFilesystemSpaceFillingUp",
            "job": "node-exporter",
            "service": "prometheus-node-exporter",
        },
        {"alertname": "TargetDown", "job": "blackbox-exporter", "container": "blackbox-exporter"},
    ],
)
def test_exporter_labels_are_not_the_application(labels: dict[str, str]) -> None:
    h = ctx_of(labels=labels).hints
    assert h.service is None and h.workload is None


def test_exported_labels_win_over_the_scrape_targets() -> None:
    h = ctx_of(
        labels={
            "namespace": "monitoring",
            "exported_namespace": "shop",
            "service": "pushgateway",
            "exported_service": "checkout",
        }
    ).hints
    assert (h.namespace, h.service) == ("shop", "checkout")


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("[FIRING:1] Watchdog (monitoring/kube-prometheus-stack-prometheus none)", "Watchdog"),
        ("[FIRING:1] etcdMembersDown (etcd kube-system critical)", "etcdMembersDown"),
        ("[FIRING:2] KubeHpaMaxedOut (http kube-state-metrics shop warning)", "KubeHpaMaxedOut"),
        ("[FIRING:1] Apps High 5xx rate (checkout shop critical)", None),  # Grafana: folder + name
        ("[FIRING:1] shop (kube-state-metrics warning)", None),
    ],
)
def test_the_alert_name_in_a_title_is_told_by_its_shape(title: str, name: str | None) -> None:
    assert ctx_of(title).hints.alert_name == name


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("can you check why payments is returning 503?", "service", "payments"),
        ("seeing lots of 504s from cart-service since 10:40", "service", "cart-service"),
        ("hey team, anyone else seeing checkout failures?", "service", "checkout"),
        ("is the checkout service down?", "service", "checkout"),
        ("checkout-api pods are crashlooping in staging", "workload", "checkout-api"),
        ("redis in shop namespace is OOMing", "namespace", "shop"),
    ],
)
def test_a_persons_words_name_the_application(text: str, field: str, value: str) -> None:
    assert getattr(ctx_of(text).hints, field) == value


def test_loose_prose_is_not_read_in_a_tools_message() -> None:
    h = ctx_of(
        "Alarm Name: checkout-alb-5xx\nAlarm Description: 5xx from the checkout target group above 5%"
    ).hints
    assert h.alert_name == "checkout-alb-5xx" and h.service is None


def test_label_tables_in_pipes_or_aligned_columns_are_read() -> None:
    piped = ctx_of("| alertname | KubePodCrashLooping |\n| namespace | shop |\n| severity | warning |").hints
    aligned = ctx_of("```\nalertname   KubePodCrashLooping\nnamespace   shop\nseverity    warning\n```").hints
    for h in (piped, aligned):
        assert (h.alert_name, h.namespace, h.severity) == ("KubePodCrashLooping", "shop", Severity.WARNING)


def test_a_title_grouped_by_cluster_takes_the_namespace_sorted_before_the_pod() -> None:
    text = f"[FIRING:1] prod-eks (KubePodCrashLooping checkout http kube-state-metrics shop {POD} warning)"
    assert ctx_of(text).hints.namespace == "shop"


@pytest.mark.parametrize(
    "footer", ["CHECKOUT-API-1A via Checkout errors", "CHECKOUT-API-1A | Apr 5 | via Checkout errors"]
)
def test_a_sentry_footer_names_the_project_and_the_rule(footer: str) -> None:
    h = ctx_of(f"ZeroDivisionError: division by zero\n{footer}").hints
    assert (h.service, h.alert_name) == ("checkout-api", "Checkout errors")
    # Lower case is no short id: a URL path with `via` after it names nothing.
    assert ctx_of("see grafana-oncall-app/alert-groups/IW7A8 via Kubernetes").hints.service is None


def test_a_group_of_alerts_is_about_the_application_its_exporter_alert_does_not_name() -> None:
    # Two rules in one notification: the kube-state-metrics alert's own `service` is the exporter's;
    # the application's alert after it names the service the group is about.
    h = ctx_of(
        "[FIRING:2] KubeHpaMaxedOut, CartLatencyHigh (shop)\n"
        "- HPA at max [alertname=KubeHpaMaxedOut, horizontalpodautoscaler=cart, namespace=shop, "
        "service=kube-prometheus-stack-kube-state-metrics, severity=warning]\n"
        "- cart p95 above 1s [alertname=CartLatencyHigh, namespace=shop, service=cart, severity=critical]"
    ).hints
    assert (h.namespace, h.service) == ("shop", "cart")


def test_the_titles_grouped_value_that_the_labels_name_as_the_namespace_is_not_the_cluster() -> None:
    h = ctx_of(
        "[FIRING:1] QueueLagHigh (billing): lag above 10k\n"
        "- lag above 10k [alertname=QueueLagHigh, namespace=billing, service=invoicer, severity=critical]",
        cluster_default="prod-eks-1",
    ).hints
    assert (h.namespace, h.cluster) == ("billing", "prod-eks-1")
    assert ctx_of("[FIRING:1] KubePodCrashLooping (prod-eu)").hints.cluster == "prod-eu"


@pytest.mark.parametrize(
    ("alertname", "pod"),
    [
        ("KubePodCrashLooping", "coredns-5d78c9869d-8qzwl"),
        ("Container restarting", "registry-exporter-6d4f7b9c5-zl8qw"),
        ("KubeContainerWaiting", "prometheus-k8s-0"),
    ],
)
def test_an_alert_about_a_pod_names_it_even_when_the_pod_is_a_platform_components(
    alertname: str, pod: str
) -> None:
    h = ctx_of(labels={"alertname": alertname, "namespace": "platform", "pod": pod}).hints
    assert h.pod == pod


def test_an_exporters_pod_on_an_alert_about_something_else_is_still_not_the_subject() -> None:
    h = ctx_of(
        labels={
            "alertname": "NodeFilesystemSpaceFillingUp",
            "namespace": "monitoring",
            "pod": "node-exporter-x7k2p",
            "instance": "10.0.3.7:9100",
        }
    ).hints
    assert h.pod is None and h.workload is None
