"""The standard signals of a Kubernetes workload, as PromQL built from what discovery found.

Discovery runs a few bounded `/api/v1/series` look-ups (one per kind of source: the workload's pods,
its application metrics, its HPA, the namespace's volumes and `up` gauges, its nodes) restricted by
metric name, so a chatty exporter cannot flood it. The plan then holds one query per signal whose
metrics exist: nothing is asked of a metric that is not there.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from agents.prometheus.client_signals import plan_client_errors
from agents.prometheus.cloud_signals import ANY_PREFIX, cloud_lookup, plan_cloud, storage_lookup
from agents.prometheus.ena_signals import ena_lookup, plan_ena
from agents.prometheus.limit_signals import limit_lookup, plan_limits, plan_percents
from agents.prometheus.log_writers import host_names, plan_log_writers
from agents.prometheus.promql import Subject, matcher, quote, regex_escape, with_matchers

# Metric names each look-up may return.
POD_METRICS = (
    "container_memory_working_set_bytes|container_cpu_usage_seconds_total|container_cpu_cfs_periods_total"
    "|container_cpu_cfs_throttled_periods_total|kube_pod_container_resource_limits"
    "|kube_pod_container_status_restarts_total|kube_pod_container_status_last_terminated_reason"
    "|kube_pod_container_info|kube_pod_info"
)
APP_METRICS = (
    ".*(request|http|grpc|queue).*|.*(_pool_|hikaricp_|tomcat_threads_).*|.+_build_info"
    "|jvm_memory_(used|max)_bytes|process_(open|max)_fds"
)
HPA_METRICS = (
    "kube_horizontalpodautoscaler_(status_current_replicas|status_desired_replicas|spec_max_replicas)"
)
VOLUME_METRICS = "kubelet_volume_stats_(used|available|capacity)_bytes"
UP_METRICS = "up|.+_up"
NODE_METRICS = (
    "kube_node_status_condition|node_filesystem_(avail|size)_bytes"
    "|kubelet_container_log_filesystem_used_bytes"
)

REQUEST_COUNTERS = (
    "http_requests_total",
    "http_server_requests_seconds_count",
    "http_server_requests_total",
    "requests_total",
    "nginx_ingress_controller_requests",
    "grpc_server_handled_total",
)
STATUS_LABELS = ("code", "status", "status_code", "grpc_code")
RATE = "5m"
BY_CONTAINER = "namespace, pod, container"
PER_INSTANCE = "instance, pod, container, endpoint"

_POOL_ROLE = re.compile(
    r"^(?P<family>.+?)_(?P<role>active|in_use|used|busy|max|limit|max_size|pending|waiting|waiters|queued)"
    r"(?:_total)?$"
)
_ROLES = {
    "active": "active",
    "in_use": "active",
    "used": "active",
    "busy": "active",
    "max": "max",
    "limit": "max",
    "max_size": "max",
    "pending": "pending",
    "waiting": "pending",
    "waiters": "pending",
    "queued": "pending",
}
# Pools whose metric names do not follow `<family>_<role>`: Micrometer's Tomcat thread pool.
KNOWN_POOLS = {
    "tomcat_threads_busy_threads": ("tomcat_threads", "active"),
    "tomcat_threads_config_max_threads": ("tomcat_threads", "max"),
}
_QUEUE = re.compile(r"(?:^|_)queue(?:_[a-z0-9]+)*_(?:depth|size|length|messages|items|backlog|lag)$")


@dataclass
class Discovery:
    """Metric names and label sets found per look-up kind."""

    found: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=lambda: defaultdict(dict))
    selectors: dict[str, str] = field(default_factory=dict)  # kind -> the matchers that found them
    lookups: int = 0
    truncated: list[str] = field(default_factory=list)

    def add(self, kind: str, selector: str, label_sets: list[dict[str, str]]) -> None:
        bucket = self.found[kind]
        for labels in label_sets:
            bucket.setdefault(labels.get("__name__", ""), []).append(labels)
        if label_sets:
            self.selectors.setdefault(kind, selector)

    def names(self, kind: str) -> set[str]:
        return set(self.found.get(kind, {}))

    def label_sets(self, kind: str, name: str) -> list[dict[str, str]]:
        return self.found.get(kind, {}).get(name, [])

    def count(self) -> int:
        return sum(len(v) for kinds in self.found.values() for v in kinds.values())


def lookups(subject: Subject) -> list[tuple[str, str, list[str]]]:
    """(kind, metric-name regex, matchers) of the discovery look-ups for `subject`, at most nine
    (the ENA drop counters, every data store's free storage and every known limit with its usage,
    with the others); each matchers
    entry becomes one `match[]` of a single `/api/v1/series` call."""
    out: list[tuple[str, str, list[str]]] = []
    pods = subject.pod_selector()
    if pods:
        out.append(("pod", POD_METRICS, [pods]))
    app = subject.app_selectors() + ([pods] if pods else [])
    if app:
        out.append(("app", APP_METRICS, app))
    if subject.namespace and subject.name:
        hpa = matcher(
            namespace=subject.namespace, horizontalpodautoscaler__re=f"{regex_escape(subject.name)}.*"
        )
        out.append(("hpa", HPA_METRICS, [hpa]))
    if subject.namespace:
        ns = matcher(namespace=subject.namespace)
        out.append(("volume", VOLUME_METRICS, [ns]))
        out.append(("up", UP_METRICS, [ns]))
    cloud = cloud_lookup(subject)
    if cloud is not None:
        out.append(cloud)
    if out:
        out.append(ena_lookup())
        out.append(storage_lookup())
        out.append(limit_lookup())
    return out


def node_lookups(nodes: list[str]) -> list[tuple[str, str, list[str]]]:
    """Node look-ups: by the `node` label (kube-state-metrics, relabelled node-exporter) and by
    `instance` (node-exporter scraped by host name)."""
    if not nodes:
        return []
    chosen = sorted(set(nodes))[:10]
    names = "|".join(regex_escape(n) for n in chosen)
    # The kubelet names a node by its host name (`ip-10-70-2-58.<region>.compute.internal`).
    hosts = "|".join([names, *(f"{regex_escape(h)}(\\..+)?" for h in host_names(chosen))])
    return [
        ("node", NODE_METRICS, [matcher(node__re=hosts)]),
        ("node_instance", NODE_METRICS, [matcher(instance__re=f"({names})(:[0-9]+)?")]),
    ]


def series_selector(names: str, matchers: str) -> str:
    return f'{{__name__=~"{names}",{matchers}}}'


def nodes_of(discovery: Discovery, subject: Subject) -> list[str]:
    nodes = [ls["node"] for ls in discovery.label_sets("pod", "kube_pod_info") if ls.get("node")]
    if subject.node:
        nodes.append(subject.node)
    nodes.extend(subject.alert_nodes)
    return sorted(set(nodes))


def _app_selector(discovery: Discovery, name: str) -> str | None:
    """The narrowest matchers under which `name` was found among the app look-up's label sets."""
    sets = discovery.label_sets("app", name)
    if not sets:
        return None
    first = sets[0]
    for label in ("service", "job", "app"):
        if first.get(label):
            keep = {k: first[k] for k in ("namespace",) if first.get(k)}
            return matcher(**keep, **{label: first[label]})
    keep = {k: first[k] for k in ("namespace", "pod") if first.get(k)}
    return matcher(**keep)


