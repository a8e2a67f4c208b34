"""Statistics over any number of images in memory bounded by a batch.

A statistics pass pushes the images through the model a batch at a time,
reduces each batch inside the traced pass to a few numbers per layer or
channel, and merges those across batches (:class:`RunningMoments`). Handing
every layer's output for every image to numpy at once took 5 GB for the
1,437 training images of a digits run, and grows with the image count.

Each pass is a ``tf.function`` made once per model and kind of pass (cached
with the model's flat graph, or per model for :func:`inference_function`)
with a batch dimension of ``None``: one trace for any image count and a
short last batch. A new function or a new batch shape per call retraces
(seconds each) and TensorFlow then logs "N out of the last M calls ...
triggered tf.function retracing".
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import numpy as np

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError
from netlab.inspect.layers import batch_spec, flat_graph

# TensorFlow is imported inside functions: `netlab --help` imports this module (its commands'
# modules do) and shows before TensorFlow loads.

# Images per forward pass of an inference-mode pass: its numbers do not depend on it, its memory does.
INFERENCE_BATCH = 32

_inference: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.RLock()


def batch_slices(count: int, size: int) -> list[slice]:
    """``count`` images as consecutive batches of ``size`` (the last one shorter)."""
    if count < 1:
        raise ConfigError("no images to compute statistics on: give at least one")
    size = max(1, int(size))
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def equal_slices(count: int, size: int) -> list[slice]:
    """``count`` images as batches of about ``size``, all of one size give or take one
    (never a last batch of 3 images): for passes whose numbers depend on the batch,
    as batch norm's training mode does. ``count < 1.5 * size`` is one batch."""
    if count < 1:
        raise ConfigError("no images to compute statistics on: give at least one")
    chunks = max(1, round(count / max(int(size), 1)))
    bounds = np.cumsum([0] + [len(part) for part in np.array_split(np.arange(count), chunks)])
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def traced(model, key, make: Callable):
    """``make(graph)`` (a ``tf.function`` on the model's flat graph), made once per
    (model, key) and kept with the flat graph, so it is traced once per model."""
    graph = flat_graph(model)
    with _lock:
        function = graph.models.get(key)
        if function is None:
            function = graph.models[key] = make(graph)
        return function


def inference_function(model):
    """``model`` in inference mode as a ``tf.function``, made once per model and traced once
    for any batch size (Keras's ``predict_on_batch`` retraces for each new batch shape).
    Any Keras model, also one NetLab cannot look inside."""
    import tensorflow as tf

    with _lock:
        function = _inference.get(model)
        if function is None:
            alive = weakref.ref(model)  # the cache must not keep the model alive

            def inference(images):
                return alive()(images, training=False)

            inputs = getattr(model, "inputs", None)
            if inputs and len(inputs) == 1:
                function = tf.function(inference, input_signature=[batch_spec(inputs[0])])
            else:  # a subclassed model: no symbolic input to take the signature from
                function = tf.function(inference, reduce_retracing=True)
            _inference[model] = function
        return function


def predict_batch(model, images) -> np.ndarray:
    """``model``'s inference-mode output for one batch of images, as float64."""
    inputs = getattr(model, "inputs", None)
    dtype = inputs[0].dtype if inputs and len(inputs) == 1 else "float32"
    return np.asarray(inference_function(model)(np.asarray(images, dtype=dtype)), dtype=np.float64)


def predictions(model, images, batch_size: int = INFERENCE_BATCH) -> np.ndarray:
    """``model``'s inference-mode output for ``images`` (float64), ``batch_size`` at a time."""
    parts = []
    for part in batch_slices(len(images), batch_size):
        abort_point()
        parts.append(predict_batch(model, images[part]))
    return np.concatenate(parts)


class RunningMoments:
    """Count, mean and sum of squared deviations from the mean, merged batch by batch
    (Chan, Golub & LeVeque 1979): the same mean and variance as over all values at once,
    without the cancellation of sum-of-squares formulas. Arrays: one entry per layer or
    channel."""

    def __init__(self):
        self.count = self.mean = self.m2 = None

    def add(self, count, mean, m2) -> None:
        count, mean, m2 = (np.asarray(a, dtype=np.float64) for a in (count, mean, m2))
        if self.count is None:
            self.count, self.mean, self.m2 = count, mean, m2
            return
        total = self.count + count
        share = np.divide(count, total, out=np.zeros_like(total * mean), where=total > 0)
        delta = mean - self.mean
        self.mean = self.mean + delta * share
        self.m2 = self.m2 + m2 + delta * delta * self.count * share
        self.count = total

    def add_variance(self, count, mean, variance) -> None:
        """A batch given by its (population) variance rather than its squared deviations."""
        self.add(count, mean, np.asarray(variance, dtype=np.float64) * np.asarray(count, dtype=np.float64))

    @property
    def variance(self) -> np.ndarray:
        return np.divide(self.m2, self.count, out=np.full_like(self.m2, np.nan), where=self.count > 0)
