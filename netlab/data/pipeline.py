"""tf.data input pipeline: shuffle, batch, prefetch.

A training pipeline covers a range of epochs back to back, and the order of
epoch ``e`` is a function of ``(seed, e)`` alone, never of how many epochs this
process has already iterated: a run resumed at epoch ``k`` sees exactly the
batches the uninterrupted run saw from epoch ``k`` on (tf.data's own
``reshuffle_each_iteration`` counts iterations per process, which a resume
restarts). The trainer gives Keras ``steps_per_epoch`` so it keeps one
iterator over all epochs.
"""

from __future__ import annotations

import numpy as np

# TensorFlow is imported inside functions: the window and `netlab --help` import this module at
# start-up and show before TensorFlow loads.


def epoch_seed(seed, epoch):
    """The stateless seed pair of one epoch's shuffle: (seed, epoch), as an int64 tensor."""
    import tensorflow as tf

    return tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])


def epoch_order(n: int, seed, epoch):
    """A permutation of range(n) that depends on (seed, epoch) only (stateless)."""
    import tensorflow as tf

    return tf.random.experimental.stateless_shuffle(tf.range(tf.cast(n, tf.int64)), seed=epoch_seed(seed, epoch))


def epoch_indices(kept, n: int, seed: int, epoch):
    """n indices into ``kept`` items (decoded images, cached features), in epoch ``epoch``'s order.

    With kept == n it is ``epoch_order(n, seed, epoch)``. A file that fails to
    decode (changed since the scan) hands its slot to the epoch's first images:
    every epoch has n items, so the trainer's steps_per_epoch stays exact and
    epochs never run into each other.
    """
    import tensorflow as tf

    order = epoch_order(kept, seed, epoch)
    slots = tf.range(tf.where(kept > 0, n, 0), dtype=tf.int64)
    return tf.gather(order, slots % tf.maximum(tf.cast(kept, tf.int64), 1))


def over_epochs(epochs: range | None, one_epoch):
    """``one_epoch(e)`` (a Dataset) for each epoch of ``epochs``, back to back; None = epoch 0 only."""
    import tensorflow as tf

    epochs = range(1) if epochs is None else epochs
    numbers = tf.data.Dataset.from_tensor_slices(np.asarray(list(epochs), np.int64))
    return numbers.flat_map(one_epoch)


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                 num_outputs: int = 1, epochs: range | None = None):
    """Batches of (images, labels); labels repeated per output for multi-output models.

    Shuffled: one pass per epoch of ``epochs`` (default: epoch 0 alone), each in
    the order ``epoch_order`` gives; batches never straddle two epochs.
    """
    import tensorflow as tf

    if shuffle:
        n = len(x)
        images, labels = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
        ds = over_epochs(epochs, lambda e: tf.data.Dataset.from_tensor_slices(
            epoch_order(n, seed, e)).batch(batch_size))
        ds = ds.map(lambda index: (tf.gather(images, index), tf.gather(labels, index)))
    else:
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    if num_outputs > 1:
        ds = ds.map(lambda images, labels: (images, (labels,) * num_outputs))
    return ds.prefetch(tf.data.AUTOTUNE)
