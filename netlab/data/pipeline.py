"""tf.data input pipeline: shuffle, batch, prefetch."""

from __future__ import annotations

import numpy as np


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                 num_outputs: int = 1):
    """Batches of (images, labels); labels repeated per output for multi-output models."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if num_outputs > 1:
        ds = ds.map(lambda images, labels: (images, (labels,) * num_outputs))
    return ds.prefetch(tf.data.AUTOTUNE)
