"""A dataset in memory or on disk (``Dataset``), a source of one (``DataSource``), and the splits'
class selection, subsampling and channel conversion every source shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from netlab.base.errors import DataError
from netlab.data.pipeline import make_dataset

# scikit-learn is imported inside functions: the window and `netlab --help` import this module at
# start-up, and scikit-learn would add a second to both.

SPLITS = ("train", "val", "test")
PER_CLASS_SEED_OFFSET = 104729  # the few-shot picks' generator is not the split's


@dataclass
class Dataset:
    """Images split into training, validation and (optionally) test sets.

    ``x_*`` are float32 arrays in [0, 255] for array sources and ``None`` for
    an image folder, whose images stay on disk (FolderDataset); the labels ``y_*`` and
    ``class_names`` are always there. ``skipped`` lists the files of an image
    folder that were left out, and why.
    """

    x_train: np.ndarray | None
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray
    class_names: list[str]
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    skipped: list = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def train_size(self) -> int:
        return len(self.y_train)

    @property
    def val_size(self) -> int:
        return len(self.y_val)

    @property
    def test_size(self) -> int:
        return 0 if self.y_test is None else len(self.y_test)

    def labels(self, split: str) -> np.ndarray:
        _check_split(split)
        labels = {"train": self.y_train, "val": self.y_val, "test": self.y_test}[split]
        return np.zeros(0, np.int32) if labels is None else labels

    # -- tf.data ------------------------------------------------------------
    def train_pipeline(self, batch_size: int, seed: int = 0, num_outputs: int = 1,
                       epochs: range | None = None):
        """Shuffled batches of (images, labels) for ``fit``, float32 pixels in [0, 255].

        One pass per epoch of ``epochs`` (default: epoch 0 alone), back to back;
        the order of epoch e depends on (seed, e) only (``netlab.data.pipeline``).
        """
        return self.pipeline("train", batch_size, shuffle=True, seed=seed, num_outputs=num_outputs,
                             epochs=epochs)

    def val_pipeline(self, batch_size: int, num_outputs: int = 1):
        return self.pipeline("val", batch_size, num_outputs=num_outputs)

    def test_pipeline(self, batch_size: int, num_outputs: int = 1):
        return self.pipeline("test", batch_size, num_outputs=num_outputs)

    def pipeline(self, split: str, batch_size: int, shuffle: bool = False, seed: int = 0,
                 num_outputs: int = 1, epochs: range | None = None):
        x = self._images(split)
        return make_dataset(x, self.labels(split), batch_size, shuffle=shuffle, seed=seed,
                            num_outputs=num_outputs, epochs=epochs)

    def batches(self, split: str = "train", batch_size: int = 256) -> Iterator[np.ndarray]:
        """The images of a split in order, un-augmented, as float32 numpy batches."""
        x = self._images(split)
        for start in range(0, len(x), batch_size):
            yield np.asarray(x[start:start + batch_size], dtype=np.float32)

    def _images(self, split: str) -> np.ndarray:
        _check_split(split)
        x = {"train": self.x_train, "val": self.x_val, "test": self.x_test}[split]
        if x is None:
            x = np.zeros((0, *self.input_shape), np.float32)
        return x

    def skipped_report(self) -> str:
        """One line per skipped file, for the run log ('' when none was skipped)."""
        return "\n".join(f"{s.path}: {s.reason}" for s in self.skipped)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} (got {split!r})")


@dataclass(frozen=True)
class DataSource:
    name: str
    description: str
    image_size: int  # natural side of its images as fed to a network
    channels: int
    # (DataConfig, image_size) -> (x, y, class_names) or, for sources with an
    # official test set, (x, y, class_names, x_test, y_test).
    load_arrays: Callable | None = None
    # DataConfig -> Dataset, for sources that are not arrays (image folders).
    load: Callable | None = None
    # Downloaded by Keras into its cache on first use.
    download: bool = False
    # The classes in label order, known without loading (empty for image
    # folders, whose classes are their sub-folders: see netlab.data.input_spec).
    class_names: tuple[str, ...] = ()

    @property
    def is_folder(self) -> bool:
        return self.load is not None


def select_classes(x: np.ndarray, y: np.ndarray, class_names, classes) -> tuple:
    """The images of ``classes`` (names), labelled by their position in ``classes``."""
    index = {class_names.index(name): new for new, name in enumerate(classes)}
    keep = np.flatnonzero(np.isin(y, list(index)))
    return x[keep], np.array([index[int(label)] for label in y[keep]], np.int32), list(classes)


def per_class_indices(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Ascending indices of at most ``n`` seeded picks of each class in ``y`` (few-shot training sets)."""
    rng = np.random.default_rng(seed + PER_CLASS_SEED_OFFSET)
    picks = [rng.permutation(np.flatnonzero(y == label))[:n] for label in np.unique(y)]
    return np.sort(np.concatenate(picks))