def build_plan(discovery: Discovery, subject: Subject) -> dict[str, str]:
    """key -> PromQL for every signal whose metrics discovery found."""
    plan: dict[str, str] = {}
    pod_names = discovery.names("pod")
    pods = subject.pod_selector() or ""
    containers = with_matchers(pods, 'container!=""', 'container!="POD"')
    if "container_memory_working_set_bytes" in pod_names:
        plan["memory"] = f"max by ({BY_CONTAINER}) (container_memory_working_set_bytes{{{containers}}})"
    if "kube_pod_container_resource_limits" in pod_names:
        for resource in ("memory", "cpu"):
            sel = with_matchers(pods, f'resource="{resource}"')
            plan[f"{resource}_limit"] = (
                f"max by ({BY_CONTAINER}) (kube_pod_container_resource_limits{{{sel}}})"
            )
    if "container_cpu_usage_seconds_total" in pod_names:
        plan["cpu"] = (
            f"sum by ({BY_CONTAINER}) (rate(container_cpu_usage_seconds_total{{{containers}}}[{RATE}]))"
        )
    if {"container_cpu_cfs_throttled_periods_total", "container_cpu_cfs_periods_total"} <= pod_names:
        plan["throttling"] = (
            f"sum by ({BY_CONTAINER}) "
            f"(rate(container_cpu_cfs_throttled_periods_total{{{containers}}}[{RATE}]))"
            f" / sum by ({BY_CONTAINER}) (rate(container_cpu_cfs_periods_total{{{containers}}}[{RATE}]))"
        )
    if "kube_pod_container_status_restarts_total" in pod_names:
        plan["restarts"] = f"max by ({BY_CONTAINER}) (kube_pod_container_status_restarts_total{{{pods}}})"
    if "kube_pod_container_status_last_terminated_reason" in pod_names:
        sel = with_matchers(pods, 'reason="OOMKilled"')
        plan["oomkilled"] = (
            f"max by ({BY_CONTAINER}) (kube_pod_container_status_last_terminated_reason{{{sel}}})"
        )
    if "kube_pod_container_info" in pod_names:
        plan["images"] = f"count by (container, image) (kube_pod_container_info{{{pods}}})"
    _plan_app(plan, discovery)
    _plan_saturation(plan, discovery)
    plan_cloud(
        plan, [ls for name in sorted(discovery.names("cloud")) for ls in discovery.label_sets("cloud", name)]
    )
    stores = sorted(discovery.names("cloud_any"))
    plan_cloud(plan, [ls for n in stores for ls in discovery.label_sets("cloud_any", n)], ANY_PREFIX)
    _plan_infra(plan, discovery, subject)
    plan_ena(plan, discovery.names("ena"))
    plan_limits(plan, discovery.found.get("limits", {}))
    plan_percents(plan, discovery.found.get("limits", {}))
    return plan


