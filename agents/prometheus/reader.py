"""Every remote read of one Prometheus scan, over an injected `PrometheusClient` and bounded by the
scan's budget: the discovery look-ups, the signal queries of a plan (a few at a time), and the alert's
own expression."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agents.common.base import Budget
from agents.prometheus.analyzers import AlertEvaluation
from agents.prometheus.client import PrometheusClient, Rule, Series
from agents.prometheus.promql import expr_from_generator_url, split_threshold
from agents.prometheus.readings import Readings
from agents.prometheus.signals import Discovery, series_selector
from shared.errors import SourceError

logger = logging.getLogger(__name__)

MAX_POINTS = 240  # points per range query: a 1 h window at 15 s
MIN_STEP_S = 15
CALL_TIMEOUT_S = 10.0
WORKERS = 4
RATE_WINDOW = timedelta(minutes=5)  # the [5m] of the signal queries
ABSOLUTE_RATES = frozenset({"requests", "cpu"})  # plan keys whose warm-up reads falsely low
_IGNORED_ALERT_LABELS = frozenset({"alertname", "severity", "prometheus", "alertstate", "__name__"})


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def step(self) -> timedelta:
        seconds = (self.end - self.start).total_seconds() / MAX_POINTS
        return timedelta(seconds=max(MIN_STEP_S, MIN_STEP_S * round(seconds / MIN_STEP_S)))


class PrometheusReader:
    """Every read of one scan, bounded by `budget`: calls stop when it runs out."""

    def __init__(self, client: PrometheusClient, budget: Budget, window: Window) -> None:
        self.client = client
        self.budget = budget
        self.window = window

    def _timeout(self) -> float:
        if self.budget.expired():
            raise SourceError("prometheus: the scan's time budget ran out")
        return min(CALL_TIMEOUT_S, self.budget.fraction(0.6, floor=0.5))

    def discover(
        self, lookups: list[tuple[str, str, list[str]]], discovery: Discovery | None = None, limit: int = 500
    ) -> Discovery:
        """Run the series look-ups (kind, name regex, matchers); a failed look-up is noted, and
        only when every one fails is the source taken to be down."""
        discovery = discovery or Discovery()
        failures: list[SourceError] = []

        def one(lookup: tuple[str, str, list[str]]) -> tuple[str, str, list[dict[str, str]]]:
            kind, names, matchers = lookup
            selectors = [series_selector(names, m) for m in matchers]
            found = self.client.series(
                selectors, self.window.start, self.window.end, limit=limit, timeout=self._timeout()
            )
            return kind, matchers[0], found

        for outcome in self._parallel(one, lookups):
            discovery.lookups += 1
            if isinstance(outcome, SourceError):
                failures.append(outcome)
                continue
            kind, matcher, found = outcome
            if len(found) >= limit:
                discovery.truncated.append(kind)
            discovery.add(kind, matcher, found)
        if lookups and len(failures) == len(lookups):
            raise failures[0]
        return discovery

    def read(self, plan: dict[str, str]) -> Readings:
        """Run every query of `plan` over the window; failures become `errors`, not exceptions."""
        readings = Readings(exprs=dict(plan))
        keys = list(plan)
        outcomes = self._parallel(lambda key: self.range(plan[key], warmup=key in ABSOLUTE_RATES), keys)
        for key, outcome in zip(keys, outcomes, strict=True):
            if isinstance(outcome, SourceError):
                readings.errors.append(f"{key}: {outcome}")
            else:
                readings.series[key] = outcome
        return readings

    def range(self, expr: str, *, warmup: bool = False) -> list[Series]:
        """`expr` over the window; with `warmup`, the first rate window of each series that begins
        inside the window is dropped (see `_without_warmup`)."""
        series = self.client.query_range(
            expr, self.window.start, self.window.end, self.window.step, timeout=self._timeout()
        )
        if warmup:
            series = [_without_warmup(s, self.window.start) for s in series]
        return series

    def _parallel(self, call: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        def guarded(item: Any) -> Any:
            try:
                return call(item)
            except SourceError as e:
                return e

        if len(items) <= 1:
            return [guarded(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(items))) as pool:
            return list(pool.map(guarded, items))

    def alert_rule(self, alert_name: str, labels: dict[str, str]) -> Rule | None:
        """The alerting rule named `alert_name`; with several, the one whose labels agree with the alert's."""
        candidates = [
            rule
            for group in self.client.rules("alert", timeout=self._timeout())
            for rule in group.rules
            if rule.type == "alerting" and rule.name == alert_name
        ]

        def agreement(rule: Rule) -> int:
            return sum(1 for k, v in rule.labels.items() if labels.get(k) == v) - sum(
                1 for k, v in rule.labels.items() if k in labels and labels[k] != v
            )

        return max(candidates, key=agreement) if candidates else None

    def evaluate_alert(
        self, alert_name: str, generator_url: str | None, labels: dict[str, str]
    ) -> AlertEvaluation | None:
        """The alert's expression (from its generatorURL, else the rules API) over the window, kept
        to the series that agree with the alert's own labels."""
        expr, source = expr_from_generator_url(generator_url), "generatorURL"
        if expr is None:
            rule = self.alert_rule(alert_name, labels)
            if rule is None:
                return None
            expr, source = rule.query, "rules API"
        series = _agreeing(self.range(expr), labels)
        split = split_threshold(expr)
        values: list[Series] = []
        if split is not None:
            try:
                values = _agreeing(self.range(split[0]), labels)
            except SourceError as e:
                logger.debug("expr=<%s>, error=<%s> | could not evaluate the left-hand side", split[0], e)
        return AlertEvaluation(
            alert_name=alert_name,
            expr=expr,
            source=source,
            series=series,
            step=self.window.step,
            values=values,
            op=split[1] if split else None,
            threshold=split[2] if split else None,
        )


def _without_warmup(series: Series, window_start: datetime) -> Series:
    """rate() divides by the whole rate window, so while a counter's data is younger than that
    window the rate reads low and climbs for five minutes: a false surge. Absolute rates (requests
    per second, CPU cores) drop those points; ratios of two rates (errors, throttling) do not need to,
    both sides being low alike, and for them the first point can be the onset."""
    if not series.points or series.points[0][0] <= window_start:
        return series
    warm = series.points[0][0] + RATE_WINDOW
    return Series(series.labels, tuple(p for p in series.points if p[0] >= warm))


def _agreeing(series: list[Series], labels: dict[str, str]) -> list[Series]:
    wanted = {k: v for k, v in labels.items() if k not in _IGNORED_ALERT_LABELS}
    return [s for s in series if all(s.labels.get(k, v) == v for k, v in wanted.items())]
