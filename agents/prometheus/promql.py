"""Where to look in Prometheus for one alert, as label matchers, and the PromQL of every signal.

Nothing here talks to a server. `Subject.from_context` turns the alert's hints into the matchers the
bounded `/api/v1/series` look-ups use; the builders return the exact PromQL each finding cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from agents.common.scope import name_in_alert_name, plausible_name
from shared.contracts import AlertContext

_LABEL_VALUE_UNSAFE = re.compile(r'["\\\n]')


def quote(value: str) -> str:
    """A PromQL string literal."""
    return (
        '"' + _LABEL_VALUE_UNSAFE.sub(lambda m: {"\n": "\\n"}.get(m.group(), "\\" + m.group()), value) + '"'
    )


def regex_escape(value: str) -> str:
    """Escape RE2 metacharacters (names keep their dashes readable)."""
    return re.sub(r"([.\\+*?\[^\]$(){}|])", r"\\\1", value)


def matcher(**labels: str) -> str:
    """`namespace="shop",pod=~"checkout-.*"`: keys ending in `__re` become regex matchers."""
    parts = []
    for key, value in labels.items():
        if key.endswith("__re"):
            parts.append(f"{key[:-4]}=~{quote(value)}")
        else:
            parts.append(f"{key}={quote(value)}")
    return ",".join(parts)


# The dimensions a CloudWatch alarm's notification names for its metric, as `TableName=cart-items`,
# `TargetGroup: targetgroup/k8s-...`, or SNS JSON (`{"name": "TableName", "value": "cart-items"}`).
DIMENSION_NAMES = (
    "TableName",
    "GlobalSecondaryIndexName",
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "FunctionName",
    "QueueName",
    "LoadBalancer",
    "TargetGroup",
    "CacheClusterId",
    "ReplicationGroupId",
    "ApiName",
    "BucketName",
    "StreamName",
    "TopicName",
    "StateMachineArn",
    "DomainName",
    "AutoScalingGroupName",
    "ServiceName",
    "ClusterName",
)
_DIMENSION_NAMES = "|".join(DIMENSION_NAMES)
_DIMENSION = re.compile(
    rf"\b(?P<name>{_DIMENSION_NAMES})\s*[=:]\s*[\"'`]?(?P<value>[A-Za-z0-9][\w.\-/:]*[\w])"
    rf"|\"name\"\s*:\s*\"(?P<jname>{_DIMENSION_NAMES})\"\s*,\s*\"value\"\s*:\s*\"(?P<jvalue>[^\"]+)\""
)
MAX_DIMENSIONS = 6


def alarm_dimensions(*texts: str) -> tuple[tuple[str, str], ...]:
    """The CloudWatch dimensions (name, value) an alarm's text names for the metric it watches."""
    found: dict[tuple[str, str], None] = {}
    for text in texts:
        for m in _DIMENSION.finditer(text or ""):
            name, value = (
                (m.group("name"), m.group("value"))
                if m.group("name")
                else (m.group("jname"), m.group("jvalue"))
            )
            found[(name, value)] = None
    return tuple(found)[:MAX_DIMENSIONS]


# One alert's labels as the intake writes a group's alerts out: `[alertname=NodeFilesystemAlmostOutOfSpace,
# device=/dev/nvme0n1p1, instance=10.70.2.58:9100, ...]`.
_LABEL_LIST = re.compile(r"\[(?P<labels>[^\[\]\n]*\balertname=[^\[\]\n]*)\]")
_NODE_ALERT = re.compile(r"\balertname=(?:Node|KubeNode|Kubelet)\w*")
_INSTANCE = re.compile(r"\binstance=(?P<host>[A-Za-z0-9][\w.\-]*?)(?::\d+)?(?=[,\s]|$)")


def node_alert_instances(text: str) -> tuple[str, ...]:
    """The nodes the node-level alerts of a group name by their `instance` (`10.70.2.58` of a
    node-exporter target): a group led by a pod's alert keeps only the labels all its alerts share."""
    found = []
    for m in _LABEL_LIST.finditer(text or ""):
        labels = m.group("labels")
        instance = _INSTANCE.search(labels)
        if _NODE_ALERT.search(labels) and instance:
            found.append(instance.group("host"))
    return tuple(dict.fromkeys(found))[:5]


