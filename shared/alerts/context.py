"""From an alert as it arrived (chat text, Alertmanager labels) to the `AlertContext` every agent sees.

Pure and import-light: the intake builds contexts on the hot path of a webhook. Labels win over
what the text says, the text wins over configured defaults. The text is untrusted: it only ever
narrows where the scanners look, it never makes anything act.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from shared.alerts.alert_labels import looks_like_exporter
from shared.alerts.alert_text import TextHints, parse_alert_text, workload_of_pod
from shared.alerts.aws_names import controller_names, data_store_name
from shared.contracts import AlertContext, Hints, Platform, Severity

__all__ = ["build_alert_context", "investigation_id_for", "workload_of_pod"]

# Where an alert's start or a report's trigger may lag the webhook: clocks differ by a little.
WINDOW_MARGIN = timedelta(minutes=2)
MAX_TEXT = 20_000

# Label keys per field, most specific first. `exported_*` is the application's own value where the
# scrape target's label took the plain name (Prometheus `honor_labels: false`). Keys are normalised
# as `alert_labels.normalise_key` does, so the same table reads labels and text (`Alarm Name: ...`).
_LABEL_KEYS: dict[str, tuple[str, ...]] = {
    "alert_name": (
        "alertname",
        "alert_name",
        "alarm_name",
        "alarmname",
        "monitor_name",
        "rule_name",
        "alert_rule",
        "condition_name",
    ),
    "namespace": (
        "exported_namespace",
        "namespace",
        "kubernetes_namespace",
        "k8s_namespace",
        "kube_namespace",
        "k8s_namespace_name",
        "namespace_name",
    ),
    "pod": ("exported_pod", "pod", "pod_name", "kubernetes_pod_name", "kube_pod_name", "k8s_pod_name"),
    "container": ("exported_container", "container", "container_name", "kube_container_name"),
    "workload": (
        "deployment",
        "statefulset",
        "daemonset",
        "workload",
        "job_name",
        "kube_deployment",
        "kube_statefulset",
        "kube_daemonset",
        "k8s_deployment_name",
        "deployment_name",
        "app_kubernetes_io_name",
        "app",
    ),
    "service": ("exported_service", "service", "service_name", "svc", "kube_service"),
    "node": (
        "node",
        "nodename",
        "kubernetes_node",
        "node_name",
        "kube_node",
        "k8s_node_name",
        "host",
        "hostname",
    ),
    "cluster": ("cluster", "cluster_name", "eks_cluster", "k8s_cluster", "kube_cluster_name"),
    "region": ("region", "aws_region"),
    "severity": ("severity", "priority", "level", "urgency"),
}
_LOG_GROUP_KEYS = ("log_group", "log_groups", "loggroup", "log_group_name", "aws_log_group", "logs")
# Prometheus `job` often names a scrape job, not a service.
_INFRA_JOBS = ("kubernetes-", "kube-state-metrics", "node-exporter", "prometheus", "apiserver", "kubelet")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,252}$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
_HOST_NODE = re.compile(r"^(ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[a-z0-9\-.]+)?)(?::\d+)?$")


def investigation_id_for(
    platform: Platform | str, channel: str, thread_id: str | None, fingerprint: str = ""
) -> str:
    """A stable id: the same alert thread always gets the same investigation id."""
    name = Platform(platform).value
    digest = hashlib.sha256(f"{name}\x1f{channel}\x1f{thread_id or ''}\x1f{fingerprint}".encode()).hexdigest()
    return f"{name}-{digest[:20]}"


def build_alert_context(
    *,
    platform: Platform | str,
    channel: str,
    text: str = "",
    thread_id: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    received_at: datetime,
    starts_at: datetime | None = None,
    generator_url: str | None = None,
    window_minutes: int = 60,
    cluster_default: str | None = None,
    region: str | None = None,
    investigation_id: str | None = None,
    operator_notes: Iterable[str] = (),
) -> AlertContext:
    """The context of one alert: hints from labels, then text and annotations, then defaults;
    a window reaching `window_minutes` back from the alert's start; a deterministic id."""
    labels = {str(k): str(v) for k, v in (labels or {}).items() if v is not None}
    annotations = {str(k): str(v) for k, v in (annotations or {}).items() if v is not None}
    received_at = _aware(received_at)
    started = _aware(starts_at) if starts_at is not None else None

    hints = _hints(labels, annotations, text, generator_url, cluster_default, region)
    anchor = min(started, received_at) if started is not None else received_at
    window_start = anchor - timedelta(minutes=max(1, window_minutes))
    fingerprint = "" if thread_id else _fingerprint(labels, started, text)
    return AlertContext(
        investigation_id=investigation_id or investigation_id_for(platform, channel, thread_id, fingerprint),
        platform=Platform(platform),
        channel=channel,
        thread_id=thread_id,
        text=text[:MAX_TEXT],
        labels=labels,
        annotations=annotations,
        received_at=received_at,
        alert_started_at=started,
        window_start=window_start,
        window_end=received_at + WINDOW_MARGIN,
        hints=hints,
        operator_notes=tuple(n[:MAX_TEXT] for n in operator_notes if n and n.strip()),
    )


