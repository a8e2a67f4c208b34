"""What a run writes for TensorBoard: epoch scalars, activation histograms."""

import math

import numpy as np
import pytest

from netlab.training.activation_logs import MAX_VALUES, ActivationHistograms, histogram_buckets


def _events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    return EventAccumulator(str(folder), size_guidance={"tensors": 0}).Reload()


def _steps(events, tag):
    return [event.step for event in events.Tensors(tag)]


@pytest.mark.parametrize("values", [
    np.random.default_rng(0).normal(size=100_000).astype(np.float32),
    np.maximum(np.random.default_rng(1).normal(size=999), 0.0),  # ReLU: a pile at zero
    np.full(7, 2.5),  # all equal
    np.zeros(0),
])
def test_histogram_buckets_are_tensorboards_own(values):
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb
    from tensorboard.util.tensor_util import make_ndarray

    want = make_ndarray(histogram_pb("t", values).value[0].tensor)
    np.testing.assert_array_equal(histogram_buckets(values), want)


def test_histogram_buckets_leave_out_nan_and_inf():
    buckets = histogram_buckets(np.array([0.0, 1.0, np.nan, np.inf, -np.inf, 0.5]))
    assert buckets[:, 2].sum() == 3
    assert buckets[0, 0] == 0.0 and buckets[-1, 1] == 1.0


def test_a_run_logs_epoch_scalars_and_activation_histograms(trained_run):
    from netlab.inspect.activations import activation_layers
    from netlab.predict.model import load_model

    run_dir, result = trained_run
    epochs = len(result.history["loss"])
    board = run_dir / "tensorboard"
    train, validation, activations = (_events(board / name) for name in ("train", "validation", "activations"))
    for tag in ("epoch_loss", "epoch_accuracy", "epoch_learning_rate"):
        assert _steps(train, tag) == list(range(epochs)), tag
    for tag in ("epoch_loss", "epoch_accuracy"):
        assert _steps(validation, tag) == list(range(epochs)), tag
    assert "evaluation_loss_vs_iterations" in validation.Tags()["tensors"]
    from tensorboard.util.tensor_util import make_ndarray

    last_loss = make_ndarray(validation.Tensors("epoch_loss")[-1].tensor_proto)
    assert float(last_loss) == pytest.approx(result.history["val_loss"][-1], rel=1e-5)

    model = load_model(run_dir / "model.keras")
    layers = activation_layers(model)
    assert sorted(activations.Tags()["tensors"]) == sorted(f"activations/{name}" for name in layers)
    for name in layers:
        tag = f"activations/{name}"
        assert _steps(activations, tag) == list(range(1, epochs + 1)), tag
        assert activations.summary_metadata[tag].plugin_data.plugin_name == "histograms"
        buckets = make_ndarray(activations.Tensors(tag)[-1].tensor_proto)
        assert buckets.shape == (30, 3)
        # Every value of the strided sample is counted once.
        size = int(np.prod(model.get_layer(name).output.shape[1:])) * 32  # HISTOGRAM_IMAGES images
        assert buckets[:, 2].sum() == math.ceil(size / math.ceil(size / MAX_VALUES))


def test_an_epoch_with_nan_writes_no_tensorboard_logs(tmp_path):
    import keras

    from netlab.training.callbacks import EpochTensorBoard

    inputs = keras.Input((8, 8, 1))
    outputs = keras.layers.Dense(3, activation="softmax")(
        keras.layers.Flatten()(keras.layers.Conv2D(2, 3, activation="relu")(inputs)))
    model = keras.Model(inputs, outputs)
    nan_logs = {"loss": math.nan, "accuracy": 0.5, "val_loss": 1.0}
    histograms = ActivationHistograms(tmp_path, model, np.ones((4, 8, 8, 1), np.float32))
    histograms.on_epoch_end(0, nan_logs)
    scalars = EpochTensorBoard(tmp_path)
    scalars.set_model(model)
    scalars.on_epoch_end(0, nan_logs)
    assert not list(tmp_path.rglob("events.out.tfevents.*"))
    histograms.on_epoch_end(0, {"loss": 1.0})
    histograms.on_train_end()
    assert _steps(_events(tmp_path / "activations"), f"activations/{histograms.layers[0]}") == [1]


def test_two_fits_trace_the_activations_once_and_log_every_epoch(tmp_path):
    """Two-phase cached fine-tuning fits twice with the same callbacks: one pre-pass, one histogram an epoch."""
    import keras

    class Counted(ActivationHistograms):
        passes = 0

        def _activations(self):
            Counted.passes += 1
            return super()._activations()

    inputs = keras.Input((8, 8, 1))
    outputs = keras.layers.Dense(3, activation="softmax")(
        keras.layers.Flatten()(keras.layers.Conv2D(2, 3, activation="relu")(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.random.default_rng(0).normal(size=(8, 8, 8, 1)).astype(np.float32), np.arange(8) % 3
    histograms = Counted(tmp_path, model, x)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[histograms])
    model.fit(x, y, epochs=3, initial_epoch=1, verbose=0, callbacks=[histograms])
    assert Counted.passes == 1 + 3  # the trace at the first fit's start, then each epoch's end
    assert _steps(_events(tmp_path / "activations"), f"activations/{histograms.layers[0]}") == [1, 2, 3]
