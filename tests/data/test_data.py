import numpy as np
import pytest

from netlab.base.errors import ConfigError
from netlab.config import DataConfig
from netlab.data import load_dataset


def test_digits_are_real_upscaled_and_split_stratified():
    data = load_dataset(DataConfig(dataset="digits"))
    assert data.input_shape == (32, 32, 1)
    assert len(data.x_train) + len(data.x_val) == 1797
    assert data.x_train.dtype == np.float32
    assert 0 <= data.x_train.min() and data.x_train.max() == pytest.approx(255, abs=1)
    assert data.class_names == [str(d) for d in range(10)]
    # Stratified: every class has about 20% of its images in validation.
    counts = np.bincount(data.y_val, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 38


def test_split_is_reproducible_and_seeded():
    a = load_dataset(DataConfig(dataset="digits", seed=1))
    b = load_dataset(DataConfig(dataset="digits", seed=1))
    c = load_dataset(DataConfig(dataset="digits", seed=2))
    np.testing.assert_array_equal(a.x_val, b.x_val)
    assert not np.array_equal(a.y_val, c.y_val)


def test_shapes_are_deterministic_balanced_rgb():
    config = DataConfig(dataset="shapes", samples=200, validation_split=0.25)
    a, b = load_dataset(config), load_dataset(config)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.input_shape == (32, 32, 3)
    assert a.class_names == ["circle", "square", "triangle", "cross"]
    assert set(np.bincount(a.y_train).tolist()) <= {37, 38}
    # Images differ from one another (varied size, position and colour).
    assert np.abs(a.x_train[0] - a.x_train[1]).mean() > 10


def test_image_size_and_max_samples():
    data = load_dataset(DataConfig(dataset="shapes", samples=100, image_size=48, max_samples=40))
    assert data.input_shape == (48, 48, 3)
    assert len(data.x_train) + len(data.x_val) == 40


def test_unknown_dataset():
    with pytest.raises(ConfigError, match="unknown dataset 'imagenet-42'"):
        load_dataset(DataConfig(dataset="imagenet-42"))
