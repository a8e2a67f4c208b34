"""What will train: the input shape and classes a DataConfig gives, without loading it.

The trainer builds its model from this, the window's summary and size label
show it, and the augmentation preview draws at its size, so all three agree
(shapes has 4 classes, CIFAR-100 100, an image folder as many as it has
sub-folders). Built-in sources know their classes as constants; an image folder
costs a listing of its sub-folders and, when ``data.channels`` is not set,
reading image headers until one in colour is found. No pixels are decoded and
nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from netlab.base.errors import ConfigError, DataError
from netlab.data.download import download_progress
from netlab.data.folder import describe_image_folder
from netlab.data.registry import get_source, load_dataset


@dataclass(frozen=True)
class InputSpec:
    image_size: int  # side of the square images fed to the network
    channels: int  # 1 (grayscale) or 3 (RGB)
    class_names: tuple[str, ...]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def input_spec(config) -> InputSpec:
    """The images and classes ``config`` (a DataConfig) will train on."""
    source = get_source(config.dataset)
    size = config.image_size or source.image_size
    if source.is_folder:
        class_names, channels = describe_image_folder(Path(config.dataset), config.channels)
    else:
        class_names = getattr(config, "classes", None) or source.class_names
        channels = config.channels or source.channels
    return InputSpec(int(size), int(channels), tuple(class_names))


def load_described(config, on_download=None):
    """Load the dataset ``config`` names as :func:`input_spec` describes it (the trainer's way).

    The spec is worked out first (a bad dataset fails before any download) and
    its channels are the ones loaded, so the model built from the spec and the
    images fed to it agree by construction. ``on_download(url, done, total)``
    hears a Keras download's progress.
    """
    spec = input_spec(config)
    with download_progress(on_download or (lambda url, done, total: None)):
        data = load_dataset(dataclasses.replace(config, channels=spec.channels))
    if (tuple(data.input_shape), data.num_classes) != (spec.input_shape, spec.num_classes):
        raise DataError(
            f"{config.dataset} gave {data.num_classes} classes of {data.input_shape} images where "
            f"{spec.num_classes} of {spec.input_shape} were expected; did the folder change while "
            "it loaded? Start the run again"
        )
    return data


def check_selection(d) -> None:
    """data.classes, data.train_per_class and data.train_repeat: built-in datasets, known class names."""
    if d.classes is None and d.train_per_class is None and d.train_repeat == 1:
        return
    source = get_source(d.dataset)
    if source.is_folder and (d.train_per_class is not None or d.train_repeat != 1):
        raise ConfigError("data.train_per_class and data.train_repeat work on built-in datasets; for an image "
                          "folder, put the images to train on in the folder")
    if d.classes is None:
        return
    if not isinstance(d.classes, list) or len(d.classes) < 2 or not all(isinstance(c, str) for c in d.classes):
        raise ConfigError(f"data.classes must be a list of two or more class names, or null (got {d.classes!r})")
    if len(set(d.classes)) != len(d.classes):
        raise ConfigError(f"data.classes names a class twice: {d.classes}")
    if source.is_folder:
        raise ConfigError("data.classes picks classes of a built-in dataset; for an image folder, make a "
                          "folder holding only the classes to learn")
    unknown = [c for c in d.classes if c not in source.class_names]
    if unknown:
        raise ConfigError(f"data.classes: {d.dataset} has no class {unknown[0]!r} "
                          f"(its classes: {', '.join(source.class_names)})")
