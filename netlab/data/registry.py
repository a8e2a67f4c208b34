"""The dataset registry: sources by name (an image folder by its path), and ``load_dataset``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlab.base.errors import ConfigError, DataError, shown
from netlab.base.user_paths import checked_path
from netlab.data.dataset import (  # noqa: E501
    Dataset,
    DataSource,
    check_labels,
    convert_channels,
    per_class_indices,
    select_classes,
    split_indices,
    subsample,
)
from netlab.data.folder import folder_source

_SOURCES: dict[str, DataSource] = {}


def register_source(source: DataSource) -> DataSource:
    _SOURCES[source.name] = source
    return source


def get_source(name: str) -> DataSource:
    """A registered source by name, or an image folder when ``name`` is a folder's path."""
    if name in _SOURCES:
        return _SOURCES[name]
    if not str(name).strip():
        raise ConfigError(f"data.dataset is empty: choose one of {', '.join(source_names())}, "
                          "or give the path of a folder with one sub-folder of images per class")
    path = checked_path(Path(name).expanduser(), "data.dataset")
    if path.is_dir():
        return folder_source(path)
    if path.exists():
        raise ConfigError(f"data.dataset: {str(name)!r} is a file; give a folder with one sub-folder per class")
    if any(sep in str(name) for sep in ("/", "\\")):
        raise ConfigError(
            f"data.dataset: no such folder {str(name)!r} (an image folder needs one sub-folder per class)"
        )
    raise ConfigError(
        f"data.dataset: unknown dataset {shown(name)} (known: {', '.join(source_names())}, "
        "or the path of a folder with one sub-folder of images per class)"
    )


def source_names() -> list[str]:
    return list(_SOURCES)


def load_dataset(config) -> Dataset:
    """Load, subsample and split the dataset a DataConfig names (seeded, stratified)."""
    try:
        return _load_dataset(config)
    except MemoryError:  # an in-memory set is made whole at data.image_size before it is subsampled
        size = config.image_size or get_source(config.dataset).image_size
        raise DataError(f"{config.dataset} does not fit in memory at {size}x{size}: choose a smaller "
                        "data.image_size (or fewer data.samples)") from None


def _load_dataset(config) -> Dataset:
    source = get_source(config.dataset)
    if source.load is not None:
        return source.load(config)
    size = config.image_size or source.image_size
    loaded = source.load_arrays(config, size)
    x, y, class_names = loaded[:3]
    x_test, y_test = loaded[3:] if len(loaded) == 5 else (None, None)
    classes = getattr(config, "classes", None)
    if classes:
        x, y, _ = select_classes(x, y, class_names, classes)
        if x_test is not None:
            x_test, y_test, _ = select_classes(x_test, y_test, class_names, classes)
        class_names = list(classes)
    check_labels(y, class_names, config.dataset)
    x = convert_channels(x, getattr(config, "channels", None))
    pool = subsample(y, config.max_samples, config.seed)
    has_test = x_test is not None
    train, val, test = split_indices(y[pool], config.validation_split,
                                     0.0 if has_test else config.test_split, config.seed, config.dataset,
                                     class_names)
    train, val, test = pool[train], pool[val], pool[test]
    if getattr(config, "train_per_class", None):
        train = train[per_class_indices(y[train], config.train_per_class, config.seed)]
    # Whole copies, so the split's statistics (batch norm's, recomputed on it) stay the same.
    train = np.tile(train, getattr(config, "train_repeat", 1))
    if has_test:
        # The source's own test set (Keras's built-ins) is the test split;
        # max_samples caps it too, so quick runs evaluate quickly.
        keep = subsample(y_test, config.max_samples, config.seed)
        x_test, y_test = convert_channels(x_test[keep], getattr(config, "channels", None)), y_test[keep]
    elif len(test):
        x_test, y_test = x[test], y[test]
    return Dataset(x[train], y[train].astype("int32"), x[val], y[val].astype("int32"), class_names,
                   x_test, None if y_test is None else y_test.astype("int32"))
