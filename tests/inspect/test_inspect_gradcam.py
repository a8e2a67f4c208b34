import numpy as np
import pytest
import tensorflow as tf

from netlab.base.errors import ConfigError
from netlab.inspect.gradcam import gradcam
from tests.helpers.inspect_models import functional, images, nested, sequential


def _reference_cam(forward, x, class_index):
    """Straightforward Grad-CAM: ``forward(x)`` returns (maps, logits) computed inside the tape."""
    with tf.GradientTape() as tape:
        maps, logits = forward(tf.constant(x))
        score = logits[0, class_index]
    grads = tape.gradient(score, maps)
    weights = tf.reduce_mean(grads, axis=(1, 2))
    return np.maximum(np.asarray(tf.einsum("bhwc,bc->bhw", maps, weights))[0], 0)


def _dense_logits(layer, h):
    return tf.matmul(h, layer.kernel) + layer.bias


def _branching(get, x):
    """The branching body by hand, layer by layer (``get`` finds a layer by name)."""
    x = get("stem_relu")(get("stem_bn")(get("stem_conv")(x), training=False))
    concat = get("concat")([get("branch_1x1")(x), get("branch_3x3")(x)])
    return concat, get("out_relu")(get("residual_add")([x, get("concat_bn")(concat, training=False)]))


def _check(model, layer_name, forward, class_index=1):
    x = images(1, seed=5)
    result = gradcam(model, x[0], class_index=class_index, layer_name=layer_name)
    reference = _reference_cam(forward, x, class_index)
    assert result.heatmap.shape == x.shape[1:3]
    assert result.heatmap.max() == pytest.approx(1.0) and result.heatmap.min() >= 0
    assert np.ptp(result.heatmap) > 0.1  # not a constant map
    np.testing.assert_allclose(result.cam, reference, rtol=1e-4, atol=1e-6)
    return result


def test_sequential_matches_the_gradient_tape_reference():
    model = sequential()

    def forward(x):
        h = x
        for layer in model.layers[:-1]:
            h = layer(h, training=False)
            if layer.name == "conv2":
                maps = h
        return maps, _dense_logits(model.layers[-1], h)

    result = _check(model, "conv2", forward)
    assert "softmax removed" in result.logits_from


def test_functional_with_a_separate_softmax_layer_matches_the_reference():
    model = functional(separate_softmax=True)

    def forward(x):
        concat, out = _branching(model.get_layer, x)
        return concat, model.get_layer("logits")(model.get_layer("gap")(out))

    result = _check(model, "concat", forward, class_index=2)
    assert "input of predictions" in result.logits_from


def test_nested_backbone_layer_matches_the_reference_and_is_the_default():
    model = nested()
    backbone = model.get_layer("backbone")

    def forward(x):
        _, out = _branching(backbone.get_layer, model.get_layer("rescale")(x))
        return out, _dense_logits(model.get_layer("predictions"), model.get_layer("gap")(out))

    _check(model, "backbone/out_relu", forward, class_index=0)
    default = gradcam(model, images(1, seed=5))
    assert default.layer == "backbone/out_relu"  # the last layer with spatial output
    probabilities = np.asarray(model(images(1, seed=5), training=False))[0]
    assert default.class_index == int(np.argmax(probabilities))  # the predicted class


def test_a_layer_without_spatial_output_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"gap has output shape \(8,\), not maps.*e\.g\. backbone/out_relu"):
        gradcam(nested(), images(1)[0], layer_name="gap")
    with pytest.raises(ConfigError, match="class 7 is out of range: the model has 3 classes"):
        gradcam(nested(), images(1)[0], class_index=7)


def test_the_default_layer_skips_maps_of_one_pixel():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, padding="same", name="conv1"),
                              layers.Conv2D(4, 16, activation="relu", name="to_1x1"),
                              layers.Flatten(name="flat"), layers.Dense(3, activation="softmax", name="out")])
    result = gradcam(model, images(1)[0])
    assert result.layer == "conv1" and result.cam.shape == (16, 16)
