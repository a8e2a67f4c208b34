"""Per-epoch activation histograms in the run's TensorBoard logs (seeds/002).

TensorBoard's own ``histogram_freq`` logs weights; what the lecture plots is
the activations, layer by layer, and how they move as the run trains. After
each epoch HISTOGRAM_IMAGES images of the fixed training subset go through
the model once in inference mode (every activation layer's output from one
pass, ``netlab.inspect.layers.feature_maps``) and each layer's values are
written as a histogram under ``tensorboard/activations``. At most
MAX_VALUES values per layer (an evenly strided sample), so a wide layer
costs what a narrow one does. Like the inference-mode columns, no random
generator is touched.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

HISTOGRAM_IMAGES = 32
MAX_VALUES = 100_000
LOG_SUBDIR = "activations"


def strided_sample(values: np.ndarray, limit: int = MAX_VALUES) -> np.ndarray:
    """At most ``limit`` values, every k-th of the flattened array (deterministic)."""
    flat = np.asarray(values).ravel()
    return flat[::max(1, math.ceil(flat.size / limit))]


class ActivationHistograms(keras.callbacks.Callback):
    def __init__(self, log_dir, inference_model, images: np.ndarray):
        super().__init__()
        from netlab.inspect.activations import activation_layers

        self.log_dir = Path(log_dir) / LOG_SUBDIR
        self.inference_model = inference_model
        self.images = images[:HISTOGRAM_IMAGES]
        self.layers = activation_layers(inference_model)
        self.writer = None

    @classmethod
    def for_data(cls, log_dir, inference_model, data, seed: int) -> ActivationHistograms:
        from netlab.data.subset import train_subset

        x, _ = train_subset(data, min(HISTOGRAM_IMAGES, data.train_size), seed)
        return cls(log_dir, inference_model, x)

    def on_epoch_end(self, epoch, logs=None):
        if not self.layers or not len(self.images):
            return
        import tensorflow as tf

        from netlab.inspect.layers import feature_maps

        maps = feature_maps(self.inference_model, self.images, self.layers)
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(str(self.log_dir))
        with self.writer.as_default(step=epoch + 1):
            for name, values in maps.items():
                tf.summary.histogram(f"activations/{name}", strided_sample(values))
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
