"""A picture of what moved: a small PNG of the one to three metrics that moved most, over the
investigation window, with the alert and the change marked; uploaded to the report's thread.

The candidates are the findings the report shows (cited first, then by relevance) whose evidence
is a metric: a PromQL expression (read from Prometheus) or a CloudWatch metric (its dashboard
metric array, `shared.cloudwatch_metric`, read with GetMetricData); their series are read again
over the whole window, and the one to three that moved most relative to their level are drawn. matplotlib is
imported only here, inside `draw`: the master pays ~0.4 s the first time it draws, and nothing
else (the intake, the scanners) ever loads it. It is an extra (`sre-on-call[graphs]`) the master's
image installs; without it the graph is skipped with a word.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.cloudwatch_metric import CloudWatchMetric, parse_cloudwatch_reference
from shared.contracts import EvidenceKind, IncidentReport
from shared.render.document import clock_time, shown_findings

logger = logging.getLogger(__name__)

MAX_METRICS = 3
MAX_CANDIDATES = 6  # metrics read again; the MAX_METRICS that moved most are drawn
MAX_SERIES = 5  # lines per metric: the five that moved most
WIDTH_PX, DPI = 600, 100
ROW_INCHES = 1.5
POINTS = 120
ALERT_COLOUR, CHANGE_COLOUR = "#d92d20", "#2e90fa"
# What drawing and uploading take at most; with less time left before the cutoff the graph is skipped.
GRAPH_SECONDS = 4.0


@dataclass(frozen=True)
class Metric:
    title: str  # the finding's title
    expr: str  # its PromQL, or a CloudWatch metric's reference


@dataclass(frozen=True)
class Curve:
    label: str
    points: tuple[tuple[datetime, float], ...]


def moved_metrics(report: IncidentReport, limit: int = MAX_METRICS) -> list[Metric]:
    """The metrics to draw: the shown findings with a metric (PromQL or CloudWatch), cited first."""
    out: list[Metric] = []
    seen: set[str] = set()
    for finding in shown_findings(report):
        for evidence in finding.evidence:
            if evidence.kind is EvidenceKind.METRIC and evidence.reference not in seen:
                seen.add(evidence.reference)
                out.append(Metric(finding.title, evidence.reference))
                break
        if len(out) >= limit:
            break
    return out


def change_time(report: IncidentReport) -> datetime | None:
    """When the change the cause names happened: the earliest time among the cited change findings."""
    cited = set(report.cause.evidence)
    times = [
        f.first_seen or min((e.at for e in f.evidence if e.at), default=None)
        for f in report.findings
        if f.id in cited and f.change is not None and f.change.value != "none"
    ]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _moved(points: Sequence[tuple[datetime, float]]) -> float:
    values = [v for _, v in points]
    return (max(values) - min(values)) if values else 0.0


def movement(points: Sequence[tuple[datetime, float]]) -> float:
    """How far a series moved over the window, relative to its level: (max - min) / max |v|."""
    values = [v for _, v in points]
    if not values:
        return 0.0
    scale = max(abs(v) for v in values)
    return (max(values) - min(values)) / scale if scale else 0.0


def draw(
    panels: Sequence[tuple[str, Sequence[Curve]]],
    *,
    start: datetime,
    end: datetime,
    alert_at: datetime,
    change_at: datetime | None,
) -> bytes:
    """The PNG: one panel per metric, the window on the x axis, the alert (red, dashed) and the
    change (blue, dotted) marked and named in each panel's legend. 600 px wide."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    rows = max(1, len(panels))
    fig = Figure(figsize=(WIDTH_PX / DPI, ROW_INCHES * rows + 0.3), dpi=DPI)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for ax, (title, curves) in zip(axes, panels, strict=False):
        for curve in sorted(curves, key=lambda c: -_moved(c.points))[:MAX_SERIES]:
            ax.plot([t for t, _ in curve.points], [v for _, v in curve.points], linewidth=1.2, label=None)
        ax.axvline(
            alert_at, color=ALERT_COLOUR, linestyle="--", linewidth=1.5, label=f"alert {clock_time(alert_at)}"
        )
        if change_at is not None and start <= change_at <= end:
            ax.axvline(
                change_at,
                color=CHANGE_COLOUR,
                linestyle=":",
                linewidth=1.8,
                label=f"change {clock_time(change_at)}",
            )
        ax.set_title(title if len(title) <= 90 else title[:89] + "…", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
        ax.set_xlim(start, end)
        ax.legend(fontsize=7, loc="upper left", frameon=False)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(DateFormatter("%H:%M"))
    axes[-1].set_xlabel("UTC", fontsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    marks = f"alert={alert_at.isoformat()}" + (f"; change={change_at.isoformat()}" if change_at else "")
    fig.savefig(out, format="png", metadata={"Description": marks})
    return out.getvalue()


RangeQuery = Callable[[str, datetime, datetime, timedelta], Sequence[Curve]]


def graph_png(report: IncidentReport, query: RangeQuery) -> tuple[bytes, str] | None:
    """The PNG of what moved and its alt text, or None when no metric with data is shown."""
    ctx = report.alert
    start, end = ctx.window_start, ctx.window_end
    step = max(timedelta(seconds=15), (end - start) / POINTS)
    found = []
    for metric in moved_metrics(report, limit=MAX_CANDIDATES):
        curves = [c for c in query(metric.expr, start, end, step) if c.points]
        if curves:
            found.append((metric.title, curves))
    if not found:
        return None
    # The ones that moved most (relative to their level), in the report's order.
    kept = sorted(found, key=lambda panel: -max(movement(c.points) for c in panel[1]))[:MAX_METRICS]
    panels = [panel for panel in found if panel in kept]
    change_at = change_time(report)
    png = draw(panels, start=start, end=end, alert_at=ctx.anchor, change_at=change_at)
    alt = "; ".join(title for title, _ in panels) + f"; alert at {clock_time(ctx.anchor)}"
    if change_at is not None:
        alt += f", change at {clock_time(change_at)}"
    return png, alt[:1000]


def prometheus_query(config: object) -> RangeQuery:
    """Range queries through the Prometheus client the scanner uses (same URL and auth)."""
    from agents.prometheus.client import client_from_env

    client = client_from_env(config.sources.prometheus, timeout=2.0)  # type: ignore[attr-defined]

    def query(expr: str, start: datetime, end: datetime, step: timedelta) -> list[Curve]:
        return [
            Curve(",".join(f"{k}={v}" for k, v in s.labels.items() if k != "__name__")[:60], s.points)
            for s in client.query_range(expr, start, end, step, timeout=2.0)
        ]

    return query


# GetMetricData's periods: 1, 5, 10, 30 s (high resolution) or a multiple of 60 s.
def _period(step: timedelta) -> int:
    seconds = max(60, int(step.total_seconds()))
    return seconds - seconds % 60


def cloudwatch_query(client: object) -> RangeQuery:
    """Range reads of CloudWatch metrics through `client` (a boto3 CloudWatch client): one
    GetMetricData per metric, its stat, at the step rounded to whole minutes. An expression that
    is not a CloudWatch reference reads nothing."""

    def query(expr: str, start: datetime, end: datetime, step: timedelta) -> list[Curve]:
        metric = parse_cloudwatch_reference(expr)
        if metric is None:
            return []
        return [_read_cloudwatch(client, metric, start, end, _period(step))]

    return query


def _read_cloudwatch(
    client: object, metric: CloudWatchMetric, start: datetime, end: datetime, period: int
) -> Curve:
    stat = {
        "Metric": {
            "Namespace": metric.namespace,
            "MetricName": metric.name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in metric.dimensions],
        },
        "Period": period,
        "Stat": metric.stat,
    }
    points: dict[datetime, float] = {}
    token: str | None = None
    for _ in range(5):  # a window of 120 points fits one page; a few pages at most
        kwargs = {"NextToken": token} if token else {}
        answer = client.get_metric_data(  # type: ignore[attr-defined]
            MetricDataQueries=[{"Id": "m0", "MetricStat": stat, "ReturnData": True}],
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
            **kwargs,
        )
        for result in answer.get("MetricDataResults") or []:
            points.update(zip(result.get("Timestamps") or [], result.get("Values") or [], strict=False))
        token = answer.get("NextToken")
        if not token:
            break
    return Curve(metric.label[:60], tuple(sorted(points.items())))


def metrics_query(config: object, cloudwatch: object | None = None) -> RangeQuery:
    """Each expression to its source: a CloudWatch reference to CloudWatch (`cloudwatch`, else a
    client in `sources.aws.region`, made on first use), anything else to Prometheus."""
    made: dict[str, RangeQuery] = {}

    def query(expr: str, start: datetime, end: datetime, step: timedelta) -> Sequence[Curve]:
        if parse_cloudwatch_reference(expr) is not None:
            if "cloudwatch" not in made:
                made["cloudwatch"] = cloudwatch_query(cloudwatch or _cloudwatch_client(config))
            return made["cloudwatch"](expr, start, end, step)
        if "prometheus" not in made:
            made["prometheus"] = prometheus_query(config)
        return made["prometheus"](expr, start, end, step)

    return query


def _cloudwatch_client(config: object) -> object:
    import boto3
    from botocore.config import Config

    region = config.sources.aws.region  # type: ignore[attr-defined]
    timeouts = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1})
    return boto3.client("cloudwatch", region_name=region, config=timeouts)
