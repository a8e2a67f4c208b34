"""Dataset sources and the input pipeline.

Every source yields float32 images with pixel values in [0, 255] (N, H, W, C)
and integer labels; scaling to the network's range happens inside the model
(its first layer), so a saved model classifies raw images by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from netlab.errors import ConfigError, DataError


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: list[str]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


@dataclass(frozen=True)
class DataSource:
    name: str
    description: str
    image_size: int  # natural side of its images as fed to a network
    channels: int
    load_arrays: Callable  # (DataConfig, image_size) -> (x, y, class_names)


_SOURCES: dict[str, DataSource] = {}


def register_source(source: DataSource) -> DataSource:
    _SOURCES[source.name] = source
    return source


def get_source(name: str) -> DataSource:
    try:
        return _SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"data.dataset: unknown dataset {name!r} (known: {', '.join(source_names())})"
        ) from None


def source_names() -> list[str]:
    return list(_SOURCES)


def load_dataset(config) -> Dataset:
    """Load, subsample and split the dataset a DataConfig names (seeded, stratified)."""
    from sklearn.model_selection import train_test_split

    source = get_source(config.dataset)
    size = config.image_size or source.image_size
    x, y, class_names = source.load_arrays(config, size)
    if len(x) == 0:
        raise DataError(f"dataset {config.dataset!r} has no images")
    if len(np.unique(y)) < 2:
        raise DataError(f"dataset {config.dataset!r} has a single class; a classifier needs two or more")
    if config.max_samples is not None and config.max_samples < len(x):
        x, _, y, _ = train_test_split(
            x, y, train_size=config.max_samples, stratify=y, random_state=config.seed
        )
    try:
        x_train, x_val, y_train, y_val = train_test_split(
            x, y, test_size=config.validation_split, stratify=y, random_state=config.seed
        )
    except ValueError as exc:  # too few images of a class for a stratified split
        raise DataError(f"cannot split {config.dataset!r} into training and validation: {exc}") from None
    return Dataset(x_train, y_train.astype("int32"), x_val, y_val.astype("int32"), class_names)


from netlab.data import sources  # noqa: E402, F401  (registers digits, shapes)
