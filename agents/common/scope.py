"""Where to look, from an `AlertContext`: the hints first, the alert's labels as a fallback.

Both the EKS and the CloudWatch Logs scanners scope with this, and rate each finding's relevance
by how close it sits to what the alert names: the same pod or workload high, the same namespace
middling, elsewhere low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.alerts.alert_labels import looks_like_exporter
from shared.contracts import AlertContext
from shared.relevance import Relevance

# Pod names of the common controllers: Deployment `<name>-<rs hash>-<5>`, DaemonSet / Job
# `<name>-<5>`, StatefulSet `<name>-<ordinal>`.
_DEPLOYMENT_POD = re.compile(r"^(?P<w>[a-z0-9][a-z0-9\-]*?)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
_SHORT_POD = re.compile(r"^(?P<w>[a-z0-9][a-z0-9\-]*?)-[a-z0-9]{5}$")
_STATEFUL_POD = re.compile(r"^(?P<w>[a-z0-9][a-z0-9\-]*?)-\d{1,4}$")

_LABEL_KEYS = {
    "namespace": ("namespace", "kubernetes_namespace", "k8s_namespace", "exported_namespace"),
    "pod": ("pod", "pod_name", "kubernetes_pod_name", "exported_pod"),
    "container": ("container", "container_name"),
    "workload": (
        "deployment",
        "statefulset",
        "daemonset",
        "job_name",
        "cronjob",
        "horizontalpodautoscaler",
        "persistentvolumeclaim",
        "persistentvolume",
        "ingress",
        "httproute",
        "poddisruptionbudget",
        "workload",
        "app_kubernetes_io_name",
        "app",
        "function_name",  # Lambda alarms
        "functionname",
    ),
    "service": ("service", "service_name", "job"),
    "node": ("node", "nodename", "kubernetes_node"),
    "cluster": ("cluster", "cluster_name", "eks_cluster"),
    "region": ("region", "aws_region"),
}


# Words an alarm name uses for the metric it watches, after the resource it is about:
# `invoice-renderer-Errors`, `media-api-target-5xx`, `accounts-web-no-healthy-hosts`.
_METRIC_WORDS = frozenset(
    {
        *("errors", "error", "err", "errs", "faults", "failures", "failed", "fail", "latency", "duration"),
        *("high", "low", "target", "targets", "alb", "elb", "nlb", "lb", "no", "unhealthy", "healthy"),
        *("throttles", "throttled", "throttling", "cpu", "memory", "mem", "disk", "storage", "alarm"),
        *("alert", "rate", "count", "age", "dlq", "down", "invocations", "iterator", "concurrency"),
        *("connections", "freeable", "free", "lag", "status", "check", "availability", "slo", "burn"),
        *("budget", "timeout", "timeouts", "requests", "http", "response", "time", "saturation"),
        *("utilization", "usage", "queue", "depth", "backlog", "oldest", "messages", "is", "above"),
    }
)
_ENVIRONMENTS = frozenset(
    {"prod", "production", "prd", "staging", "stage", "stg", "dev", "qa", "uat", "preprod"}
)
_METRIC_TOKEN = re.compile(r"^(?:[2-5]xx|[2-5]\d\d|p\d{2,3}|\d+(?:ms|s|m|pct|%)?)$", re.IGNORECASE)


def name_in_alert_name(alert_name: str | None) -> str | None:
    """The resource an alarm's name is about, when it leads with one: `invoice-renderer-Errors` ->
    `invoice-renderer`, `profile-api-alb-5xx` -> `profile-api`, "catalog-aggregator error rate" ->
    `catalog-aggregator`. None for names that are only a rule (`KubePodCrashLooping`)."""
    if not alert_name:
        return None
    first = alert_name.strip().split()[0] if alert_name.strip() else ""
    tokens = [t for t in re.split(r"[-_]", first) if t]
    if len(tokens) < 2 or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-_]*", first):
        return None
    cut = next(
        (i for i, t in enumerate(tokens) if t.lower() in _METRIC_WORDS or _METRIC_TOKEN.match(t)), len(tokens)
    )
    if cut == 0 or (cut == len(tokens) and " " not in alert_name.strip()):
        return None  # no metric word after a name: the whole thing is a rule's name, not a resource
    kept = tokens[:cut]
    # An environment (and the team or account before it) leads many alarm names:
    # `docs-prod-documents-service-target-5xx` is about `documents-service`.
    env = max((i for i, t in enumerate(kept[:-1]) if t.lower() in _ENVIRONMENTS), default=-1)
    if env >= 0 and len(kept) - env - 1 >= 2:
        kept = kept[env + 1 :]
    name = "-".join(kept).lower()
    if not re.search(r"[a-z]", name) or (len(kept) == 1 and len(name) < 5):
        return None
    return name


# A capitalised dictionary word ("Temporarily" out of "503 Service Temporarily Unavailable") read
# from an alert's prose is not a resource name: Kubernetes names are lower case.
_PROSE_WORD = re.compile(r"^[A-Z][a-z]+$")


def plausible_name(name: str | None) -> str | None:
    """A workload or service name taken from alert text, unless it is a word of the prose."""
    return None if name is None or _PROSE_WORD.match(name) else name


def workload_of_pod(pod: str) -> str | None:
    """The controller name a pod name suggests (`checkout-7d9f8c6b5-x2k4p` -> `checkout`)."""
    for pattern in (_DEPLOYMENT_POD, _STATEFUL_POD, _SHORT_POD):
        match = pattern.match(pod)
        if match:
            return match.group("w")
    return None


def _label(labels: dict[str, str], what: str) -> str | None:
    """The first label naming `what`. A `job` or `service` label that names the exporter which
    scraped the metric (`job="blackbox-http"`, `service="…-kube-state-metrics"`) is not the
    application: it is passed over."""
    for key in _LABEL_KEYS[what]:
        value = labels.get(key)
        if value and not (key in ("job", "service") and looks_like_exporter(value)):
            return value
    return None


@dataclass(frozen=True)
class Scope:
    """The alert's targets and time frame. Every target is optional."""

    anchor: datetime
    window_start: datetime
    window_end: datetime
    cluster: str | None = None
    region: str | None = None
    namespace: str | None = None
    workload: str | None = None
    pod: str | None = None
    container: str | None = None
    service: str | None = None
    node: str | None = None
    log_groups: tuple[str, ...] = ()
    extra_terms: tuple[str, ...] = field(default=())

    @property
    def has_target(self) -> bool:
        return any((self.namespace, self.workload, self.pod, self.service, self.node))

    @property
    def names(self) -> tuple[str, ...]:
        """Workload-ish names the alert points at, most specific first (pod, workload, service)."""
        seen: list[str] = []
        for name in (self.pod, self.workload, self.service, *self.extra_terms):
            if name and name not in seen:
                seen.append(name)
        return tuple(seen)

    def matches_name(self, name: str) -> bool:
        """True when an object name is the alert's pod, workload or service, or belongs to them."""
        for target in (self.pod, self.workload, self.service):
            if target and (name == target or name.startswith(target + "-")):
                return True
        return False

    def relevance(self, namespace: str | None, name: str | None) -> float:
        """How tied an object is to the alert: 1.0 the pod itself, 0.95 its workload, 0.6 the same
        namespace, 0.2 elsewhere; 0.5 when the alert names no target at all."""
        if not self.has_target:
            return Relevance.UNSURE
        same_ns = self.namespace is None or namespace is None or namespace == self.namespace
        if name and same_ns:
            if self.pod and name == self.pod:
                return Relevance.ITSELF
            if self.matches_name(name):
                return 0.95
        if self.node and name == self.node:
            return Relevance.DIRECT
        if self.namespace and namespace == self.namespace:
            return Relevance.NEAR
        return Relevance.ELSEWHERE

    def text_relevance(self, text: str) -> float:
        """Relevance of free text (a log stream name, a message) by the names it mentions."""
        if not self.has_target:
            return Relevance.UNSURE
        lowered = text.lower()
        if self.pod and self.pod.lower() in lowered:
            return Relevance.ITSELF
        if any(n.lower() in lowered for n in (self.workload, self.service, *self.extra_terms) if n):
            return Relevance.DIRECT
        if self.namespace and re.search(
            rf"(^|[_/\s.]){re.escape(self.namespace.lower())}([_/\s.]|$)", lowered
        ):
            return Relevance.NEAR
        return 0.25

    def proximity(self, at: datetime | None) -> float:
        """1.0 for a change within 15 min before the anchor, decaying with distance; changes after
        the anchor cannot have caused it and get 0.3."""
        if at is None:
            return 0.3
        before = self.anchor - at
        if before < -timedelta(minutes=2):
            return 0.3
        minutes = max(0.0, before.total_seconds() / 60 - 15)
        return max(0.2, 1.0 / (1.0 + minutes / 45))


