"""netlab.inspect.health against references computed here independently: a GradientTape on the
model itself for the gradient norms, numpy on the layers' outputs for the unit fractions."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from netlab.base.errors import ConfigError
from netlab.inspect.health import MEASURES, measure


@pytest.fixture(scope="module")
def model():
    """Conv+ReLU, a nested backbone (fused ReLU), tanh and sigmoid dense layers, softmax; some
    units dead or saturated on purpose so the fractions are not all zero."""
    inner_input = keras.Input((8, 8, 4))
    inner = keras.Model(inner_input, keras.layers.Conv2D(4, 3, activation="relu", name="c2")(inner_input),
                        name="backbone")
    inputs = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
    x = keras.layers.ReLU(name="r1")(x)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = inner(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(8, activation="tanh", name="d1")(x)
    x = keras.layers.Dense(6, name="d2")(x)
    x = keras.layers.Activation("sigmoid", name="s2")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    net = keras.Model(inputs, outputs)
    c1 = net.get_layer("c1")
    kernel, bias = c1.get_weights()
    kernel[..., 0], bias[0] = 0.0, -1.0  # channel 0 never fires: dead
    c1.set_weights([kernel, bias])
    d1 = net.get_layer("d1")
    kernel, bias = d1.get_weights()
    kernel[:, :3], bias[:3] = 0.0, (5.0, -5.0, 4.0)  # tanh(+-5), tanh(4) beyond 0.98: saturated
    d1.set_weights([kernel, bias])
    d2 = net.get_layer("d2")
    kernel, bias = d2.get_weights()
    kernel[:, :2], bias[:2] = 0.0, (-6.0, 6.0)  # sigmoid(-6) < 0.01, sigmoid(6) > 0.99
    d2.set_weights([kernel, bias])
    return net


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.random((6, 16, 16, 1), dtype=np.float32), np.array([0, 1, 2, 0, 1, 2])


def reference_gradient_norms(net, x, y) -> dict[str, float]:
    inner = net.get_layer("backbone")
    layers = {"c1": net.get_layer("c1"), "backbone/c2": inner.get_layer("c2"), "d1": net.get_layer("d1"),
              "d2": net.get_layer("d2"), "predictions": net.get_layer("predictions")}
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy()(y, net(x, training=False))
    flat = [w for layer in layers.values() for w in layer.trainable_weights]
    grads = iter(tape.gradient(loss, flat))
    return {name: float(np.sqrt(sum(np.sum(np.square(np.asarray(next(grads), np.float64)))
                                    for _ in layer.trainable_weights)))
            for name, layer in layers.items()}


def reference_outputs(net, x) -> dict[str, np.ndarray]:
    outer = keras.Model(net.input, [net.get_layer(n).output for n in ("r1", "pool", "d1", "s2", "predictions")])
    r1, pool, d1, s2, predictions = (np.asarray(a, np.float64) for a in outer(x, training=False))
    inner = net.get_layer("backbone")
    c2 = np.asarray(keras.Model(inner.input, inner.get_layer("c2").output)(pool), np.float64)
    return {"r1": r1, "backbone/c2": c2, "d1": d1, "s2": s2, "predictions": predictions}


def numpy_fractions(output: np.ndarray, low: float, high: float) -> tuple[float, float]:
    units = output.reshape(-1, output.shape[-1])
    dead = np.mean(np.all(units == 0, axis=0))
    margin = 0.01 * (high - low)
    saturated = np.mean(np.all((units <= low + margin) | (units >= high - margin), axis=0))
    return float(dead), float(saturated)


# Both ways of running the pass: eagerly, reduced in numpy (the default), and the traced
# tf.function reduced in the graph (the callback's, for many measurements).
both_passes = pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])


@both_passes
def test_gradient_norms_equal_a_gradient_tape_reference(model, batch, traced):
    sample = measure(model, *batch, traced=traced)
    reference = reference_gradient_norms(model, *batch)
    measured = sample.of("gradient_norm")
    assert set(measured) == set(reference)  # the nested backbone's convolution included
    for name, value in reference.items():
        assert value > 0
        assert measured[name] == pytest.approx(value, rel=1e-5), name
    ratios = sample.of("gradient_ratio")
    assert ratios["c1"] == pytest.approx(reference["c1"] / reference["predictions"], rel=1e-5)


@both_passes
def test_unit_fractions_and_moments_equal_numpy_on_the_layers_outputs(model, batch, traced):
    sample = measure(model, *batch, traced=traced)
    outputs = reference_outputs(model, batch[0])
    assert set(sample.of("dead_fraction")) == set(outputs)
    for name, output in outputs.items():
        bounds = {"d1": (-1.0, 1.0), "s2": (0.0, 1.0)}.get(name)
        dead, saturated = numpy_fractions(output, *(bounds or (0.0, 1.0)))
        assert sample[name]["dead_fraction"] == pytest.approx(dead, abs=1e-12), name
        assert sample[name]["activation_mean"] == pytest.approx(output.mean(), rel=1e-5, abs=1e-7)
        assert sample[name]["activation_std"] == pytest.approx(output.std(), rel=1e-5, abs=1e-7)
        if bounds:
            assert sample[name]["saturated_fraction"] == pytest.approx(saturated, abs=1e-12), name
        else:
            assert "saturated_fraction" not in sample[name]  # only sigmoid and tanh saturate
    assert sample["r1"]["dead_fraction"] >= 0.25  # the channel killed on purpose
    assert sample["d1"]["saturated_fraction"] >= 3 / 8
    assert sample["s2"]["saturated_fraction"] >= 2 / 6


def test_update_ratio_against_numpy(model, batch):
    before = measure(model, *batch)
    layer = model.get_layer("d1")
    saved = layer.get_weights()
    rng = np.random.default_rng(1)
    moved = [w + 0.01 * rng.standard_normal(w.shape).astype(np.float32) for w in saved]
    layer.set_weights(moved)
    try:
        after = measure(model, *batch, previous_weights=before.weights)
    finally:
        layer.set_weights(saved)
    delta = sum(np.sum(np.square(m.astype(np.float64) - s)) for m, s in zip(moved, saved, strict=True))
    size = sum(np.sum(np.square(m.astype(np.float64))) for m in moved)
    assert after["d1"]["update_ratio"] == pytest.approx(np.sqrt(delta / size), rel=1e-6)
    assert after["c1"]["update_ratio"] == 0.0  # not moved
    assert "update_ratio" not in before["d1"]  # nothing to compare with


def test_every_measure_is_described_and_bad_input_is_refused(model, batch):
    sample = measure(model, *batch)
    assert {m for values in sample.values.values() for m in values} <= set(MEASURES)
    with pytest.raises(ConfigError, match="no health measure"):
        sample.of("happiness")
    with pytest.raises(ConfigError, match="labels"):
        measure(model, batch[0], batch[1][:2])
