"""What will train: input shape and classes from a DataConfig, without loading (or downloading) it."""

import os
import threading

import numpy as np
import pytest
from PIL import Image

from netlab.config import DataConfig
from netlab.data.input_spec import input_spec
from tests.helpers import tiny_experiment


def image_folder(root, classes, mode="RGB", per_class=3, size=20):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            shape = (size, size, 3) if mode == "RGB" else (size, size)
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode=mode).save(root / name / f"{i}.png")
    return root


def test_built_in_sources_are_described_by_constants():
    shapes = input_spec(DataConfig(dataset="shapes"))
    assert (shapes.input_shape, shapes.num_classes) == ((32, 32, 3), 4)
    assert input_spec(DataConfig(dataset="digits", image_size=40, channels=3)).input_shape == (40, 40, 3)
    assert input_spec(DataConfig(dataset="shapes", channels=1)).input_shape == (32, 32, 1)


def test_cifar100_is_described_without_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    spec = input_spec(DataConfig(dataset="cifar100"))
    assert (spec.input_shape, spec.num_classes) == ((32, 32, 3), 100)
    assert not (tmp_path / "keras").exists()  # nothing fetched, nothing cached


def test_a_folder_is_described_as_its_load_gives_it(tmp_path):
    from netlab.data import load_dataset

    for root, mode, channels in ((tmp_path / "rgb", "RGB", 3), (tmp_path / "grey", "L", 1)):
        image_folder(root, ("a", "b", "c"), mode)
        spec = input_spec(DataConfig(dataset=str(root), image_size=24))
        data = load_dataset(DataConfig(dataset=str(root), image_size=24, validation_split=0.34))
        assert spec.input_shape == data.input_shape == (24, 24, channels)
        assert spec.class_names == tuple(data.class_names) == ("a", "b", "c")


def test_the_preview_of_a_keras_set_reads_one_file_and_never_downloads(tmp_path, monkeypatch):
    # Keras reads KERAS_HOME once, when it is first imported (maybe by an earlier
    # test): point both the variable and the home Keras already holds at tmp.
    import keras.src.backend.config as keras_config

    from netlab.base.errors import DataError
    from netlab.data.preview import sample_image

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras"))
    with pytest.raises(DataError, match="not downloaded yet"):
        sample_image(DataConfig(dataset="mnist"))
    assert not (tmp_path / "keras" / "datasets" / "mnist.npz").exists()
    # A cached mnist.npz (the layout keras.datasets.mnist reads): its first test image, resized.
    os.makedirs(tmp_path / "keras" / "datasets")
    x_test = np.zeros((3, 28, 28), np.uint8)
    x_test[0, 10:18, 10:18] = 255
    np.savez(tmp_path / "keras" / "datasets" / "mnist.npz", x_test=x_test)
    image = sample_image(DataConfig(dataset="mnist", image_size=28, channels=3))
    assert image.shape == (28, 28, 3) and image[14, 14, 0] == 255 and image[0, 0, 2] == 0


@pytest.mark.parametrize("dataset", ["digits", "shapes"])
def test_the_preview_of_an_in_memory_set_resizes_its_first_image_alone(dataset):
    """Made at the source's own side, one image resized: at the largest data.image_size, making
    the whole of digits at 1024x1024 took half a minute and 7.5 GB for a preview of one image."""
    from netlab.data import get_source
    from netlab.data.preview import sample_image

    config = DataConfig(dataset=dataset, samples=10)
    first = get_source(dataset).load_arrays(config, get_source(dataset).image_size)[0][0]
    np.testing.assert_array_equal(sample_image(config), first)  # at its own side: the image itself
    big = sample_image(DataConfig(dataset=dataset, image_size=1024, channels=1))
    assert big.shape == (1024, 1024, 1) and big.dtype == np.float32 and 0 <= big.min() < big.max() <= 255


def test_an_aborted_model_build_stops_at_a_layer():
    from netlab.architectures import get_arch
    from netlab.base.abort import JobAborted, abortable

    flag = threading.Event()
    flag.set()
    with abortable(flag), pytest.raises(JobAborted):
        get_arch("vgg16").build((224, 224, 3), 1000)  # stops before its first conv's weights
    get_arch("simple_cnn").build((32, 32, 1), 10)  # outside abortable(): never aborted


def test_an_aborted_lr_sweep_trains_nothing():
    from netlab.base.abort import JobAborted, abortable
    from netlab.training.lr_finder import find_lr

    flag = threading.Event()
    flag.set()
    with abortable(flag), pytest.raises(JobAborted):
        find_lr(tiny_experiment(), steps=10)