def _plan_saturation(plan: dict[str, str], discovery: Discovery) -> None:
    """A process's gauges of a bounded resource and their maximum, per pod."""
    names = discovery.names("app")
    for key, used, top, extra in (
        ("heap", "jvm_memory_used_bytes", "jvm_memory_max_bytes", 'area="heap"'),
        ("fds", "process_open_fds", "process_max_fds", ""),
    ):
        if used not in names or top not in names:
            continue
        sel = with_matchers(_app_selector(discovery, used) or "", extra)
        top_sel = with_matchers(_app_selector(discovery, top) or "", extra)
        # Heap pools with no maximum report -1: only positive maxima add up.
        plan[f"{key}_used"] = f"sum by (pod, instance) ({used}{{{sel}}})"
        plan[f"{key}_max"] = f"sum by (pod, instance) ({top}{{{top_sel}}} > 0)"


def _plan_app(plan: dict[str, str], discovery: Discovery) -> None:
    names = discovery.names("app")
    counter = next((n for n in REQUEST_COUNTERS if n in names), None)
    if counter is not None:
        sel = _app_selector(discovery, counter) or ""
        plan["requests"] = f"sum(rate({counter}{{{sel}}}[{RATE}]))"
        labels = {k for ls in discovery.label_sets("app", counter) for k in ls}
        status = next((s for s in STATUS_LABELS if s in labels), None)
        if status is not None:
            bad = (
                f'{status}=~"Unknown|DeadlineExceeded|Internal|Unavailable|DataLoss"'
                if status == "grpc_code"
                else f'{status}=~"5.."'
            )
            plan["errors"] = (
                f"sum(rate({counter}{{{with_matchers(sel, bad)}}}[{RATE}]))"
                f" / sum(rate({counter}{{{sel}}}[{RATE}]))"
            )
    plan_client_errors(
        plan,
        names,
        {n: {k for ls in discovery.label_sets("app", n) for k in ls} for n in names},
        {n: _app_selector(discovery, n) or "" for n in names},
    )
    histograms = sorted(
        (n for n in names if n.endswith("_bucket") and re.search(r"duration|latency|seconds", n)),
        key=lambda n: (0 if "request" in n else 1, n),
    )
    if histograms:
        name = histograms[0]
        sel = _app_selector(discovery, name) or ""
        for key, quantile in (("latency_p50", 0.5), ("latency_p95", 0.95), ("latency_p99", 0.99)):
            plan[key] = f"histogram_quantile({quantile}, sum by (le) (rate({name}{{{sel}}}[{RATE}])))"
    families: dict[str, dict[str, str]] = defaultdict(dict)
    for name in sorted(names):
        match = _POOL_ROLE.match(name)
        if name in KNOWN_POOLS:
            family, role = KNOWN_POOLS[name]
            families[family].setdefault(role, name)
        elif match and ("pool" in name or name.startswith("hikaricp_")):
            families[match.group("family")].setdefault(_ROLES[match.group("role")], name)
    for family, roles in sorted(families.items())[:3]:
        if "active" not in roles or "max" not in roles:
            continue
        for role, name in roles.items():
            sel = _app_selector(discovery, name) or ""
            plan[f"pool:{family}:{role}"] = f"max without ({PER_INSTANCE}) ({name}{{{sel}}})"
    for name in sorted(n for n in names if _QUEUE.search(n))[:3]:
        sel = _app_selector(discovery, name) or ""
        plan[f"queue:{name}"] = f"max without ({PER_INSTANCE}) ({name}{{{sel}}})"
    for name in sorted(n for n in names if n.endswith("_build_info"))[:1]:
        sel = _app_selector(discovery, name) or ""
        labels = {k for ls in discovery.label_sets("app", name) for k in ls}
        version = next((v for v in ("version", "app_version", "revision", "git_commit") if v in labels), None)
        if version:
            plan["build_info"] = f"count by ({version}) ({name}{{{sel}}})"


