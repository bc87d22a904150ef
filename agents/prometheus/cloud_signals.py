"""AWS resources named after the alert's workload, as CloudWatch exporters (YACE, the Prometheus
CloudWatch exporter) publish them: `aws_<namespace>_<metric>_<stat>` with `dimension_<Name>` labels
(YACE) or the dimension's name in snake case (`dbinstance_identifier`, `queue_name`: the Prometheus
CloudWatch exporter).

The look-up matches the workload's name in the dimensions that name a resource: a Lambda function,
an RDS instance, a queue, a table, and a load balancer or target group, whose names the AWS Load
Balancer Controller builds as `k8s-<namespace[:8]>-<name[:8]>-<hash>`. The analyzer reads each
series' change-point: a request count that surged is traffic, storage that ran out is a full disk,
throttles that began are throttling, errors and unhealthy hosts that rose are symptoms. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from agents.prometheus.changepoint import detect_change
from agents.prometheus.common import RELEVANT, Frame, fmt_bytes, fmt_number, hhmm
from agents.prometheus.promql import DIMENSION_NAMES, Subject, matcher, regex_escape
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance

CLOUD_METRICS = "aws_.+"
# Free storage of every data store, whatever it is named: one that ran out breaks all its clients,
# and their errors rarely name it (`PG::DiskFull`). No backslash: it sits in a PromQL string.
STORAGE_METRICS = "aws_[a-z]+_free_(local_)?storage(_space)?_[a-z]+"
ANY_PREFIX = "cloud-any:"
NAMED_DIMENSIONS = (
    "dimension_FunctionName",
    "dimension_DBInstanceIdentifier",
    "dimension_DBClusterIdentifier",
    "dimension_QueueName",
    "dimension_TableName",
    "dimension_CacheClusterId",
    "dimension_ApiName",
)
LB_DIMENSIONS = ("dimension_LoadBalancer", "dimension_TargetGroup")
MAX_SERIES = 12
SURGE = 1.8
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Connections a database or cache holds: a count that rose to its alarm is its slots filling up.
_CONNECTIONS = re.compile(r"database_connections|curr_connections")


def snake(dimension: str) -> str:
    """The Prometheus CloudWatch exporter's label for a dimension: `DBInstanceIdentifier` ->
    `dbinstance_identifier`, `TableName` -> `table_name`."""
    return _CAMEL_HUMP.sub("_", dimension).lower()


_SNAKE_DIMENSIONS = frozenset(snake(d) for d in DIMENSION_NAMES)


def dimension_labels(labels: dict[str, str]) -> dict[str, str]:
    """The labels of a series that are CloudWatch dimensions, in either exporter's spelling:
    `dimension_<Name>` (YACE) or the known names in snake case (the CloudWatch exporter)."""
    return {k: v for k, v in labels.items() if k.startswith("dimension_") or k in _SNAKE_DIMENSIONS}


def _lb_prefixes(subject: Subject) -> list[str]:
    """The names the AWS Load Balancer Controller gives a workload's load balancer or target group."""
    names = [n for n in subject.services if n]
    out: list[str] = []
    for name in names:
        tokens = name.split("-")
        pairs = [(subject.namespace, name)] if subject.namespace else []
        pairs += [("-".join(tokens[:i]), "-".join(tokens[i:])) for i in range(1, len(tokens))]
        pairs.append((tokens[0], name))
        for namespace, rest in pairs:
            if namespace and rest:
                out.append(f"k8s-{namespace[:8]}-{rest[:8]}-")
        out.append(f"{name}-")
        out.append(f"{name}/")
    return list(dict.fromkeys(out))


def cloud_lookup(subject: Subject) -> tuple[str, str, list[str]] | None:
    """The series look-up of the AWS resources named after the subject, and of the resource the
    alarm's own metric names by its dimensions; None with neither."""
    names = [n for n in subject.services if n and len(n) >= 3]
    named = [
        matcher(**{label: value})
        for name, value in subject.dimensions
        for label in (f"dimension_{name}", snake(name))
    ]
    if not names:
        return ("cloud", CLOUD_METRICS, named) if named else None
    alternatives = "|".join(regex_escape(n) for n in names)
    selectors = [
        matcher(**{f"{label}__re": f"(?i)(.*[^a-z0-9])?({alternatives})([^a-z0-9].*)?"})
        for d in NAMED_DIMENSIONS
        for label in (d, snake(d.removeprefix("dimension_")))
    ]
    lb = "|".join(regex_escape(p) for p in _lb_prefixes(subject))
    selectors += [
        matcher(**{f"{label}__re": f"(?i)(app/|net/|targetgroup/)?({lb}).*"})
        for d in LB_DIMENSIONS
        for label in (d, snake(d.removeprefix("dimension_")))
    ]
    return ("cloud", CLOUD_METRICS, [*named, *selectors])


def storage_lookup() -> tuple[str, str, list[str]]:
    """The free storage of every data store a CloudWatch exporter publishes (bounded by the limit)."""
    return ("cloud_any", STORAGE_METRICS, ['job=~".+"'])


