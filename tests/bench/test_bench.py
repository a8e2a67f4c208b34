"""The benchmarks' arithmetic (the benchmarks themselves run as ``python -m netlab.bench NAME``)."""

import pytest

from netlab.bench.overhead import median_pair_ratio
from netlab.bench.window import gap_stats


def test_overhead_verdict_is_the_median_of_per_pair_ratios_not_a_ratio_of_medians():
    # The machine slows down over the run; each NetLab rep is 10% slower than its pair.
    plain = [1000.0, 800.0, 600.0]
    netlab = [900.0, 720.0, 540.0]
    assert median_pair_ratio(plain, netlab) == pytest.approx(0.9)
    # A drift between pairs changes the ratio of medians but not the pairs' verdict.
    plain, netlab = [1000.0, 1000.0, 600.0], [900.0, 540.0, 540.0]
    assert median_pair_ratio(plain, netlab) == pytest.approx(0.9)
    with pytest.raises(ValueError):
        median_pair_ratio([1.0], [])


def test_window_gap_stats_in_milliseconds_and_long_gaps_counted():
    gaps = [0.001] * 97 + [0.020, 0.040, 0.500]
    stats = gap_stats(gaps)
    assert stats["ticks"] == 100
    assert stats["p50_ms"] == pytest.approx(1.0)
    assert stats["p99_ms"] == pytest.approx(500.0)
    assert stats["max_ms"] == pytest.approx(500.0)
    assert stats["over_33ms"] == 2
    assert gap_stats([])["over_33ms"] == 0


def test_finetune_cache_ratio_pairs_each_plain_run_with_the_cached_run_beside_it():
    from netlab.bench.finetune_cache import pair_ratios

    plain = [{"epoch_seconds": 2.0}, {"epoch_seconds": 4.0}]
    cached = [{"epoch_seconds": 0.1}, {"epoch_seconds": 0.5}]
    assert pair_ratios(plain, cached) == pytest.approx([20.0, 8.0])
    with pytest.raises(ValueError):
        pair_ratios(plain, cached[:1])


@pytest.mark.slow  # two child processes, each importing TensorFlow
def test_stats_memory_reports_each_case_peak_against_its_peak_over_few_images(capsys):
    import json

    from netlab.bench import BENCHMARKS
    from netlab.bench.stats_memory import main

    assert BENCHMARKS["stats-memory"] == "netlab.bench.stats_memory"
    assert main(["--cases", "tiny", "--images", "40", "--baseline", "8", "--json"]) == 0
    tiny = json.loads(capsys.readouterr().out)["cases"]["tiny"]
    assert (tiny["few"]["images"], tiny["many"]["images"]) == (8, 40)
    for side in (tiny["few"], tiny["many"]):  # each child's own peak, at least what it held before computing
        assert side["peak_mb"] >= side["peak_before_mb"] > 0 and side["seconds"] > 0
    assert tiny["ratio"] == pytest.approx(tiny["many"]["peak_mb"] / tiny["few"]["peak_mb"])
    assert tiny["within_target"] == (tiny["ratio"] <= 1.5)
