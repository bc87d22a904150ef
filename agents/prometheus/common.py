"""What every Prometheus analyzer shares: the frame of one investigation, evidence with its PromQL and
graph link, and numbers written with their units."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agents.prometheus.client import Series
from agents.prometheus.promql import Subject, graph_link
from shared.contracts import AlertContext, Evidence, EvidenceKind, Finding
from shared.relevance import Relevance

# Relevance of a finding about the alert's own workload (its pods, its service, its HPA).
RELEVANT = Relevance.DIRECT
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/\-]+")


@dataclass(frozen=True)
class Frame:
    """One investigation as the analyzers see it."""

    ctx: AlertContext
    subject: Subject
    ui_url: str  # where graph links point: a Prometheus UI (the query URL unless configured)
    agent: str = "prometheus"

    @property
    def window(self) -> timedelta:
        return self.ctx.window_end - self.ctx.window_start

    def evidence(self, expr: str, excerpt: str, at: datetime | None = None) -> Evidence:
        return Evidence(
            kind=EvidenceKind.METRIC,
            reference=expr[:4000],
            excerpt=excerpt,
            at=at,
            url=graph_link(self.ui_url, expr, self.window, self.ctx.window_end) if self.ui_url else None,
        )

    @property
    def name(self) -> str:
        """The workload's name for titles."""
        return self.subject.name or self.subject.namespace or "the workload"

    @property
    def workload_slug(self) -> str:
        return f"{self.subject.namespace or '-'}/{self.subject.name or '-'}"

    @property
    def workload_resources(self) -> tuple[str, ...]:
        s = self.subject
        return (f"{s.namespace}/{s.name}",) if s.namespace and s.name else ()

    def finding(self, slug: str, **fields: Any) -> Finding:
        return Finding(id=f"{self.agent}:{slug_of(slug)}", agent=self.agent, **fields)


def slug_of(text: str) -> str:
    return _SLUG_UNSAFE.sub("-", text).strip("-")[:180] or "x"


def where(labels: dict[str, str]) -> str:
    """`shop/checkout-7d9f8c6b5-x2k4p (app)` from container labels."""
    pod = labels.get("pod", "")
    base = (
        f"{labels['namespace']}/{pod}"
        if labels.get("namespace") and pod
        else pod or labels.get("namespace", "")
    )
    return f"{base} ({labels['container']})" if labels.get("container") else base


def resource(labels: dict[str, str]) -> str:
    if labels.get("pod"):
        return f"{labels.get('namespace', '')}/Pod/{labels['pod']}".lstrip("/")
    return "/".join(v for v in (labels.get("namespace"), labels.get("service")) if v)


def hhmm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


def ago(ctx: AlertContext, at: datetime) -> str:
    minutes = round((ctx.anchor - at).total_seconds() / 60)
    if minutes >= 0:
        return f"{minutes} min before the alert"
    return f"{-minutes} min after the alert started"


def fmt_bytes(value: float) -> str:
    """`512 MiB`, `1018 MiB`, `47.5 GiB`: three significant digits, never an exponent."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(value) >= size:
            scaled = value / size
            text = f"{scaled:.0f}" if abs(scaled) >= 100 else f"{scaled:.3g}"
            return f"{text} {unit}"
    return f"{value:.0f} B"


def fmt_pct(ratio: float) -> str:
    percent = ratio * 100
    if percent == 0:
        return "0%"
    if abs(percent) < 1:
        return f"{percent:.2g}%"
    return f"{percent:.3g}%" if abs(percent) < 100 else f"{percent:.0f}%"


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2g} s"


def fmt_number(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def fmt_cpu(cores: float) -> str:
    """A CPU quantity as a manifest writes it: `10m`, `250m` below a core, `1.5 cores` from one."""
    if 0 < cores < 1:
        return f"{round(cores * 1000)}m"
    return f"{fmt_number(round(cores, 2))} core{'' if cores == 1 else 's'}"


def fmt_rate(value: float) -> str:
    return f"{fmt_number(round(value, 2) if value < 10 else round(value))} req/s"


def key_of(labels: dict[str, str], names: Iterable[str]) -> tuple[str, ...]:
    return tuple(labels.get(n, "") for n in names)


def by_key(series: Iterable[Series], names: Iterable[str]) -> dict[tuple[str, ...], Series]:
    names = tuple(names)
    return {key_of(s.labels, names): s for s in series}


def peak(series: Series) -> tuple[datetime, float] | None:
    return max(series.points, key=lambda p: p[1]) if series.points else None


def values_at(series: Series, since: datetime) -> list[float]:
    return [v for t, v in series.points if t >= since]