def plan_cloud(plan: dict[str, str], label_sets: list[dict[str, str]], prefix: str = "cloud:") -> None:
    """One query per series found (bounded), selected by its exact name and dimensions; a series
    already planned under another prefix is not asked twice."""
    planned = set(plan.values())
    for labels in sorted(label_sets, key=lambda ls: sorted(ls.items()))[:MAX_SERIES]:
        name = labels.get("__name__", "")
        dims = dimension_labels(labels)
        if not name or not dims:
            continue
        key = prefix + name + ":" + ",".join(f"{k}={v}" for k, v in sorted(dims.items()))
        expr = f"{name}{{{matcher(**dims)}}}"
        if expr not in planned:
            plan[key] = expr


def _alarmed(labels: dict[str, str], frame: Frame) -> bool:
    """Whether the series is of the resource the alarm's dimensions name."""
    return any(
        value in (labels.get(f"dimension_{name}"), labels.get(snake(name)))
        for name, value in frame.subject.dimensions
    )


def _resource(labels: dict[str, str]) -> str:
    table = labels.get("dimension_TableName") or labels.get("table_name")
    index = labels.get("dimension_GlobalSecondaryIndexName") or labels.get("global_secondary_index_name")
    if table and index:
        return f"{table}/{index}"  # a table's index: named with its table
    dims = [v for _, v in sorted(dimension_labels(labels).items())]
    return dims[0] if dims else "-"


def _metric(name: str) -> str:
    """`aws_applicationelb_request_count_sum` -> `applicationelb request_count (sum)`."""
    body = name.removeprefix("aws_")
    stat = re.search(r"_(sum|average|maximum|minimum|sample_count|p\d+)$", body)
    core = body[: stat.start()] if stat else body
    service, _, metric = core.partition("_")
    return f"{service} {metric}" + (f" ({stat.group(1)})" if stat else "")


def cloud(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    for key in readings.keys("cloud:"):
        name = key.split(":", 2)[1]
        for series in readings.get(key)[:1]:
            finding = _finding(readings, frame, key, name, series.labels, series.points)
            if finding is not None:
                findings.append(finding)
    # A data store not named after the alert's workload that ran out of storage: said, but only as
    # background until something ties it to the alert (a client's error naming it, its own log).
    for key in readings.keys(ANY_PREFIX):
        name = key.removeprefix(ANY_PREFIX).split(":", 1)[0]
        for series in readings.get(key)[:1]:
            finding = _finding(readings, frame, key, name, series.labels, series.points)
            if finding is not None and finding.cause_hint is CauseCategory.DISK_FULL:
                findings.append(
                    finding.model_copy(
                        update={
                            "relevance": Relevance.SUPPORTING,
                            "resources": (_resource(series.labels),),
                            "detail": f"A data store in the account ran out of storage ({name}).",
                        }
                    )
                )
    return findings


def _finding(
    readings: Readings,
    frame: Frame,
    key: str,
    name: str,
    labels: dict[str, str],
    points: Sequence[tuple[datetime, float]],
) -> Finding | None:
    change = detect_change(points)
    if change is None:
        return None
    lowered = name.lower()
    factor = change.factor()
    resource = _resource(labels)
    in_bytes = "storage" in lowered or "bytes" in lowered or "memory" in lowered
    fmt = fmt_bytes if in_bytes else (lambda v: fmt_number(round(v, 2)))
    hint: CauseCategory | None = None
    trigger: Trigger | None = None
    if re.search(r"free_storage|free_local_storage|freeable", lowered):
        if change.rising or change.after > 0.1 * max(change.before, 1):
            return None
        hint = CauseCategory.DISK_FULL if "storage" in lowered else None
        # A fitted ramp can end below zero; free storage cannot.
        what = f"fell from {fmt(change.before)} to {fmt(max(change.after, 0.0))}"
    elif not change.rising or (factor is not None and factor < SURGE):
        return None
    elif re.search(r"request_count|invocations|requests|messages_sent|call_count", lowered) and not factor:
        # none before: a sender or job that only began in the window, not a surge of the load there was
        what = f"began (none earlier in the window): {fmt(change.after)} now"
    elif re.search(r"request_count|invocations|requests|messages_sent|call_count", lowered):
        hint, trigger = CauseCategory.TRAFFIC_SPIKE, Trigger.TRAFFIC
        what = f"rose {factor:.1f}x: {fmt(change.before)} to {fmt(change.after)}"
    elif "throttle" in lowered:
        hint = CauseCategory.RATE_LIMITED
        what = f"rose from {fmt(change.before)} to {fmt(change.after)}"
    elif _CONNECTIONS.search(lowered):
        hint = CauseCategory.RESOURCE_POOL_EXHAUSTION
        rise = f"{factor:.1f}x" if factor else "from zero"
        what = f"rose {rise}: {fmt(change.before)} to {fmt(change.after)}"
    else:
        what = f"rose from {fmt(change.before)} to {fmt(change.after)}"
    return frame.finding(
        f"cloud:{name}:{resource}",
        severity=Severity.CRITICAL if hint is CauseCategory.DISK_FULL else Severity.WARNING,
        title=f"AWS {_metric(name)} of {resource} {what} from {hhmm(change.onset)}",
        detail=f"A {change.kind} in {name} for {resource}, "
        + (
            "the resource the alarm's own metric is about."
            if _alarmed(labels, frame)
            else f"a resource named after {frame.name}."
        ),
        resources=(resource, *frame.workload_resources),
        first_seen=change.onset,
        last_seen=points[-1][0],
        evidence=(frame.evidence(readings.expr(key), what, change.onset),),
        cause_hint=hint,
        change=trigger,
        relevance=RELEVANT,
    )
