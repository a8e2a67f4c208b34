"""The per-epoch inference-mode training metrics and batch norm's train/inference gap."""

import csv

import keras
import numpy as np
import pytest

from netlab.data.subset import subset_indices
from netlab.training.determinism import seed_generator_states
from netlab.training.events import EpochEnd
from netlab.training.train_eval import COLUMNS, measure, subset_size
from netlab.training.trainer import Trainer
from tests.helpers import tiny_experiment
from tests.helpers.inspect_models import SIDE, images


def _history(run_dir):
    with open(run_dir / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_with_dropout_the_history_keeps_the_inference_mode_columns_the_window_gets(tmp_path):
    """Each epoch's inference-mode accuracy and loss, training-mode accuracy and their gap reach the
    window and history.csv alike. Whether inference mode beats Keras's running mean (half the units
    dropped) is a trajectory a test does not assert; the dropout lesson measures it."""
    exp = tiny_experiment(epochs=3, tensorboard=False)
    exp.regularization.dropout = 0.5
    epochs = []
    result = Trainer(exp, run_dir=tmp_path / "run", on_event=lambda e: isinstance(e, EpochEnd)
                     and epochs.append(e.metrics)).run()
    rows = _history(tmp_path / "run")
    assert len(rows) == 3 and set(COLUMNS) <= set(rows[0])
    for row, sent in zip(rows, epochs, strict=True):
        values = {k: float(row[k]) for k in COLUMNS}
        assert values == pytest.approx({k: sent[k] for k in COLUMNS})  # the window gets the same numbers
        assert 0 <= values["train_eval_accuracy"] <= 1 and 0 <= values["train_mode_accuracy"] <= 1
        assert values["bn_gap"] == pytest.approx(values["train_mode_accuracy"] - values["train_eval_accuracy"])
        assert 0 < values["train_eval_loss"] < 10
    last = {k: float(v) for k, v in rows[-1].items()}
    assert result.history["train_eval_accuracy"][-1] == pytest.approx(last["train_eval_accuracy"])


def test_the_columns_are_on_by_default(trained_run):
    run_dir, result = trained_run  # trained with the defaults (off: test_engine's TensorBoard run)
    assert set(COLUMNS) <= set(_history(run_dir)[0]) and len(result.history["bn_gap"]) == 2


def test_the_subset_is_fixed_distinct_and_a_tenth_of_the_split_within_bounds():
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    a, b = subset_indices(1000, 128, seed=3), subset_indices(1000, 128, seed=3)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 128 and a.min() >= 0 and a.max() < 1000
    assert not np.array_equal(a, subset_indices(1000, 128, seed=4))
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # the global generator is untouched
    assert subset_size(100) == 100 and subset_size(5000) == 500 and subset_size(10**6) == 2048
    assert subset_size(10**6, (224, 224, 3)) == 445  # 256 MiB of float32 pixels


def test_measuring_draws_no_random_numbers_and_leaves_the_model_as_it_was():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIDE, SIDE, 3))
    x = keras.layers.Conv2D(6, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Dropout(0.5, name="drop")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    data = images(12) * 255
    labels = np.arange(12) % 3
    generators = seed_generator_states(model)
    variables = [np.array(v) for v in model.variables]
    first = measure(model, data, labels, batch_size=4, with_bn=True)
    assert seed_generator_states(model) == generators  # dropout's stream has not moved
    for variable, value in zip(model.variables, variables, strict=True):
        np.testing.assert_array_equal(np.asarray(variable), value)  # BN's moving statistics put back
    assert measure(model, data, labels, batch_size=4, with_bn=True) == first
    # The loss is Keras's own cross-entropy in inference mode.
    probabilities = model.predict(data, verbose=0)
    expected = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
    assert first["train_eval_loss"] == pytest.approx(float(np.mean(expected)), rel=1e-4)
    assert first["train_eval_accuracy"] == pytest.approx(float(np.mean(probabilities.argmax(-1) == labels)))


def test_an_image_folders_subset_is_decoded_at_the_datasets_size(tmp_path):
    from PIL import Image

    from netlab.config import DataConfig
    from netlab.data import load_dataset
    from netlab.data.subset import train_subset

    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(5):
            pixels = np.full((20, 24, 3), 30 * i + (120 if label == "b" else 0), np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    data = load_dataset(DataConfig(dataset=str(tmp_path), image_size=16, validation_split=0.2))
    x, y = train_subset(data, 4, seed=0)
    assert x.shape == (4, 16, 16, 3) and x.dtype == np.float32 and set(y.tolist()) <= {0, 1}
    # The same images as the split's own pipeline gives, in the subset's order.
    names = [data.files["train"][i] for i in subset_indices(data.train_size, 4, 0)]
    assert [int(Image.open(n).getpixel((0, 0))[0]) for n in names] == [int(v) for v in x[:, 0, 0, 0]]


def test_a_bn_layer_frozen_after_the_first_measurement_is_measured_frozen():
    # Fine-tuning unfreezes (or freezes) layers between phases; a traced training-mode
    # pass must follow, since a frozen BN layer runs on its moving statistics even in training.
    from netlab.inspect.batchnorm import training_mode_predictions

    keras.utils.set_random_seed(1)
    inputs = keras.Input((SIDE, SIDE, 3))
    x = keras.layers.BatchNormalization(name="bn")(keras.layers.Conv2D(4, 3, name="conv")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(x)))
    data = images(8) * 255
    trained_mode = training_mode_predictions(model, data, batch_size=8)
    inference = model.predict(data, verbose=0)
    assert np.abs(trained_mode - inference).max() > 1e-3
    model.get_layer("bn").trainable = False
    np.testing.assert_allclose(training_mode_predictions(model, data, batch_size=8), inference, atol=1e-5)
