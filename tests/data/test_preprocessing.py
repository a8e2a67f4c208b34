"""Preprocessing (zero-centering, per-channel standardization) and augmentation (random crops and
flips, Krizhevsky et al. 2012) as layers saved with the model."""

from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from netlab.base.errors import ConfigError
from netlab.config import AugmentationConfig, DataConfig, Experiment
from netlab.data import load_dataset
from netlab.data.layers import PCAWhitening
from netlab.data.preprocessing import (
    PCA_EPSILON,
    augmentation_layers,
    augmentation_preview,
    channel_statistics,
    normalization_layers,
    preprocessing_layers,
)

ALL_AUGMENTATIONS = AugmentationConfig(flip=True, crop=2, rotation=20, zoom=0.2, contrast=0.3,
                                       translation=0.1)


@pytest.fixture(scope="module")
def shapes():
    config = DataConfig(dataset="shapes", samples=120, image_size=8, validation_split=0.25, test_split=0.25)
    return config, load_dataset(config)


def apply(layers, x, training=False):
    for layer in layers:
        x = layer(x, training=training)
    return keras.ops.convert_to_numpy(x)


def classifier_with(layers, input_shape, classes=4):
    inputs = keras.Input(input_shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x))


# -- statistics of the training split only ----------------------------------------------------
def test_channel_statistics_come_from_the_training_split(shapes):
    _, data = shapes
    mean, variance = channel_statistics(data)
    np.testing.assert_allclose(mean, data.x_train.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(variance, data.x_train.var(axis=(0, 1, 2), dtype=np.float64), rtol=1e-6)
    everything = np.concatenate([data.x_train, data.x_val, data.x_test])
    assert np.abs(mean - everything.mean(axis=(0, 1, 2))).max() > 1e-3


def test_standardize_and_center(shapes):
    config, data = shapes
    x = data.x_train
    mean, std = x.mean(axis=(0, 1, 2)), x.std(axis=(0, 1, 2))
    [standardize] = normalization_layers("standardize", data)
    out = apply([standardize], x)
    np.testing.assert_allclose(out, (x - mean) / std, atol=1e-4)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    [center] = normalization_layers("center", data)
    np.testing.assert_allclose(apply([center], x), (x - mean) / 255, atol=1e-5)
    [scale] = normalization_layers("scale", data)
    np.testing.assert_allclose(apply([scale], x), x / 255, atol=1e-6)


def test_pca_whitening_matches_numpy(shapes):
    _, data = shapes
    [layer] = normalization_layers("pca_whiten", data)
    assert isinstance(layer, PCAWhitening) and not layer.trainable_weights
    flat = data.x_train.reshape(len(data.x_train), -1).astype(np.float64) / 255
    mean = flat.mean(0)
    values, vectors = np.linalg.eigh(np.cov(flat, rowvar=False, bias=True))
    zca = vectors @ np.diag(1 / np.sqrt(np.maximum(values, 0) + PCA_EPSILON)) @ vectors.T
    expected = ((flat - mean) @ zca).reshape(data.x_train.shape)
    out = apply([layer], data.x_train)
    np.testing.assert_allclose(out, expected, atol=1e-3)
    # Whitened training data: decorrelated, each direction's variance lambda / (lambda + eps) < 1.
    covariance = np.cov(out.reshape(len(out), -1), rowvar=False)
    off_diagonal = covariance - np.diag(np.diag(covariance))
    assert np.abs(off_diagonal).max() < 0.2 and np.diag(covariance).max() < 1.05


def test_pca_whitening_refuses_large_inputs():
    data = load_dataset(DataConfig(dataset="shapes", samples=20, image_size=40))
    with pytest.raises(ConfigError, match="pca_whiten is for small inputs .*40x40x3 = 4800"):
        normalization_layers("pca_whiten", data)


# -- saved with the model ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["scale", "center", "standardize", "pca_whiten"])
def test_saved_model_reloads_in_safe_mode_with_the_same_predictions(kind, shapes, tmp_path):
    config, data = shapes
    config = DataConfig(**{**config.__dict__, "preprocessing": kind, "augmentation": ALL_AUGMENTATIONS})
    model = classifier_with(preprocessing_layers(config, data), data.input_shape)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False, safe_mode=True)
    x = data.x_val[:16]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert loaded.get_layer(kind if kind != "scale" else "rescale") is not None


