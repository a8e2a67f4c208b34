"""Learning-rate finder and random-search hyperparameter optimization."""

import json
import math

import numpy as np
import pytest
from conftest import tiny_experiment

from netlab.errors import ConfigError
from netlab.training.lr_finder import find_lr
from netlab.training.search import random_search, sample_params


def test_lr_finder_sweeps_up_and_suggests_a_rate_in_range():
    lrs, losses, suggestion = find_lr(tiny_experiment(), min_lr=1e-5, max_lr=100.0, steps=30)
    assert len(lrs) == len(losses) >= 10
    assert all(b > a for a, b in zip(lrs, lrs[1:]))
    assert lrs[0] == pytest.approx(1e-5)
    # Falls once the rate is large enough, rises again when it is too large.
    lowest = losses.index(min(losses))
    assert min(losses) < losses[0]
    assert 0 < lowest and losses[-1] > min(losses)
    assert 1e-5 <= suggestion <= 100.0 and suggestion == pytest.approx(lrs[lowest] / 10)


def test_lr_finder_refuses_a_backwards_range():
    with pytest.raises(ConfigError, match="min_lr < max_lr"):
        find_lr(tiny_experiment(), min_lr=1.0, max_lr=0.1)


def test_random_search_returns_trials_sorted_by_validation_accuracy(tmp_path):
    space = {"learning_rate": (1e-4, 1e-2), "dropout": (0.0, 0.5), "l2": (1e-6, 1e-3)}
    seen = []
    trials = random_search(tiny_experiment(), budget=3, epochs_per_trial=1, space=space, seed=1,
                           on_trial=seen.append, run_root=tmp_path / "search")
    assert len(trials) == len(seen) == 3
    accuracies = [t.best_val_accuracy for t in trials]
    assert accuracies == sorted(accuracies, reverse=True)
    for t in trials:
        assert 1e-4 <= t.params["learning_rate"] <= 1e-2 and 0 <= t.params["dropout"] <= 0.5
        assert t.epochs == 1 and math.isfinite(t.best_val_loss)
        assert (tmp_path / "search" / f"trial-{t.index:02d}" / "history.csv").is_file()
    # Different draws per trial, the same draws for the same seed: a fresh
    # generator seeded 1 draws exactly the trials' knobs, in trial order.
    assert len({t.params["learning_rate"] for t in trials}) == 3
    rng = np.random.default_rng(1)
    assert [t.params for t in sorted(trials, key=lambda t: t.index)] == [sample_params(space, rng)
                                                                         for _ in range(3)]
    assert sample_params(space, np.random.default_rng(2)) != trials[0].params
    json.dumps([t.to_dict() for t in trials])


def test_random_search_refuses_an_unknown_knob():
    with pytest.raises(ConfigError, match="unknown knob 'momentum'"):
        random_search(tiny_experiment(), budget=1, space={"momentum": (0.5, 0.9)})
