import numpy as np
import pytest

from netlab.base.errors import ConfigError
from netlab.inspect.batchnorm import bn_layers, bn_statistics, recompute_bn_statistics, train_vs_inference
from netlab.inspect.filters import conv_filters, conv_layers
from netlab.inspect.layers import feature_maps, find_layer
from tests.helpers.inspect_models import images, nested, sequential


def test_first_conv_filters_are_rgb_tiles_in_unit_range():
    model = nested()
    assert conv_layers(model)[0] == "backbone/stem_conv"
    filters = conv_filters(model)
    assert filters.rgb and filters.tiles.shape == (8, 3, 3, 3)
    assert filters.tiles.min() == 0.0 and filters.tiles.max() == 1.0
    for tile in filters.tiles:  # each filter stretched on its own
        assert tile.min() == 0.0 and tile.max() == 1.0
    raw = np.asarray(find_layer(model, "backbone/stem_conv").kernel)
    np.testing.assert_array_equal(filters.raw, raw)
    # Scaling keeps each kernel's order of values.
    assert np.argmax(filters.tiles[2]) == np.argmax(raw[..., 2])


def test_deeper_filters_are_shown_per_input_channel():
    filters = conv_filters(nested(), "backbone/branch_3x3")
    assert not filters.rgb and filters.tiles.shape == (4, 8, 3, 3)


def test_filters_of_a_layer_that_is_no_convolution_is_one_clear_error():
    with pytest.raises(ConfigError, match="not a convolution; the convolutions are: backbone/stem_conv"):
        conv_filters(nested(), "gap")
    with pytest.raises(ConfigError, match="no layer 'nope'"):
        conv_filters(nested(), "nope")


@pytest.mark.parametrize("batch_size", [2, 32])  # merged over 3 batches (the last short), and one
def test_bn_statistics_equal_the_layer_variables_and_the_input_moments(batch_size):
    model = nested()
    bn = find_layer(model, "backbone/stem_bn")
    bn.moving_mean.assign(np.linspace(-1, 1, 8).astype(np.float32))
    bn.gamma.assign(np.linspace(0.5, 2, 8).astype(np.float32))
    x = images(5)
    stats = {s.layer: s for s in bn_statistics(model, x, batch_size=batch_size)}
    assert list(stats) == bn_layers(model) == ["backbone/stem_bn", "backbone/concat_bn"]
    s = stats["backbone/stem_bn"]
    np.testing.assert_array_equal(s.moving_mean, np.asarray(bn.moving_mean))
    np.testing.assert_array_equal(s.moving_variance, np.asarray(bn.moving_variance))
    np.testing.assert_array_equal(s.gamma, np.asarray(bn.gamma))
    np.testing.assert_array_equal(s.beta, np.asarray(bn.beta))
    conv_out = feature_maps(model, x, ["backbone/stem_conv"])["backbone/stem_conv"]
    np.testing.assert_allclose(s.batch_mean, conv_out.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(s.batch_variance, conv_out.var(axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)
    assert s.distance > 0 and s.to_dict()["channels"] == 8
    concat = feature_maps(model, x, ["backbone/concat"])["backbone/concat"]
    second = stats["backbone/concat_bn"]
    np.testing.assert_allclose(second.batch_variance, concat.var(axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)


def _unconverged_bn_model():
    """BN at Keras's momentum 0.99 after three steps: the moving statistics are still near 0 and 1."""
    model = sequential(classes=3)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (48, 16, 16, 3)).astype(np.float32)
    x[:, :8] *= 0.2  # some structure, so the classes can be told apart a little
    y = (x[:, :8].mean(axis=(1, 2, 3)) // 10 % 3).astype(np.int32)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    return model, x, y


def test_training_and_inference_mode_differ_until_the_statistics_are_recomputed():
    model, x, y = _unconverged_bn_model()
    variables = [np.array(v) for v in model.non_trainable_weights]
    before = train_vs_inference(model, x, y)
    # Pixels in [0, 255] against moving statistics still near (0, 1): inference mode is far off.
    assert before.max_abs_difference > 0.05
    assert not np.allclose(before.training_predictions, before.inference_predictions, atol=1e-3)
    assert before.training_accuracy is not None and 0 <= before.inference_accuracy <= 1
    for variable, value in zip(model.non_trainable_weights, variables, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), value)  # measuring changed nothing
    recompute_bn_statistics(model, x)
    after = train_vs_inference(model, x, y)
    assert after.max_abs_difference < 1e-4
    assert after.agreement == 1.0 and after.training_accuracy == after.inference_accuracy


def test_a_frozen_backbone_keeps_its_bn_in_inference_mode():
    model = nested()
    x = images(6) * 255
    assert train_vs_inference(model, x).max_abs_difference > 1e-3  # its BN layers are nested
    model.get_layer("backbone").trainable = False
    comparison = train_vs_inference(model, x)
    # Keras 3 runs a frozen BN layer in inference mode, in training too: no gap at all.
    assert comparison.max_abs_difference < 1e-6
    before = np.array(find_layer(model, "backbone/stem_bn").moving_mean)
    recompute_bn_statistics(model, x)
    np.testing.assert_array_equal(find_layer(model, "backbone/stem_bn").moving_mean, before)


def test_recompute_merges_the_batches_statistics_of_each_bn_input_over_all_images():
    model, x, y = _unconverged_bn_model()
    # bn1's input (conv1's output) does not depend on batch statistics: its moments over all 48
    # images, whatever the batches, are the reference.
    conv = feature_maps(model, x, ["conv1"])["conv1"].astype(np.float64)
    recompute_bn_statistics(model, x, batch_size=10)  # 5 batches of 9 or 10 images
    bn = find_layer(model, "bn1")
    np.testing.assert_allclose(np.asarray(bn.moving_mean), conv.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(bn.moving_variance), conv.var(axis=(0, 1, 2)), rtol=1e-4)
    # Inference mode now matches training mode on batches of that size closely, not exactly.
    assert train_vs_inference(model, x, y, batch_size=10).max_abs_difference < 0.05


def test_an_empty_batch_is_one_clear_error():
    with pytest.raises(ConfigError, match="no images"):
        bn_statistics(nested(), images(0))