def test_netlab_model_with_preprocessing_loads_through_predict(shapes, tmp_path):
    from netlab.architectures import build_model
    from netlab.predict.model import load_model

    config, data = shapes
    config = DataConfig(**{**config.__dict__, "preprocessing": "standardize", "image_size": 8})
    exp = Experiment(data=config)
    exp.model.arch = "simple_cnn"
    model = build_model(exp, data.input_shape, data.num_classes, preprocessing_layers(config, data))
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(data.x_val, verbose=0), model.predict(data.x_val, verbose=0),
                               atol=1e-5)


# -- augmentation: training only ----------------------------------------------------------------
def test_augmentation_is_active_in_training_only(shapes):
    config, data = shapes
    x = data.x_val[:8]
    augmented = DataConfig(**{**config.__dict__, "preprocessing": "standardize",
                              "augmentation": ALL_AUGMENTATIONS})
    layers = preprocessing_layers(augmented, data)
    assert len(layers) == 7
    plain_layers = preprocessing_layers(DataConfig(**{**augmented.__dict__,
                                                      "augmentation": AugmentationConfig()}), data)
    assert len(plain_layers) == 1
    np.testing.assert_allclose(apply(layers, x, training=False), apply(plain_layers, x), atol=1e-5)
    assert np.abs(apply(layers, x, training=True) - apply(plain_layers, x)).max() > 0.1
    # Inside a model too: inference is the un-augmented path.
    model = classifier_with(layers, data.input_shape)
    np.testing.assert_allclose(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=False))


def test_crop_shifts_by_whole_pixels_with_a_black_border():
    image = np.full((8, 8, 1), 200.0, np.float32)
    [crop] = augmentation_layers(AugmentationConfig(crop=2), image.shape, seed=0)
    out = apply([crop], np.repeat(image[None], 32, axis=0), training=True)
    assert set(np.unique(out)) <= {0.0, 200.0}  # nearest: no blending
    assert (out == 0).any()
    black_rows = (out[..., 0] == 0).all(axis=2).sum(axis=1)
    assert black_rows.max() <= 2


# -- preview --------------------------------------------------------------------------------
def test_augmentation_preview_grid():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (10, 12, 3)).astype(np.float32)
    grid = augmentation_preview(image, DataConfig(augmentation=ALL_AUGMENTATIONS), n=6, seed=1)
    assert grid.shape == (6, 10, 12, 3) and grid.dtype == np.float32
    assert 0 <= grid.min() and grid.max() <= 255
    assert len({g.tobytes() for g in grid}) == 6  # six different versions
    np.testing.assert_array_equal(grid, augmentation_preview(image, ALL_AUGMENTATIONS, n=6, seed=1))
    flips = augmentation_preview(image, AugmentationConfig(flip=True), n=8, seed=0)
    for version in flips:
        assert np.array_equal(version, image) or np.array_equal(version, image[:, ::-1])
    off = augmentation_preview(image[..., 0], AugmentationConfig(), n=3)
    assert off.shape == (3, 10, 12, 1)
    np.testing.assert_array_equal(off[2, ..., 0], image[..., 0])


# -- image folders: statistics streamed, training through the pipeline --------------------------
# A folder's pipeline drops undecodable files, so Keras learns the epoch's length on the first pass.
@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_folder_statistics_and_training(tmp_path):
    root = tmp_path / "folder"
    rng = np.random.default_rng(0)
    for label, name in enumerate(["dark", "light"]):
        (root / name).mkdir(parents=True)
        for i in range(12):
            pixels = rng.uniform(0, 120, (10, 10, 3)) + 120 * label
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
    config = DataConfig(dataset=str(root), image_size=8, validation_split=0.25, preprocessing="standardize",
                        augmentation=AugmentationConfig(flip=True))
    data = load_dataset(config)
    decoded = np.concatenate(list(data.batches("train", 5)))
    assert decoded.shape == (18, 8, 8, 3)
    mean, variance = channel_statistics(data, batch_size=7)
    np.testing.assert_allclose(mean, decoded.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(variance, decoded.var(axis=(0, 1, 2), dtype=np.float64), rtol=1e-5)
    model = classifier_with(preprocessing_layers(config, data), data.input_shape, classes=2)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(data.train_pipeline(6, seed=0), validation_data=data.val_pipeline(6), epochs=2,
                        verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"]).all() and "val_accuracy" in history.history
    assert Path(data.files["train"][0]).suffix == ".png"
