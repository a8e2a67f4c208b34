"""Dataset sources: the registry, Keras's built-ins offline, splits, channels, config checks."""

import copy
import math
import os
import time
import urllib.request

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from netlab.base.errors import ConfigError, DataError
from netlab.config import AugmentationConfig, DataConfig, Experiment, validate_data
from netlab.data import get_source, load_dataset, source_names
from netlab.data.keras_sources import expected_files
from netlab.data.pipeline import make_dataset

KERAS_SOURCES = ("mnist", "fashion_mnist", "cifar10", "cifar100")


def test_every_source_is_registered_with_its_shape():
    assert set(source_names()) >= {"digits", "shapes", *KERAS_SOURCES}
    assert (get_source("mnist").image_size, get_source("mnist").channels) == (28, 1)
    assert (get_source("cifar100").image_size, get_source("cifar100").channels) == (32, 3)
    assert get_source("cifar10").download and not get_source("digits").download


@pytest.fixture
def offline(monkeypatch):
    """No route to the internet even on a machine that has one: a proxy nobody listens on."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)  # read the proxy settings afresh


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_offline_download_says_where_to_put_the_file(name, offline):
    [(url, path)] = expected_files(name)
    if os.path.exists(path):
        pytest.skip(f"{name} is already in the Keras cache; nothing to download")
    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        load_dataset(DataConfig(dataset=name))
    assert time.perf_counter() - start < 30  # fails at once, no network timeout
    message = str(info.value)
    assert f"the {name} dataset could not be downloaded" in message
    assert url in message
    assert f"save as {path}" in message
    assert os.path.join(".keras", "datasets") in path or "KERAS_HOME" in os.environ
    assert os.path.basename(path) in {"mnist.npz", "cifar-10-batches-py-target_archive"}
    assert not os.path.exists(path)  # no half-downloaded file left behind


def test_fashion_mnist_needs_four_files_in_its_own_folder():
    paths = [path for _, path in expected_files("fashion_mnist")]
    assert len(paths) == 4 and all(os.sep + "fashion-mnist" + os.sep in p for p in paths)


@pytest.mark.skipif(not os.path.exists(expected_files("mnist")[0][1]), reason="MNIST not downloaded")
def test_mnist_when_downloaded():
    data = load_dataset(DataConfig(dataset="mnist", max_samples=500, test_split=0.0))
    assert data.input_shape == (28, 28, 1) and data.x_train.dtype == np.float32
    assert data.train_size + data.val_size == 500 and data.test_size == 500
    assert data.class_names == [str(d) for d in range(10)]


# -- splits ----------------------------------------------------------------------------
def test_validation_split_is_unchanged_without_a_test_split():
    data = load_dataset(DataConfig(dataset="digits", seed=3))
    from sklearn.datasets import load_digits

    y = load_digits().target
    _, _, _, y_val = train_test_split(np.arange(len(y)), y, test_size=0.2, stratify=y, random_state=3)
    np.testing.assert_array_equal(data.y_val, y_val)
    assert data.x_test is None and data.test_size == 0


def test_train_validation_test_split_is_stratified_disjoint_and_seeded():
    config = DataConfig(dataset="shapes", samples=400, validation_split=0.2, test_split=0.1, seed=1)
    data = load_dataset(config)
    assert (data.train_size, data.val_size, data.test_size) == (280, 80, 40)
    assert np.bincount(data.y_test).tolist() == [10, 10, 10, 10]
    assert np.bincount(data.y_val).tolist() == [20, 20, 20, 20]
    # Every image lands in exactly one split (the shapes are all different).
    flat = {img.tobytes() for img in np.concatenate([data.x_train, data.x_val, data.x_test])}
    assert len(flat) == 400
    again = load_dataset(config)
    np.testing.assert_array_equal(again.x_test, data.x_test)
    other = load_dataset(DataConfig(dataset="shapes", samples=400, test_split=0.1, seed=2))
    assert not np.array_equal(other.y_test, data.y_test) or not np.array_equal(other.x_test, data.x_test)


def test_a_class_too_small_to_split_is_a_data_error():
    with pytest.raises(DataError, match="cannot split"):
        load_dataset(DataConfig(dataset="shapes", samples=12, validation_split=0.1, test_split=0.1))


def test_array_pipelines_match_the_plain_pipeline():
    data = load_dataset(DataConfig(dataset="digits", max_samples=100))
    ours = [y.numpy() for _, y in data.train_pipeline(16, seed=4)]
    plain = [y.numpy() for _, y in make_dataset(data.x_train, data.y_train, 16, shuffle=True, seed=4)]
    np.testing.assert_array_equal(np.concatenate(ours), np.concatenate(plain))
    images, labels = next(iter(data.val_pipeline(8, num_outputs=3)))
    assert images.shape == (8, 32, 32, 1) and len(labels) == 3
    assert sum(len(b) for b in data.batches("val", 7)) == data.val_size
    assert list(data.test_pipeline(8)) == []


# -- channels -----------------------------------------------------------------------------
def test_channels_convert_array_sources():
    gray = load_dataset(DataConfig(dataset="digits", max_samples=50))
    rgb = load_dataset(DataConfig(dataset="digits", max_samples=50, channels=3))
    assert rgb.input_shape == (32, 32, 3)
    np.testing.assert_array_equal(rgb.x_train[..., 1], gray.x_train[..., 0])
    colour = load_dataset(DataConfig(dataset="shapes", samples=40))
    luma = load_dataset(DataConfig(dataset="shapes", samples=40, channels=1))
    assert luma.input_shape == (32, 32, 1)
    expected = colour.x_train @ np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(luma.x_train[..., 0], expected, rtol=1e-5)


# -- config checks --------------------------------------------------------------------------
@pytest.mark.parametrize("data, message", [
    (DataConfig(test_split=1.0), r"data.test_split must be in \[0.0, 1.0\)"),
    (DataConfig(test_split=-0.1), "data.test_split"),
    (DataConfig(validation_split=0.5, test_split=0.5), "validation_split \\+ data.test_split must be below 1"),
    (DataConfig(channels=2), "data.channels must be 1, 3 or null"),
    (DataConfig(preprocessing="zca"), "data.preprocessing must be one of scale, center, standardize, pca_whiten"),
    (DataConfig(augmentation=AugmentationConfig(rotation=200)), r"data.augmentation.rotation must be in \[0.0, 180.0\]"),
    (DataConfig(augmentation=AugmentationConfig(zoom=1.0)), "data.augmentation.zoom"),
    (DataConfig(augmentation=AugmentationConfig(contrast=1.5)), "data.augmentation.contrast"),
    (DataConfig(augmentation=AugmentationConfig(translation=0.7)), "data.augmentation.translation"),
    (DataConfig(augmentation=AugmentationConfig(crop=-1)), "data.augmentation.crop must be >= 0"),
    (DataConfig(augmentation=AugmentationConfig(crop=2.5)), "whole pixels or a fraction"),
    (DataConfig(augmentation=AugmentationConfig(crop=16)), "less than half the image side 32"),
    (DataConfig(augmentation=AugmentationConfig(crop=999)), "less than half the image side 32 .got 999"),
    (DataConfig(augmentation=AugmentationConfig(crop=math.inf)), "data.augmentation.crop must be a finite number"),
    (DataConfig(dataset="shapes", image_size=64, preprocessing="pca_whiten"),
     "pca_whiten is for small inputs .*64x64x3 = 12288"),
    (DataConfig(image_size=2**31 - 1), r"data.image_size must be in \[1, 1024\]"),
    (DataConfig(dataset=""), "data.dataset is empty: choose one of"),
    (DataConfig(dataset="/tmp/" + "a" * 300), "data.dataset: the name 'aaaa.* is too long .300 bytes"),
    (DataConfig(dataset="a\0b"), "data.dataset: .* holds a NUL character"),
])
def test_bad_data_settings_name_the_field(data, message):
    """Train's check (validate) and the augmentation preview's (validate_data, the data's part of
    it) refuse a bad data setting in the same one line."""
    with pytest.raises(ConfigError, match=message) as train:
        Experiment(data=data).validate()
    with pytest.raises(ConfigError) as preview:
        validate_data(data)
    assert str(preview.value) == str(train.value) and "\n" not in str(train.value)


def test_good_data_settings_pass():
    data = DataConfig(dataset="shapes", test_split=0.1, channels=1, preprocessing="pca_whiten",
                      augmentation=AugmentationConfig(flip=True, crop=4, rotation=15, zoom=0.1,
                                                      contrast=0.2, translation=0.1))
    experiment = Experiment(data=data)
    before = copy.deepcopy(experiment.to_dict())
    # Accepted as they are: validate() returns the experiment and changes none of its values.
    assert experiment.validate() is experiment
    assert experiment.to_dict() == before and experiment.data.channels == 1
    assert data.augmentation.active() and not AugmentationConfig().active()


def test_augmentation_reads_back_from_json():
    exp = Experiment.from_dict({"data": {"augmentation": {"flip": True, "crop": 4}}})
    assert exp.data.augmentation == AugmentationConfig(flip=True, crop=4.0)
    with pytest.raises(ConfigError, match="unknown setting data.augmentation.mirror"):
        Experiment.from_dict({"data": {"augmentation": {"mirror": True}}})
    with pytest.raises(ConfigError, match="data.augmentation.flip must be true or false"):
        Experiment.from_dict({"data": {"augmentation": {"flip": 1}}})


def test_each_epochs_order_depends_on_the_seed_and_the_epoch_only():
    """A pipeline started at epoch 2 (a resumed run) gives epoch 2 the order an unbroken one did."""
    data = load_dataset(DataConfig(dataset="digits", max_samples=100))
    n = data.train_size

    def images(ds):
        batches = [x.numpy() for x, _ in ds]
        return len(batches), np.concatenate(batches).reshape(-1, 32 * 32).sum(axis=1)

    count, three = images(data.train_pipeline(16, seed=4, epochs=range(3)))
    assert count == 3 * math.ceil(n / 16) and len(three) == 3 * n  # no batch straddles two epochs
    np.testing.assert_array_equal(images(data.train_pipeline(16, seed=4, epochs=range(2, 3)))[1], three[2 * n:])
    assert not np.array_equal(three[:n], three[n:2 * n])  # each epoch its own order
    assert sorted(three[:n]) == sorted(three[n:2 * n])  # of the same images
    assert not np.array_equal(images(data.train_pipeline(16, seed=5, epochs=range(1)))[1], three[:n])
