import numpy as np
import pytest

from netlab.base.errors import ConfigError
from netlab.inspect.activations import activation_layers, activation_statistics, init_experiment
from netlab.inspect.layers import feature_maps
from tests.helpers.inspect_models import images, nested


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


def _reference(maps: dict, bins: int):
    """The statistics of the layers' whole outputs at once, in numpy (float64)."""
    top = max(float(np.max(np.abs(a))) for a in maps.values())
    edges = np.linspace(-top, top, bins + 1)
    rows = {}
    for name, a in maps.items():
        values = a.astype(np.float64).ravel()
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        rows[name] = (values.mean(), values.std(), counts)
    return edges, rows


@pytest.mark.parametrize("batch_size", [4, 1000])  # several batches with a short last one, and one
def test_batched_statistics_equal_numpy_on_the_whole_outputs(batch_size):
    model = nested()
    x = images(23) * 255
    names = activation_layers(model)
    stats = activation_statistics(model, x, bins=30, batch_size=batch_size)
    edges, reference = _reference(feature_maps(model, x, names), bins=30)
    np.testing.assert_array_equal(stats.edges, edges)  # the range of all the images, not the first batch's
    assert [layer.layer for layer in stats.layers] == names
    for layer in stats.layers:
        mean, std, counts = reference[layer.layer]
        # The merge over batches is exact (float64), but the model runs at another batch size than
        # the reference's one pass, and float32 kernels may then sum in another order (oneDNN off,
        # one thread: 0.33333333 vs 0.33333332): equal to float32's precision, not to the bit.
        assert layer.mean == pytest.approx(mean, rel=1e-6, abs=1e-9)
        assert layer.std == pytest.approx(std, rel=1e-6, abs=1e-9)
        np.testing.assert_array_equal(layer.counts, counts)


def test_histogram_bins_are_numpys_on_the_edges_and_outside_the_range():
    import keras

    values = np.array([[-3.0, 0.0, 0.25, 0.2499999, 0.5, 0.75, 1.0, 7.0, np.nan, 0.6]], dtype=np.float32)
    model = keras.Sequential([keras.Input((values.shape[1],)), keras.layers.Identity(name="same")])
    stats = activation_statistics(model, values, ["same"], bins=4, value_range=(0, 1))
    edges = np.linspace(0, 1, 5)
    clipped = np.clip(values.astype(np.float64).ravel(), 0, 1)
    np.testing.assert_array_equal(stats.layers[0].counts, np.histogram(clipped, bins=edges)[0])
    # -3 clipped into the first bin, 7 into the last; an edge opens its bin; NaN counted nowhere.
    assert stats.layers[0].counts.tolist() == [3, 1, 2, 3]
