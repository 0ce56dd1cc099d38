"""The soak benchmark's verdict on memory (issue 25: "RSS flat after warm-up")."""

from __future__ import annotations

import pytest

from benchmarks.bench_soak import is_flat, memory_rows, slope_mb_per_hour


def test_the_slope_is_in_mb_per_hour() -> None:
    """A least-squares slope of MB against seconds, given per hour."""
    assert slope_mb_per_hour(
        [(0, 1000.0), (60, 1001.0), (120, 1002.0)]
    ) == pytest.approx(60)
    assert slope_mb_per_hour([(0, 1000.0), (30, 1000.0)]) == 0
    assert slope_mb_per_hour([(0, 1000.0)]) == 0


def test_flat_means_under_five_percent_in_a_day() -> None:
    """The growth kept up for 24 h must stay under 5 % of the RSS."""
    assert is_flat(2.0, 1000.0)  # 48 MB a day
    assert not is_flat(2.1, 1000.0)  # 50.4 MB a day
    assert is_flat(-5.0, 1000.0)


def test_warm_up_samples_do_not_count() -> None:
    """Only the samples after the warm-up give the slope."""
    samples = [
        (0.0, {"rasa": 900.0}),
        (60.0, {"rasa": 1000.0}),
        (120.0, {"rasa": 1000.0}),
        (180.0, {"rasa": 1000.02}),
    ]
    rows, flat = memory_rows(samples, {"rasa": 890.0}, 60, messages_per_second=10)
    assert flat
    assert rows == ["| rasa | 890 MB | 1000 MB | 1000 MB | +0.6 MB | +0.17 MB | yes |"]
    _, flat = memory_rows(samples, {"rasa": 890.0}, 0, messages_per_second=10)
    assert not flat
