"""Per-epoch activation histograms in the run's TensorBoard logs (Glorot & Bengio 2010).

TensorBoard's own ``histogram_freq`` logs weights; what Glorot & Bengio plot is
the activations, layer by layer, and how they move as the run trains. After
each epoch HISTOGRAM_IMAGES images of the fixed training subset go through
the model once in inference mode (every activation layer's output from one
pass, ``netlab.inspect.layers.feature_maps``) and each layer's values are
written as a histogram under ``tensorboard/activations``. At most
MAX_VALUES values per layer (an evenly strided sample), so a wide layer
costs what a narrow one does. Like the inference-mode columns, no random
generator is touched.

Cheap for the interpreter: written with ``tf.summary.histogram``,
each histogram was about 20 small eager ops dispatched from Python, so the
training thread held the interpreter for about 26 ms of every epoch's end
(py-spy --gil, default digits run, 2 cores) and 140 ms at the first one
(the predict step's tracing), while the window wanted it to redraw the
curves. Now the buckets are a few numpy calls per layer (TensorBoard's own
bucket format, BUCKETS equal-width buckets), all layers go to the file as
one serialized Summary in one op (about 5 ms held per epoch), and the
predict step is traced when training begins, beside the train step's own
tracing (about 160 ms held there), not at the first epoch's end.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from netlab.data.subset import train_subset
from netlab.inspect.activations import activation_layers
from netlab.inspect.layers import feature_maps
from netlab.training.callbacks import all_finite

# TensorBoard is imported inside histograms_summary: it is optional (a run without it skips its
# logs, netlab.training.callbacks.tensorboard_available), and netlab.training.build imports this module.

HISTOGRAM_IMAGES = 32
MAX_VALUES = 100_000
BUCKETS = 30  # tf.summary.histogram's default
LOG_SUBDIR = "activations"


def strided_sample(values: np.ndarray, limit: int = MAX_VALUES) -> np.ndarray:
    """At most ``limit`` values, every k-th of the flattened array (deterministic)."""
    flat = np.asarray(values).ravel()
    return flat[::max(1, math.ceil(flat.size / limit))]


def histogram_buckets(values: np.ndarray, buckets: int = BUCKETS) -> np.ndarray:
    """TensorBoard's histogram tensor: one row (left edge, right edge, count) per bucket.

    Equal-width buckets from the minimum to the maximum, the last one closed;
    all values equal: every edge is that value and the last bucket counts
    them; no values: all zeros (as ``tensorboard.plugins.histogram`` does).
    NaN and Inf are left out.
    """
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data)]
    if data.size == 0:
        return np.zeros((buckets, 3))
    low, high = float(data.min()), float(data.max())
    counts = np.zeros(buckets)
    if low == high:
        edges = np.full(buckets + 1, low)
        counts[-1] = data.size
    else:
        edges = np.linspace(low, high, buckets + 1)
        index = np.minimum(((data - low) / ((high - low) / buckets)).astype(np.int64), buckets - 1)
        counts = np.bincount(index, minlength=buckets).astype(np.float64)
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def histograms_summary(values_by_tag: dict[str, np.ndarray]):
    """One Summary protobuf holding a TensorBoard histogram per tag."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.histogram import metadata
    from tensorboard.util import tensor_util

    summary = summary_pb2.Summary()
    for tag, values in values_by_tag.items():
        summary.value.add(tag=tag, metadata=metadata.create_summary_metadata(display_name=None, description=None),
                          tensor=tensor_util.make_tensor_proto(histogram_buckets(values), dtype=np.float64))
    return summary


class ActivationHistograms(keras.callbacks.Callback):
    def __init__(self, log_dir, inference_model, images: np.ndarray):
        super().__init__()
        self.log_dir = Path(log_dir) / LOG_SUBDIR
        self.inference_model = inference_model
        self.images = images[:HISTOGRAM_IMAGES]
        self.layers = activation_layers(inference_model)
        self.writer = None
        self.traced = False

    @classmethod
    def for_data(cls, log_dir, inference_model, data, seed: int) -> ActivationHistograms:
        x, _ = train_subset(data, min(HISTOGRAM_IMAGES, data.train_size), seed)
        return cls(log_dir, inference_model, x)

    def on_train_begin(self, logs=None):
        # Traces the predict step now, with the train step. Once: a run of two fits (two-phase
        # fine-tuning's cached head, then the whole model) logs the same inference model in both.
        if not self.traced and self._open():
            self._activations()
            self.traced = True

    def on_epoch_end(self, epoch, logs=None):
        # It runs before EventCallback, which ends the run on an epoch with NaN/Inf numbers.
        if not all_finite(logs) or not self._open():
            return
        summary = histograms_summary({f"activations/{name}": strided_sample(values)
                                      for name, values in self._activations().items()})
        with self.writer.as_default(step=epoch + 1):
            tf.summary.experimental.write_raw_pb(summary.SerializeToString())
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _open(self) -> bool:
        """The writer, opened once; False when there is nothing to log."""
        if not self.layers or not len(self.images):
            return False
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(str(self.log_dir))
        return True

    def _activations(self) -> dict[str, np.ndarray]:
        return feature_maps(self.inference_model, self.images, self.layers)
