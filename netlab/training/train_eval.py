"""Per epoch: the training images in inference mode, and batch norm's train/inference gap.

Keras's "accuracy" and "loss" for the training split are running means over
the epoch in training mode: dropout drops units and batch norm uses each
batch's statistics while the weights move. A dropout experiment then mixes
regularization noise into the fit. So after each epoch a fixed
subset of the training split goes through the model as it stands, in
inference mode (``train_eval_loss``, ``train_eval_accuracy``, comparable to
``val_loss``/``val_accuracy``); and, when the model has batch norm, through
it again with BN on batch statistics and dropout still off
(``train_mode_accuracy``), so that ``bn_gap`` = train-mode minus
inference-mode accuracy is batch norm's alone (Ioffe & Szegedy 2015, Sec. 3.1: the moving
averages trail the weights; a large gap is the forgotten ``model.eval()``).

Cost. A forward pass costs about a third of a training step per image
(forward + backward), so two passes over SUBSET_FRACTION = 10% of the
training split cost about 7% of the epoch's training; at most MAX_SAMPLES
images (and MAX_BYTES of pixels). Tiny training sets get at least
MIN_SAMPLES (a fraction of a second). ``python -m netlab.bench train_eval``
measures it: on a shared 2-core CPU one measurement took 5-8% of a digits
epoch, the epochs with it ran 10-15% longer (small epochs, where the fixed
cost of each call weighs most), and tracing the two passes took about 2 s
once per run.

Determinism. The subset is drawn by its own NumPy generator from the
training seed, and neither pass draws from a random layer's SeedGenerator
(dropout and augmentation are in inference mode), so the shuffle, dropout
and augmentation streams of the run are untouched and a resumed run writes
the same numbers as an unbroken one.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from netlab.base.errors import NetlabError
from netlab.data.subset import train_subset
from netlab.inspect.batchnorm import bn_layers, training_mode_predictions

SUBSET_FRACTION = 0.1
MIN_SAMPLES = 128
MAX_SAMPLES = 2048
MAX_BYTES = 256 * 2**20  # 445 images at 224 x 224 x 3
INFERENCE_CHUNK = 256  # images per inference call (batch norm's pass uses the training batch size)
COLUMNS = ("train_eval_loss", "train_eval_accuracy", "train_mode_accuracy", "bn_gap")


def subset_size(train_size: int, input_shape=()) -> int:
    """Images measured per epoch: 10% of the training split, within [MIN_SAMPLES, MAX_SAMPLES],
    and no more than MAX_BYTES of float32 pixels (the subset stays in memory for the run)."""
    wanted = min(max(math.ceil(SUBSET_FRACTION * train_size), MIN_SAMPLES), MAX_SAMPLES)
    image_bytes = 4 * math.prod(input_shape) if input_shape else 0
    if image_bytes:
        wanted = min(wanted, max(1, MAX_BYTES // image_bytes))
    return min(train_size, wanted)


def _crossentropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Sparse categorical cross-entropy of softmax outputs, clipped as Keras clips it."""
    eps = keras.config.epsilon()
    p = np.clip(probabilities[np.arange(len(labels)), labels], eps, 1 - eps)
    return float(np.mean(-np.log(p)))


def inference_function(model):
    """``model`` in inference mode as a traced function (an eager call costs several times
    more), traced once for any batch size."""
    shape = model.inputs[0].shape
    spec = tf.TensorSpec((None, *shape[1:]), model.inputs[0].dtype)
    return tf.function(lambda batch: model(batch, training=False), input_signature=[spec])


def inference_predictions(function, x: np.ndarray, chunk: int = INFERENCE_CHUNK) -> np.ndarray:
    outputs = [np.asarray(function(x[i:i + chunk]), dtype=np.float64) for i in range(0, len(x), chunk)]
    return np.concatenate(outputs)


def measure(model, x: np.ndarray, y: np.ndarray, batch_size: int, with_bn: bool,
            function=None) -> dict:
    """The epoch's columns for images ``x`` with labels ``y``: inference-mode loss and
    accuracy, and with ``with_bn`` the BN train-mode accuracy and the gap.
    ``function``: the model's :func:`inference_function`, when the caller keeps one."""
    inference = inference_predictions(function or inference_function(model), x)
    accuracy = float(np.mean(inference.argmax(-1) == y))
    metrics = {"train_eval_loss": _crossentropy(inference, y), "train_eval_accuracy": accuracy}
    if with_bn:
        training = training_mode_predictions(model, x, batch_size)
        train_mode = float(np.mean(training.argmax(-1) == y))
        metrics.update(train_mode_accuracy=train_mode, bn_gap=train_mode - accuracy)
    return metrics


class TrainEvaluation(keras.callbacks.Callback):
    """Adds the columns of :func:`measure` to each epoch's logs.

    It runs before the callback that writes history.csv and emits EpochEnd
    (Keras hands every callback the same logs), so the new numbers reach the
    history, the events, the window and TensorBoard like Keras's own.
    """

    def __init__(self, inference_model, x: np.ndarray, y: np.ndarray, batch_size: int):
        super().__init__()
        self.inference_model = inference_model
        self.x, self.y, self.batch_size = x, y, batch_size
        self.function = inference_function(inference_model)
        try:
            self.with_bn = bool(bn_layers(inference_model))
        except NetlabError:  # a graph NetLab cannot rebuild: the inference-mode columns only
            self.with_bn = False

    @classmethod
    def for_data(cls, inference_model, data, training_config) -> TrainEvaluation | None:
        """None when the subset is empty (every sampled file of a folder failed to decode)."""
        t = training_config
        x, y = train_subset(data, subset_size(data.train_size, data.input_shape), t.seed)
        if not len(x):
            return None
        return cls(inference_model, x, y, t.batch_size)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(measure(self.inference_model, self.x, self.y, self.batch_size, self.with_bn,
                                self.function))
