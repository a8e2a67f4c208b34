import numpy as np
import pytest
from inspect_models import images, nested

from netlab.errors import ConfigError
from netlab.inspect.activations import activation_layers, activation_statistics, init_experiment
from netlab.inspect.layers import feature_maps


def test_small_gaussian_init_collapses_activations_with_depth():
    stds = init_experiment("small_gaussian", "tanh", depth=6, width=256).stds
    assert len(stds) == 6
    assert all(b < a for a, b in zip(stds, stds[1:]))  # shrinks at every layer
    assert stds[-1] < 1e-3 * stds[0]


def test_he_with_relu_keeps_the_spread_roughly_constant():
    stds = init_experiment("he", "relu", depth=6, width=256).stds
    assert 0.5 < stds[-1] / stds[0] < 2.0


def test_zeros_init_gives_all_zero_activations_and_xavier_keeps_tanh_alive():
    zeros = init_experiment("zeros", "tanh", depth=3, width=64)
    assert zeros.stds == [0.0, 0.0, 0.0]
    xavier = init_experiment("xavier", "tanh", depth=6, width=256).stds
    assert xavier[-1] > 0.1  # neither collapsed nor blown up (tanh saturates at 1)


def test_histograms_share_bins_and_count_every_value():
    stats = init_experiment("he", "relu", depth=3, width=64, samples=32, bins=20)
    assert stats.edges.shape == (21,)
    for layer in stats.layers:
        assert layer.counts.sum() == 32 * 64
    # ReLU: no negative values, and about half of them at zero (the bin holding 0).
    zero_bin = np.searchsorted(stats.edges, 0.0, side="right") - 1
    assert stats.layers[0].counts[:zero_bin].sum() == 0
    assert 0.3 < stats.layers[0].counts[zero_bin] / (32 * 64) < 0.7


def test_statistics_of_a_given_model_match_its_feature_maps():
    model = nested()
    names = activation_layers(model)
    assert names == ["backbone/stem_relu", "backbone/out_relu", "predictions"]
    x = images(3)
    stats = activation_statistics(model, x, value_range=(0, 1), bins=4)
    maps = feature_maps(model, x, names)
    for layer in stats.layers:
        assert layer.mean == pytest.approx(float(maps[layer.layer].mean()), rel=1e-5)
        assert layer.std == pytest.approx(float(maps[layer.layer].std()), rel=1e-5)
    assert stats.edges.tolist() == [0, 0.25, 0.5, 0.75, 1]


def test_unknown_initializer_names_the_choices():
    with pytest.raises(ConfigError, match="unknown initializer 'ones'.*he_normal.*xavier"):
        init_experiment("ones")