def check_labels(y: np.ndarray, class_names, dataset) -> None:
    if len(y) == 0:
        raise DataError(f"dataset {dataset!r} has no images")
    if len(np.unique(y)) < 2:
        raise DataError(f"dataset {dataset!r} has a single class; a classifier needs two or more")


def subsample(y: np.ndarray, max_samples: int | None, seed: int) -> np.ndarray:
    """Indices of a seeded, stratified subset of at most ``max_samples`` (all when None)."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    if max_samples is None or max_samples >= len(y):
        return index
    try:
        keep, _ = train_test_split(index, train_size=max_samples, stratify=y, random_state=seed)
    except ValueError:  # more classes than max_samples, or a class of one image
        keep, _ = train_test_split(index, train_size=max_samples, random_state=seed)
    return keep


def split_indices(y: np.ndarray, validation_split: float, test_split: float, seed: int,
                  dataset="dataset", class_names=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded, stratified (train, validation, test) indices into ``y``.

    Both fractions are of the whole; the test set is split off first. With
    ``test_split`` 0 the validation split is the one NetLab always made.
    ``validation_split`` 0 gives an empty validation set (a folder's own val/).
    """
    from sklearn.model_selection import train_test_split

    _check_split_sizes(y, validation_split, test_split, dataset, class_names)
    index = np.arange(len(y))
    empty = np.zeros(0, dtype=index.dtype)
    try:
        test = empty
        if test_split > 0:
            index, test = train_test_split(index, test_size=test_split, stratify=y[index],
                                           random_state=seed)
        if validation_split <= 0:
            return index, empty, test
        fraction = validation_split / (1.0 - test_split)
        train, val = train_test_split(index, test_size=fraction, stratify=y[index], random_state=seed)
    except ValueError:  # a split too small to hold every class (each class has enough: checked above)
        raise DataError(
            f"cannot split {dataset!r} ({len(y)} images, {len(np.unique(y))} classes) into training, "
            "validation and test sets with every class in each: each split needs an image of every "
            "class, so move data.validation_split / data.test_split away from 0 and 1, or add images"
        ) from None
    return train, val, test


def _check_split_sizes(y, validation_split, test_split, dataset, class_names) -> None:
    """NetLab's words for what scikit-learn's stratified split would refuse."""
    splits = [name for name, fraction in (("validation", validation_split), ("test", test_split)) if fraction > 0]
    if not splits or len(y) == 0:
        return
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    present = np.flatnonzero(counts)
    # Stratified: a class is shared between training and the other splits, so it needs two
    # images at the very least (scikit-learn's rule; a small split may still miss a class).
    needed = 2
    smallest = int(present[np.argmin(counts[present])])
    if counts[smallest] < needed:
        name = class_names[smallest] if class_names is not None else str(smallest)
        raise DataError(
            f"class {name!r} of {dataset!r} has {counts[smallest]} image(s); NetLab splits every class "
            f"between training and {' and '.join(splits)}, so each class needs at least {needed} images: "
            "add images to it or remove it"
        )


def convert_channels(x: np.ndarray | None, channels: int | None) -> np.ndarray | None:
    """(N, H, W, C) to ``channels`` (1 or 3); None keeps what the source has."""
    if x is None or channels is None or x.shape[-1] == channels:
        return x
    if channels == 3:
        return np.repeat(x, 3, axis=-1)
    # ITU-R 601-2 luma, the weights PIL's convert("L") uses.
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return (x.astype(np.float32) @ weights)[..., None]