def _hints(
    labels: dict[str, str],
    annotations: dict[str, str],
    text: str,
    generator_url: str | None,
    cluster_default: str | None,
    region: str | None,
) -> Hints:
    lowered = {k.lower(): v.strip() for k, v in labels.items() if v and v.strip()}
    from_text = parse_alert_text(text)
    # Annotations (summary, description) are prose like the chat text, but less specific than it.
    from_notes = parse_alert_text("\n".join(v for k, v in annotations.items() if k not in {"runbook_url"}))
    # Labels, then labels the text writes out, then what its prose says, then the annotations'.
    sources = (lowered, dict(from_text.labels), from_text, dict(from_notes.labels), from_notes)

    def pick(field: str) -> str | None:
        for source in sources:
            found = _label(source, field) if isinstance(source, dict) else _text_field(source, field)
            if found and _usable(field, found):
                return found
        return None

    pod = pick("pod") or _own_pod(sources, pick("alert_name"))
    workload = pick("workload") or (workload_of_pod(pod) if pod else None)
    # A scrape job names the application unless it is an exporter's (Pushgateway: `exported_job`).
    jobs = (s.get("exported_job") or s.get("job") for s in sources if isinstance(s, dict))
    job = next((found for j in jobs if j and (found := _service_from_job(j))), None)
    service = pick("service") or job
    node = pick("node") or next(
        (n for s in sources if isinstance(s, dict) and (n := _node_from_instance(s, pick("alert_name")))),
        None,
    )
    namespace = pick("namespace")
    if not (namespace or workload or service or pod):
        # A load balancer or target group the AWS Load Balancer Controller made for a Service
        # (`targetgroup/k8s-shop-storefro-3c9a1b2d4e/...`): its namespace and (a prefix of) its name.
        made_for = controller_names([*labels.values(), *annotations.values()])
        if len(made_for) == 1:
            namespace = made_for[0].namespace if len(made_for[0].namespace) < 8 else None
            service = made_for[0].name
        else:
            # An alarm on a database or cache (`Dimensions: DBInstanceIdentifier = billing-prod`):
            # the store is what it is about; the workloads that call it name it in their errors.
            service = data_store_name(labels, [text, *annotations.values()]) or service
    severity_text = pick("severity")
    log_groups = _log_groups(lowered, {k.lower(): v for k, v in annotations.items()}, from_text, from_notes)
    return Hints(
        cluster=pick("cluster") or cluster_default,
        region=_label(lowered, "region") or region,
        namespace=namespace,
        workload=workload,
        pod=pod,
        container=pick("container"),
        service=service if service != workload else None,
        node=node,
        log_groups=log_groups,
        alert_name=pick("alert_name"),
        severity=Severity.parse(severity_text),
        generator_url=generator_url or None,
        extra_channels=from_text.channels,
    )


