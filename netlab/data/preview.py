"""One sample image of a dataset, for the augmentation preview: one image is read, not the dataset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from netlab.base.errors import DataError
from netlab.data.dataset import convert_channels
from netlab.data.images import IMAGE_SUFFIXES, decode_image
from netlab.data.input_spec import input_spec
from netlab.data.keras_sources import first_test_image, resize_images
from netlab.data.registry import get_source


def sample_image(config) -> np.ndarray:
    """The first image of ``config``'s dataset as the network sees it: (H, W, C) float32 in [0, 255].

    Its size and channels are those of :func:`input_spec`, the model's input.
    """
    spec = input_spec(config)
    source = get_source(config.dataset)
    if source.is_folder:
        files = sorted(p for p in Path(config.dataset).expanduser().rglob("*")
                       if p.suffix.lower() in IMAGE_SUFFIXES)
        for path in files:
            try:
                return np.asarray(decode_image(path, spec.image_size, spec.channels), np.float32)
            except (OSError, ValueError):
                continue  # a damaged file: try the next
        raise DataError(f"no readable image in {config.dataset}")
    if source.download:
        image = first_test_image(config.dataset)[None]
    else:  # digits, shapes: made in memory at their own side (ten are cheap), the first one resized
        small = dataclasses.replace(config, samples=10)
        image = source.load_arrays(small, source.image_size)[0][:1]
    image = resize_images(image, spec.image_size)  # one image, not the set made at a side up to 1024
    return np.asarray(convert_channels(image, spec.channels)[0], dtype=np.float32)
