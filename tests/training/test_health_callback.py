"""Health while a run trains: health.csv's rows, TensorBoard's scalars, the events and the warning
a layer that is dead on purpose gives."""

import keras
import numpy as np
import pytest

from netlab.inspect.activations import activation_layers
from netlab.inspect.health import measure, weighted_layers
from netlab.runs.run import RunFolder
from netlab.training.events import HealthMeasured, HealthWarning
from netlab.training.health import TRACE_PAYS, HealthCallback, warning_text
from netlab.training.trainer import Trainer
from tests.helpers import tiny_experiment


@pytest.mark.slow
def test_a_run_writes_health_rows_per_measurement_and_layer(tmp_path):
    events = []
    run_dir = tmp_path / "run"
    result = Trainer(tiny_experiment(health_every=2), run_dir=run_dir, on_event=events.append).run()
    measured = [e for e in events if isinstance(e, HealthMeasured)]
    assert measured and measured[0].step == 1  # the first batch is always measured
    layers = set(weighted_layers(result.model)) | set(activation_layers(result.model))
    rows = RunFolder(run_dir).health()
    assert {(row["step"], row["layer"]) for row in rows} == {(e.step, layer) for e in measured for layer in layers}
    assert {row["epoch"] for row in rows} == {1}
    first_conv = next(row for row in rows if row["layer"] == "block1_conv1_conv" and row["step"] > 1)
    assert first_conv["gradient_norm"] > 0 and first_conv["update_ratio"] > 0
    relu = next(row for row in rows if row["layer"] == "block1_conv1_relu")
    assert 0 <= relu["dead_fraction"] <= 1 and "gradient_norm" not in relu
    assert any(path.name.startswith("events") for path in (run_dir / "tensorboard" / "health").iterdir())


def test_a_layer_dead_on_purpose_is_warned_about_once(tmp_path):
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="dead_conv",
                            bias_initializer=keras.initializers.Constant(-100.0))(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="predictions")(x))
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8, 8, 1), dtype=np.float32), rng.integers(0, 2, 64)
    events = []
    callback = HealthCallback(model, x[:16], y[:16], events.append, run_dir=tmp_path, steps=4, every=1)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    warnings = [e for e in events if isinstance(e, HealthWarning) and e.layer == "dead_conv"]
    # Its gradients are zero as well: below the classifier's, vanishing; each said once.
    assert sorted(e.measure for e in warnings) == ["dead_fraction", "gradient_ratio"]
    warnings = [e for e in warnings if e.measure == "dead_fraction"]
    assert warnings[0].text == "dead_conv: 100% of units dead since epoch 1"
    assert warnings[0].level == "warning"
    assert len([e for e in events if isinstance(e, HealthMeasured)]) == 4
    assert {row["step"] for row in RunFolder(tmp_path).health()} == {1, 2, 3, 4}
    assert not callback.traced  # four measurements: eager ones cost less than a trace


def test_many_measurements_due_trace_the_pass_and_give_the_eager_numbers(tmp_path):
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="predictions")(x))
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((8 * (TRACE_PAYS + 4), 8, 8, 1), dtype=np.float32), rng.integers(0, 2, 8 * (TRACE_PAYS + 4))
    events = []
    steps = len(x) // 8
    callback = HealthCallback(model, x[:8], y[:8], events.append, steps=steps, every=1)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False, callbacks=[callback])
    measured = [e for e in events if isinstance(e, HealthMeasured)]
    assert callback.traced and [e.step for e in measured] == list(range(1, steps + 1))
    # The last measurement went through the traced pass; the weights it saw, measured eagerly, agree.
    again = measure(model, x[:8], y[:8])
    for layer, values in again.values.items():
        for name, value in values.items():
            assert measured[-1].values[layer][name] == pytest.approx(value, rel=1e-5, abs=1e-9), (layer, name)


def test_warning_lines_read_as_the_readme_says():
    assert warning_text("conv1", "gradient_ratio", 1.2e-5, 1) == \
        "conv1's gradients are 1e-5 of the classifier's: vanishing (epoch 2)"
    assert warning_text("block1_conv1_relu", "dead_fraction", 0.62, 1) == \
        "block1_conv1_relu: 62% of units dead since epoch 2"


def test_large_updates_are_warned_about_from_the_second_epoch_only():
    """A zero-initialized classifier's first updates are its whole size: no warning in epoch 1."""
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="predictions")(inputs))
    events = []
    callback = HealthCallback(model, np.zeros((2, 4), np.float32), np.zeros(2, int), events.append, steps=4)
    big = {"predictions": {"update_ratio": 0.5}}
    for epoch in (0, 0, 1, 1):
        callback.epoch = epoch
        callback._warn(big)
    warnings = [e for e in events if isinstance(e, HealthWarning)]
    assert [(e.measure, e.epoch) for e in warnings] == [("update_ratio", 1)]