def scope_from_context(
    ctx: AlertContext, *, default_cluster: str | None = None, default_region: str | None = None
) -> Scope:
    """The scope an alert asks for: `ctx.hints`, then well-known alert labels, then defaults."""
    hints = ctx.hints
    labels = {k.lower(): v for k, v in ctx.labels.items()}
    pod = hints.pod or _label(labels, "pod")
    workload = (
        plausible_name(hints.workload)
        or _label(labels, "workload")
        or (workload_of_pod(pod) if pod else None)
    )
    service = plausible_name(hints.service) or _label(labels, "service")
    if not (pod or workload or service):
        # An alarm that names nothing else is usually named after its resource (`orders-api-5xx`).
        workload = name_in_alert_name(hints.alert_name or labels.get("alertname"))
    if service and service == workload:
        service = None
    # Prometheus' `job` label is often a scrape job such as `kubernetes-pods`: not a name to match.
    if service and service.startswith(("kubernetes-", "kube-state-metrics", "node-exporter")):
        service = None
    return Scope(
        anchor=ctx.anchor,
        window_start=ctx.window_start,
        window_end=ctx.window_end,
        cluster=hints.cluster or _label(labels, "cluster") or default_cluster,
        region=hints.region or _label(labels, "region") or default_region,
        namespace=hints.namespace or _label(labels, "namespace"),
        workload=workload,
        pod=pod,
        container=hints.container or _label(labels, "container"),
        service=service,
        node=hints.node or _label(labels, "node"),
        log_groups=tuple(hints.log_groups)
        + tuple(v for k, v in labels.items() if k in {"log_group", "loggroup"}),
    )
