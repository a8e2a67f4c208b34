"""One sample image of a dataset, for the augmentation preview."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from netlab.data import get_source
from netlab.errors import DataError


def sample_image(config) -> np.ndarray:
    """The first image of ``config``'s dataset as the network sees it: (H, W, C) in [0, 255]."""
    from netlab.data.images import IMAGE_SUFFIXES, decode_image

    source = get_source(config.dataset)
    size = config.image_size or source.image_size
    if source.is_folder:
        files = sorted(p for p in Path(config.dataset).expanduser().rglob("*")
                       if p.suffix.lower() in IMAGE_SUFFIXES)
        for path in files:
            try:
                return np.asarray(decode_image(path, size, config.channels or source.channels), np.float32)
            except (OSError, ValueError):
                continue  # a damaged file: try the next
        raise DataError(f"no readable image in {config.dataset}")
    small = dataclasses.replace(config, samples=10)
    return np.asarray(source.load_arrays(small, size)[0][0], dtype=np.float32)
