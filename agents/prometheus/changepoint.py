"""What moved in a series, and when: a single change-point, a step or a ramp, against its baseline.

Pure functions over (time, value) points. Three models are fitted by least squares, each in one
pass with prefix sums:

- flat: one level (nothing moved);
- step: one level before index k, another from k on;
- ramp: flat until k, then a straight line (a "hinge"); k = 0 is growth from the start.

The model with the lowest BIC wins, and a change is reported only when it is large against both the
baseline level and the noise around the fit, so a wobbling series does not "move".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Point = tuple[datetime, float]

MIN_POINTS = 8
MIN_SEGMENT = 3  # samples on each side of a step: a single outlier is not a step
MIN_RELATIVE = 0.2  # a change under 20% of the baseline (or of the range) is not reported
MIN_NOISE_RATIO = 4.0  # the change must be this many residual standard deviations
TRANSITION = 0.05  # a sample this far (share of the step) from the baseline is already moving


@dataclass(frozen=True)
class Change:
    """One change-point. `before` is the baseline level; `after` is the level after a step or the
    value at the end of a ramp; `slope` is per second (0 for a step)."""

    kind: Literal["step", "ramp"]
    onset: datetime
    index: int
    before: float
    after: float
    slope: float = 0.0

    @property
    def delta(self) -> float:
        return self.after - self.before

    @property
    def rising(self) -> bool:
        return self.after > self.before

    def factor(self) -> float | None:
        """after / before, when the baseline is not zero."""
        return self.after / self.before if self.before else None


def _bic(sse: float, n: int, params: int, floor: float) -> float:
    return n * math.log(max(sse, floor) / n) + params * math.log(n)


def _best_step(values: Sequence[float]) -> tuple[float, int]:
    n = len(values)
    prefix = [0.0]
    prefix_sq = [0.0]
    for v in values:
        prefix.append(prefix[-1] + v)
        prefix_sq.append(prefix_sq[-1] + v * v)
    best = (math.inf, -1)
    for k in range(MIN_SEGMENT, n - MIN_SEGMENT + 1):
        left_n, right_n = k, n - k
        left_sum, right_sum = prefix[k], prefix[n] - prefix[k]
        sse = (prefix_sq[k] - left_sum**2 / left_n) + (prefix_sq[n] - prefix_sq[k] - right_sum**2 / right_n)
        sse = max(0.0, sse)  # rounding can take an exact fit a hair below zero
        if sse < best[0] - 1e-12:
            best = (sse, k)
    return best


def _best_ramp(times: Sequence[float], values: Sequence[float]) -> tuple[float, int, float, float]:
    """(sse, k, level, slope) of the best hinge fit v = level + slope * max(0, t - t_k)."""
    n = len(values)
    total = sum(values)
    total_sq = sum(v * v for v in values)
    # Suffix sums of t, t^2, v, t*v over i >= k.
    s_t = [0.0] * (n + 1)
    s_tt = [0.0] * (n + 1)
    s_v = [0.0] * (n + 1)
    s_tv = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        s_t[i] = s_t[i + 1] + times[i]
        s_tt[i] = s_tt[i + 1] + times[i] ** 2
        s_v[i] = s_v[i + 1] + values[i]
        s_tv[i] = s_tv[i + 1] + times[i] * values[i]
    best = (math.inf, -1, 0.0, 0.0)
    for k in range(0, n - MIN_SEGMENT):
        tk, m = times[k], n - k
        sx = s_t[k] - m * tk
        sxx = s_tt[k] - 2 * tk * s_t[k] + m * tk * tk
        sxv = s_tv[k] - tk * s_v[k]
        det = n * sxx - sx * sx
        if det <= 1e-12:
            continue
        slope = (n * sxv - sx * total) / det
        level = (total - slope * sx) / n
        # SSE = sum (v - a - b x)^2 expanded with the sums above.
        sse = (
            total_sq
            - 2 * level * total
            - 2 * slope * sxv
            + n * level * level
            + 2 * level * slope * sx
            + slope * slope * sxx
        )
        if sse < best[0] - 1e-12:
            best = (max(0.0, sse), k, level, slope)
    return best


def detect_change(points: Sequence[Point], *, min_relative: float = MIN_RELATIVE) -> Change | None:
    """The one change-point of `points` (sorted by time), or None when nothing moved enough."""
    clean = [(t, v) for t, v in points if math.isfinite(v)]
    n = len(clean)
    if n < MIN_POINTS:
        return None
    origin = clean[0][0]
    times = [(t - origin).total_seconds() for t, _ in clean]
    values = [v for _, v in clean]
    mean = sum(values) / n
    sse_flat = sum((v - mean) ** 2 for v in values)
    spread = max(values) - min(values)
    if spread <= 0:
        return None
    scale = max(abs(mean), spread)
    floor = (1e-6 * scale) ** 2 * n  # synthetic series fit exactly; keep the logarithm finite

    # Fitted on values centred at their mean: prefix sums of squares of raw byte counts (1e8 and
    # up) would lose the differences between candidate splits to rounding.
    centred = [v - mean for v in values]
    step_sse, k_step = _best_step(centred)
    ramp_sse, k_ramp, level, slope = _best_ramp(times, centred)
    level += mean
    scores = {
        "flat": _bic(sse_flat, n, 1, floor),
        "step": _bic(step_sse, n, 3, floor) if k_step > 0 else math.inf,
        "ramp": _bic(ramp_sse, n, 3, floor) if k_ramp >= 0 else math.inf,
    }
    kind = min(scores, key=lambda key: (scores[key], key != "step"))
    if kind == "flat":
        return None
    if kind == "step":
        # Medians: the few samples a rate() window smears across the step do not shift the levels.
        before = statistics.median(values[:k_step])
        after = statistics.median(values[k_step:])
        # The best split sits mid-transition when a rate() window smears the step over minutes:
        # the onset is where the series first left its baseline on the way.
        baseline = values[:k_step]
        spread = statistics.median(abs(v - before) for v in baseline)
        moved = max(TRANSITION * abs(after - before), 3 * spread)
        onset = k_step
        while onset > 0 and abs(values[onset - 1] - before) >= moved:
            onset -= 1
        change = Change("step", clean[onset][0], onset, before, after)
        residual = math.sqrt(step_sse / n)
    else:
        before = level
        after = level + slope * (times[-1] - times[k_ramp])
        change = Change("ramp", clean[k_ramp][0], k_ramp, before, after, slope)
        residual = math.sqrt(ramp_sse / n)
    delta = abs(change.delta)
    if delta < min_relative * max(abs(before), 1e-12) and delta < min_relative * scale:
        return None
    if delta < MIN_NOISE_RATIO * residual:
        return None
    return change


def first_crossing(points: Sequence[Point], threshold: float, *, above: bool = True) -> datetime | None:
    """When the series last went over (or under) `threshold` and stayed there to its end."""
    onset = None
    for t, v in points:
        breached = v >= threshold if above else v <= threshold
        if breached and onset is None:
            onset = t
        elif not breached:
            onset = None
    return onset


def linear_eta(points: Sequence[Point], target: float) -> float | None:
    """Seconds until a least-squares line through `points` reaches `target` (None if never)."""
    if len(points) < 3:
        return None
    origin = points[0][0]
    xs = [(t - origin).total_seconds() for t, _ in points]
    ys = [v for _, v in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    if var <= 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
    if slope <= 0:
        return None
    now_value = my + slope * (xs[-1] - mx)
    return max(0.0, (target - now_value) / slope)