def _plan_infra(plan: dict[str, str], discovery: Discovery, subject: Subject) -> None:
    hpa = discovery.names("hpa")
    hpa_sel = discovery.selectors.get("hpa", "")
    for metric, key in (
        ("kube_horizontalpodautoscaler_status_current_replicas", "hpa_current"),
        ("kube_horizontalpodautoscaler_spec_max_replicas", "hpa_max"),
        ("kube_horizontalpodautoscaler_status_desired_replicas", "hpa_desired"),
    ):
        if metric in hpa:
            plan[key] = f"max by (namespace, horizontalpodautoscaler) ({metric}{{{hpa_sel}}})"
    if subject.namespace:
        ns = matcher(namespace=subject.namespace)
        volumes = discovery.names("volume")
        by_claim = "max by (namespace, persistentvolumeclaim)"
        if "kubelet_volume_stats_capacity_bytes" in volumes:
            capacity = f"{by_claim} (kubelet_volume_stats_capacity_bytes{{{ns}}})"
            if "kubelet_volume_stats_used_bytes" in volumes:
                plan["volume_used"] = f"{by_claim} (kubelet_volume_stats_used_bytes{{{ns}}})"
                plan["volume_capacity"] = capacity
            elif "kubelet_volume_stats_available_bytes" in volumes:
                # What kube-prometheus' KubePersistentVolumeFillingUp reads: used is what is not available.
                available = f"{by_claim} (kubelet_volume_stats_available_bytes{{{ns}}})"
                plan["volume_used"] = f"{capacity} - {available}"
                plan["volume_capacity"] = capacity
        ups = discovery.names("up")
        if ups:
            names = "|".join(regex_escape(n) for n in sorted(ups))
            plan["up"] = f"min by (__name__, job, service) ({{__name__=~{quote(names)},{ns}}})"
    filesystems = {"node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
    if "kube_node_status_condition" in discovery.names("node"):
        conditions = with_matchers(discovery.selectors["node"], 'status="true"')
        plan["node_conditions"] = f"max by (node, condition) (kube_node_status_condition{{{conditions}}})"
    plan_log_writers(plan, discovery.names("node"), discovery.selectors.get("node", ""))
    kind = next((k for k in ("node", "node_instance") if filesystems <= discovery.names(k)), None)
    if kind is not None:
        fs = with_matchers(discovery.selectors[kind], 'fstype!~"tmpfs|overlay|squashfs"')
        plan["node_fs_free"] = (
            f"min by (instance, mountpoint) (node_filesystem_avail_bytes{{{fs}}}"
            f" / node_filesystem_size_bytes{{{fs}}})"
        )