@dataclass(frozen=True)
class Subject:
    """What the alert is about, as Prometheus labels see it."""

    namespace: str | None = None
    workload: str | None = None
    pod: str | None = None
    container: str | None = None
    service: str | None = None
    node: str | None = None
    volume: str | None = None  # a PersistentVolumeClaim the alert names
    # The CloudWatch dimensions of the alarm's own metric (`("TableName", "cart-items")`): the AWS
    # resource the alert is about, as a CloudWatch exporter labels its series.
    dimensions: tuple[tuple[str, str], ...] = ()
    # Nodes that node-level alerts of the group name by their `instance`.
    alert_nodes: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, ctx: AlertContext) -> Subject:
        hints, labels = ctx.hints, ctx.labels
        workload = plausible_name(hints.workload)
        service = plausible_name(hints.service) or labels.get("service")
        if not (workload or service or hints.pod or labels.get("pod")):
            # an alarm named after its resource (`orders-api-alb-5xx`) and nothing else
            workload = name_in_alert_name(hints.alert_name or labels.get("alertname"))
        return cls(
            namespace=hints.namespace or labels.get("namespace"),
            workload=workload,
            pod=hints.pod or labels.get("pod"),
            container=hints.container or labels.get("container"),
            service=service,
            node=hints.node,
            volume=labels.get("persistentvolumeclaim"),
            dimensions=alarm_dimensions(ctx.text, *ctx.annotations.values()),
            alert_nodes=node_alert_instances(ctx.text),
        )

    @property
    def name(self) -> str | None:
        """The workload's name for titles: workload, else service, else pod."""
        return self.workload or self.service or self.pod

    @property
    def services(self) -> tuple[str, ...]:
        """Names an application's own metrics may carry in `service`, `job` or `app`."""
        return tuple(dict.fromkeys(n for n in (self.service, self.workload) if n))

    def pod_regex(self) -> str | None:
        """The pods of the workload (Deployment `name-<rs hash>-<id>`, StatefulSet `name-<n>`,
        DaemonSet/Job `name-<id>`), plus the alert's own pod when it is named."""
        options = []
        # Without a workload, the service usually shares its Deployment's name.
        owner = self.workload or self.service
        if owner:
            w = regex_escape(owner)
            options.append(f"{w}-([a-z0-9]{{5,10}}-)?[a-z0-9]{{5}}|{w}-[0-9]+")
        if self.pod:
            options.append(regex_escape(self.pod))
        return "|".join(options) or None

    def pod_selector(self) -> str | None:
        """Label matchers for the workload's containers (cAdvisor and kube-state-metrics series)."""
        pods = self.pod_regex()
        if pods is None:
            return None
        labels = {"pod__re": pods}
        if self.namespace:
            labels = {"namespace": self.namespace, **labels}
        return matcher(**labels)

    def app_selectors(self) -> list[str]:
        """Label matchers for the application's own metrics (request counters, pools, queues)."""
        out = []
        for name in self.services:
            for label in ("service", "job", "app"):
                labels = {label: name}
                if self.namespace:
                    labels = {"namespace": self.namespace, **labels}
                out.append(matcher(**labels))
        return out

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v]
        return ", ".join(parts) or "nothing specific"


def with_matchers(selector: str, *extra: str) -> str:
    return ",".join(part for part in (selector, *extra) if part)


def range_input(window: timedelta) -> str:
    minutes = max(1, round(window.total_seconds() / 60))
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def graph_link(base_url: str, expr: str, window: timedelta, end: datetime | None = None) -> str:
    """The Prometheus UI graph of `expr` over the window (`/graph?g0.expr=...&g0.range_input=1h`),
    ending at `end` (UTC) when given so that the link still shows the incident later."""
    params = {"g0.expr": expr, "g0.tab": "0", "g0.range_input": range_input(window)}
    if end is not None:
        params["g0.end_input"] = end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        params["g0.moment_input"] = params["g0.end_input"]
    query = urlencode(params)
    return f"{base_url.rstrip('/')}/graph?{query}"


def expr_from_generator_url(url: str | None) -> str | None:
    """The PromQL of an Alertmanager alert's `generatorURL` (`.../graph?g0.expr=...`)."""
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("g0.expr")
    return values[0].strip() if values and values[0].strip() else None


_COMPARISON = re.compile(r"(>=|<=|==|!=|>|<)\s*(?:bool\s+)?([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def split_threshold(expr: str) -> tuple[str, str, float] | None:
    """`(lhs, op, threshold)` when `expr` ends in a top-level comparison with a number, such as
    `sum(rate(x[5m])) / sum(rate(y[5m])) > 0.05`; None otherwise."""
    match = _COMPARISON.search(expr)
    if match is None:
        return None
    lhs = expr[: match.start()].rstrip()
    depth = 0
    for char in lhs:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
    if depth != 0 or not lhs or lhs.endswith(("=", "!", "<", ">")):
        return None
    return lhs, match.group(1), float(match.group(2))


def is_constant(expr: str) -> bool:
    """True for heartbeat expressions such as `vector(1)` that hold whatever the data."""
    return re.fullmatch(r"\s*\(?\s*vector\(\s*[-+]?\d+(\.\d+)?\s*\)\s*\)?\s*", expr) is not None