# Alerts about a pod or its containers (KubePodCrashLooping, KubeContainerWaiting, "Container
# restarting", PodOOMKilled): their `pod` label is the pod in trouble, whatever it runs.
_POD_ALERT = re.compile(r"pod|container|crash|oom|restart", re.IGNORECASE)


def _own_pod(sources: tuple[dict[str, str] | TextHints, ...], alert_name: str | None) -> str | None:
    """On an alert about pods, the `pod` it names even when the pod is an exporter's or another
    platform component's (a crash-looping CoreDNS, a restarting registry exporter): elsewhere such
    a pod is the scrape target's, not the subject's, and is left out."""
    if not alert_name or not _POD_ALERT.search(alert_name):
        return None
    for source in sources:
        value = _text_field(source, "pod") if isinstance(source, TextHints) else source.get("pod")
        if value and _NAME.match(value):
            return value
    return None


def _label(labels: dict[str, str], field: str) -> str | None:
    return next((labels[k] for k in _LABEL_KEYS[field] if labels.get(k) and _usable(field, labels[k])), None)


def _usable(field: str, value: str) -> bool:
    """Whether a label value can name this field: a Kubernetes name where one is expected, and
    not an exporter's name where the application is meant (`service=...-kube-state-metrics`)."""
    if field == "alert_name":
        return len(value) <= 150 and "\n" not in value and "://" not in value
    if field == "severity":
        return Severity.parse(value) is not None
    if field == "region":
        return True
    if not _NAME.match(value):
        return False
    if field == "namespace":
        return bool(_DNS_LABEL.match(value))
    if field in ("service", "workload"):
        return not looks_like_exporter(value)
    if field == "pod":
        # `...-node-exporter-x7k2p` (a DaemonSet's pod) reads as a Deployment's `-exporter-x7k2p` too.
        owners = (workload_of_pod(value), value.rsplit("-", 1)[0])
        return not any(owner and looks_like_exporter(owner) for owner in owners)
    return True


def _text_field(hints: TextHints, field: str) -> str | None:
    value = getattr(hints, field)
    return value if isinstance(value, str) and value else None


def _service_from_job(job: str | None) -> str | None:
    if not job or job.startswith(_INFRA_JOBS) or not _NAME.match(job) or looks_like_exporter(job):
        return None
    return job


def _node_from_instance(labels: dict[str, str], alert_name: str | None) -> str | None:
    """`instance` names a node for node-level alerts, or when it is an EC2 private host name."""
    instance = labels.get("instance")
    if not instance:
        return None
    match = _HOST_NODE.match(instance)
    if match:
        return match.group(1)
    if alert_name and alert_name.lower().startswith(("node", "kubenode")):
        return instance.rsplit(":", 1)[0]
    return None


def _log_groups(labels: dict[str, str], annotations: dict[str, str], *texts: TextHints) -> tuple[str, ...]:
    found: list[str] = []
    for source in (labels, annotations):
        for key in _LOG_GROUP_KEYS:
            for value in re.split(r"[,\s]+", source.get(key, "")):
                if value.startswith("/") or value.startswith("arn:aws:logs:"):
                    found.append(value)
    for hints in texts:
        found.extend(hints.log_groups)
    return tuple(dict.fromkeys(found))


def _fingerprint(labels: dict[str, str], started: datetime | None, text: str) -> str:
    """Tells apart alerts that have no thread (Alertmanager): their labels and start, else text."""
    parts = [f"{k}={labels[k]}" for k in sorted(labels)]
    if started is not None:
        parts.append(started.isoformat())
    if not parts:
        parts.append(text)
    return "\x1e".join(parts)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
