"""Change-point detection on synthetic series: steps, ramps, noise, outliers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from agents.prometheus.changepoint import detect_change, first_crossing, linear_eta

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=30)


def series(values: list[float]) -> list[tuple[datetime, float]]:
    return [(T0 + STEP * i, v) for i, v in enumerate(values)]


def test_a_step_up_is_found_with_its_onset_and_levels() -> None:
    change = detect_change(series([10.0] * 80 + [40.0] * 40))
    assert change is not None
    assert change.kind == "step"
    assert change.onset == T0 + STEP * 80
    assert round(change.before) == 10 and round(change.after) == 40
    assert change.factor() == 4.0


def test_a_step_down_is_found() -> None:
    change = detect_change(series([40.0] * 24 + [8.0] * 96))
    assert change is not None and change.kind == "step" and not change.rising
    assert change.onset == T0 + STEP * 24
    assert change.after == 8.0


def test_a_ramp_after_a_flat_baseline_has_its_onset_at_the_knee() -> None:
    values = [100.0] * 60 + [100.0 + 5 * i for i in range(60)]
    change = detect_change(series(values))
    assert change is not None
    assert change.kind == "ramp"
    assert abs(change.index - 60) <= 1
    assert change.after > 350
    assert change.slope > 0


def test_growth_from_the_start_is_a_ramp_from_the_first_sample() -> None:
    change = detect_change(series([2.4e8 + 1e6 * i for i in range(80)]))
    assert change is not None and change.kind == "ramp" and change.index == 0


def test_noise_around_a_level_is_not_a_change() -> None:
    rng = random.Random(7)
    assert detect_change(series([100 + rng.gauss(0, 3) for _ in range(120)])) is None


def test_a_single_outlier_is_not_a_step() -> None:
    rng = random.Random(3)
    values = [50 + rng.gauss(0, 1) for _ in range(120)]
    values[70] = 400.0
    assert detect_change(series(values)) is None


def test_a_step_smeared_by_a_rate_window_starts_where_it_leaves_the_baseline() -> None:
    # rate(x[5m]) over a step at sample 80: a 10-sample ramp from 100 to 400, then flat.
    values = [100.0] * 80 + [100.0 + 30 * i for i in range(1, 11)] + [400.0] * 30
    change = detect_change(series(values))
    assert change is not None and change.kind == "step"
    assert change.onset == T0 + STEP * 80
    assert (change.before, change.after) == (100.0, 400.0)


def test_a_noisy_step_is_still_found() -> None:
    rng = random.Random(11)
    values = [0.01 + abs(rng.gauss(0, 0.003)) for _ in range(90)] + [
        0.3 + rng.gauss(0, 0.02) for _ in range(30)
    ]
    change = detect_change(series(values))
    assert change is not None and change.rising
    assert abs(change.index - 90) <= 2


def test_a_small_relative_move_is_ignored() -> None:
    assert detect_change(series([1000.0] * 60 + [1050.0] * 60)) is None


def test_flat_and_short_series_have_no_change() -> None:
    assert detect_change(series([5.0] * 100)) is None
    assert detect_change(series([1.0, 1.0, 9.0, 9.0])) is None


def test_first_crossing_is_the_start_of_the_final_breach() -> None:
    points = series([0.1, 0.9, 0.2, 0.2, 0.95, 0.97, 0.99])
    assert first_crossing(points, 0.9) == T0 + STEP * 4
    assert first_crossing(series([0.1, 0.2]), 0.9) is None


def test_linear_eta_projects_when_a_volume_fills() -> None:
    # 1% per minute from 80%: 20 minutes to 100%.
    points = [(T0 + timedelta(minutes=i), 0.80 + 0.01 * i) for i in range(11)]
    eta = linear_eta(points, 1.0)
    assert eta is not None and abs(eta - 600) < 1
    assert linear_eta(series([5.0, 4.0, 3.0]), 10.0) is None
