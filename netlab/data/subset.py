"""A fixed subset of a dataset's training split, drawn without touching any shared generator.

The per-epoch inference-mode measurement (netlab/training/train_eval.py) and
the inspection views (netlab/inspect/samples.py) read the same images.
"""

from __future__ import annotations

import numpy as np

from netlab.data.images import decode_image

SUBSET_SEED_OFFSET = 7919  # the subset's generator is not the split's, nor the shuffle's


def subset_indices(train_size: int, n: int, seed: int) -> np.ndarray:
    """``n`` distinct training indices, a function of (seed, train_size) only, in ascending order."""
    rng = np.random.default_rng(seed + SUBSET_SEED_OFFSET)
    return np.sort(rng.choice(train_size, size=n, replace=False))


def train_subset(data, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of a fixed subset of the training split: float32 pixels in [0, 255].

    An image folder's files are decoded here; one that no longer decodes is left out.
    """
    indices = subset_indices(data.train_size, n, seed)
    labels = np.asarray(data.y_train)[indices]
    if data.x_train is not None:
        return np.asarray(data.x_train[indices], dtype=np.float32), labels.astype(np.int32)
    height, _, channels = data.input_shape
    files = data.files["train"]
    images, kept = [], []
    for i, index in enumerate(indices):
        try:
            images.append(decode_image(files[index], height, channels))
        except Exception:  # noqa: BLE001 - changed or damaged since the scan: left out
            continue
        kept.append(i)
    if not images:
        return np.zeros((0, *data.input_shape), np.float32), np.zeros(0, np.int32)
    return np.stack(images).astype(np.float32), labels[kept].astype(np.int32)
