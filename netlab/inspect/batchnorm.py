"""Batch-norm statistics, and the train-versus-inference gap (Ioffe & Szegedy 2015, Sec. 3.1).

In training a BN layer normalizes with the batch's own mean and variance and
keeps running averages of them (momentum 0.99 in Keras: the moving statistics
trail the weights by ~100 steps); in inference it uses the running averages.
When they differ, the same images get different predictions in the two modes:
the forgotten ``model.eval()`` of PyTorch code. The inputs of all BN layers come out
of one multi-output model, reduced inside the pass to their moments, a batch
at a time (memory bounded by a batch, whatever the image count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError
from netlab.inspect.layers import (
    SEP,
    batch_spec,
    first_tensor,
    flat_graph,
    functional_of,
    image_batch,
    run_sub_model,
    sub_model,
)
from netlab.inspect.passes import INFERENCE_BATCH, RunningMoments, batch_slices, equal_slices, predictions

# Keras and TensorFlow are imported inside functions: `netlab --help` imports this module (its
# commands' modules do) and shows before TensorFlow loads.

# Images per batch where batch norm runs on batch statistics (training mode): the numbers
# depend on it. The Statistics tab's default image count, so its default batch is one batch.
TRAINING_MODE_BATCH = 64


@dataclass
class BnStatistics:
    """One BN layer's statistics, one value per channel."""

    layer: str
    epsilon: float
    moving_mean: np.ndarray
    moving_variance: np.ndarray
    gamma: np.ndarray  # ones when the layer has no scale
    beta: np.ndarray  # zeros when the layer has no center
    batch_mean: np.ndarray | None = None  # of the layer's input over the images, inference mode
    batch_variance: np.ndarray | None = None

    @property
    def mean_shift(self) -> float | None:
        """Mean over channels of |batch mean - moving mean| in moving standard deviations."""
        if self.batch_mean is None:
            return None
        std = np.sqrt(self.moving_variance + self.epsilon)
        return float(np.mean(np.abs(self.batch_mean - self.moving_mean) / std))

    @property
    def variance_log_ratio(self) -> float | None:
        """Mean over channels of |log(batch variance / moving variance)| (0: equal)."""
        if self.batch_variance is None:
            return None
        ratio = (self.batch_variance + self.epsilon) / (self.moving_variance + self.epsilon)
        return float(np.mean(np.abs(np.log(ratio))))

    @property
    def distance(self) -> float | None:
        """How far batch and moving statistics differ: mean shift plus variance log-ratio."""
        if self.batch_mean is None:
            return None
        return self.mean_shift + self.variance_log_ratio

    def to_dict(self) -> dict:
        def listed(a):
            return None if a is None else [float(v) for v in a]

        return {"layer": self.layer, "channels": len(self.moving_mean), "epsilon": self.epsilon,
                "moving_mean": listed(self.moving_mean), "moving_variance": listed(self.moving_variance),
                "gamma": listed(self.gamma), "beta": listed(self.beta),
                "batch_mean": listed(self.batch_mean), "batch_variance": listed(self.batch_variance),
                "mean_shift": self.mean_shift, "variance_log_ratio": self.variance_log_ratio,
                "distance": self.distance}


def bn_layers(model) -> list[str]:
    """Names of the BatchNormalization layers in the order they run (nested ones included)."""
    graph = flat_graph(model)
    return [i.name for i in graph.layers if _is_bn(graph.objects[i.name])]


def _is_bn(layer) -> bool:
    return any(cls.__name__ == "BatchNormalization" for cls in type(layer).__mro__)


def _channel_axis(layer, rank: int) -> int:
    axis = layer.axis[0] if isinstance(layer.axis, (list, tuple)) else layer.axis
    return axis % rank


def _moment_tensors(graph, names: list[str]) -> list:
    """Each BN layer's input mean and variance per channel, as tensors of the flat graph.

    Reduced inside the pass: handing the inputs themselves to numpy moved 1.2 GB
    for 32 images through ResNet-50 (2.5x the time of a plain predict).
    """
    import keras

    tensors = []
    for name in names:
        x = keras.ops.cast(graph.inputs_of[name], "float32")
        axis = _channel_axis(graph.objects[name], len(x.shape))
        axes = tuple(a for a in range(len(x.shape)) if a != axis)
        tensors += [keras.ops.mean(x, axis=axes), keras.ops.var(x, axis=axes)]
    return tensors


def _variables(name: str, layer) -> BnStatistics:
    mean = np.asarray(layer.moving_mean, dtype=np.float64)
    ones, zeros = np.ones_like(mean), np.zeros_like(mean)
    gamma = np.asarray(layer.gamma, dtype=np.float64) if layer.gamma is not None else ones
    beta = np.asarray(layer.beta, dtype=np.float64) if layer.beta is not None else zeros
    return BnStatistics(name, float(layer.epsilon), mean,
                        np.asarray(layer.moving_variance, dtype=np.float64), gamma, beta)


def bn_statistics(model, images=None, batch_size: int = INFERENCE_BATCH) -> list[BnStatistics]:
    """Each BN layer's moving statistics, gamma and beta; with ``images``, the
    mean and variance of each BN layer's input over all of them beside them
    (inference mode, ``batch_size`` images per pass, batches merged exactly)."""
    graph = flat_graph(model)
    names = bn_layers(model)
    stats = [_variables(n, graph.objects[n]) for n in names]
    if images is None or not names:
        return stats
    batch = image_batch(model, images)
    built = sub_model(model, ("bn_moments",), lambda g: _moment_tensors(g, names))
    running = [RunningMoments() for _ in names]
    for part in batch_slices(len(batch), batch_size):
        abort_point()
        moments = run_sub_model(built, batch[part])
        # Every channel of a layer sees (images x positions) values, positions alike in each batch.
        count = part.stop - part.start
        for i, merged in enumerate(running):
            merged.add_variance(count, moments[2 * i], moments[2 * i + 1])
    for stat, merged in zip(stats, running, strict=True):
        stat.batch_mean, stat.batch_variance = merged.mean, merged.variance
    return stats


# -- training mode versus inference mode ------------------------------------------

def _bn_training_model(model):
    """The model's graph with its BN layers in training mode (batch statistics)
    and everything else in inference mode: dropout stays off, so the gap
    measured is batch norm's alone. A frozen BN layer (``trainable = False``,
    as in a frozen backbone) runs in inference mode even so: Keras 3 does that
    in training too. Outputs: the prediction, then each BN layer's input; built
    once per model."""
    import keras

    graph = flat_graph(model)
    key = ("bn_training",)
    if key in graph.models:
        return graph.models[key]
    fresh = keras.Input(shape=graph.input.shape[1:], dtype=graph.input.dtype)
    seen: dict[str, object] = {}

    def walk(net, tensor, prefix):
        def call(op, *args, **kwargs):
            name = f"{prefix}{op.name}"
            inner = functional_of(op) if isinstance(op, keras.Model) else None
            if inner is not None and len(inner.inputs) == 1:
                return walk(inner, first_tensor(args), name + SEP)
            if _is_bn(op):
                kwargs["training"] = True
                seen.setdefault(name, first_tensor(args))
            elif getattr(op, "_call_has_training_arg", False):
                kwargs["training"] = False
            return op(*args, **kwargs)

        return net._run_through_graph([tensor], call_fn=call)

    output = first_tensor(walk(functional_of(model), fresh, ""))
    built = keras.Model(fresh, [output] + [seen[n] for n in bn_layers(model)])
    graph.models[key] = built
    # The same graph with the prediction alone: per-epoch measurements need no BN inputs.
    graph.models[("bn_training_prediction",)] = keras.Model(fresh, output)
    return built


def _bn_variables(model) -> list:
    graph = flat_graph(model)
    return [v for n in bn_layers(model) for v in (graph.objects[n].moving_mean,
                                                   graph.objects[n].moving_variance)]


def _trainable_key(model) -> tuple:
    # A trace fixes which BN layers are frozen (they stay on moving statistics); fine-tuning
    # unfreezes layers between phases, so each set of frozen layers gets its own trace.
    graph = flat_graph(model)
    return tuple(bool(graph.objects[n].trainable) for n in bn_layers(model))


def _keeping_statistics(model, compute):
    """``compute(batch)`` (a training-mode call) as a ``tf.function`` that reads the moving
    statistics first and puts them back after, inside the same graph: one call per batch
    and no per-variable eager assignment from Python. Any batch size, one trace."""
    import tensorflow as tf

    variables = _bn_variables(model)

    def keeping_statistics(batch):
        saved = [tf.identity(v.value) for v in variables]
        outputs = compute(batch)
        with tf.control_dependencies(tf.nest.flatten(outputs)):
            for variable, value in zip(variables, saved, strict=True):
                variable.assign(value)
        return outputs

    return tf.function(keeping_statistics, input_signature=[batch_spec(flat_graph(model).input)])


def _bn_training_moments_function(model):
    """Each BN layer's input mean and variance per channel, BN on batch statistics
    (``keras.ops.moments``, what the layer normalizes with), traced once per model."""
    import keras

    graph = flat_graph(model)
    key = ("bn_training_moments", _trainable_key(model))
    if key not in graph.models:
        built = _bn_training_model(model)
        names = bn_layers(model)
        layers = [graph.objects[n] for n in names]

        def training_moments(batch):
            # No training argument: a value here would override the per-layer modes.
            inputs = built(batch)[1:]
            moments = []
            for layer, x in zip(layers, inputs, strict=True):
                x = keras.ops.cast(x, "float32")
                axis = _channel_axis(layer, len(x.shape))
                moments += keras.ops.moments(x, axes=[a for a in range(len(x.shape)) if a != axis])
            return moments

        graph.models[key] = _keeping_statistics(model, training_moments)
    return graph.models[key]


def _bn_training_function(model):
    """The prediction-only training-mode model as a compiled function, built once per model.

    Not ``predict_on_batch``: it calls the model with training=False, which
    would put the BN layers back on their moving statistics. A traced call
    keeps the per-layer modes and is several times faster than an eager one.
    A training-mode call updates the moving statistics; the function reads
    them first and puts them back after, inside the same graph: one call per
    batch and no per-variable eager assignment from Python.
    """
    graph = flat_graph(model)
    key = ("bn_training_function", _trainable_key(model))
    if key not in graph.models:
        _bn_training_model(model)
        predict = graph.models[("bn_training_prediction",)]

        def training_predictions(batch):
            return predict(batch)

        graph.models[key] = _keeping_statistics(model, training_predictions)
    return graph.models[key]


def training_mode_predictions(model, x, batch_size: int) -> np.ndarray:
    """Predictions with BN on batch statistics (dropout off), ``batch_size`` images at a time;
    the moving statistics are left as they were.

    Batch statistics depend on the batch, so the batches are the size training
    uses; the images are split into equal batches (never a last one of 3
    images).
    """
    batch = image_batch(model, x)
    predict = _bn_training_function(model)
    outputs = []
    for part in equal_slices(len(batch), batch_size):
        abort_point()
        outputs.append(np.asarray(predict(batch[part]), dtype=np.float64))
    return np.concatenate(outputs)


@dataclass
class ModeComparison:
    """The same images in training mode (BN on batch statistics) and inference mode."""

    training_predictions: np.ndarray  # (n, classes)
    inference_predictions: np.ndarray
    training_accuracy: float | None  # None without labels
    inference_accuracy: float | None
    agreement: float  # fraction of images with the same top class in both modes
    max_abs_difference: float  # largest |p_train - p_inference| over images and classes
    training_batches: int = 1  # training mode normalized each of these batches with its own statistics

    def to_dict(self) -> dict:
        return {"training_accuracy": self.training_accuracy, "inference_accuracy": self.inference_accuracy,
                "agreement": self.agreement, "max_abs_difference": self.max_abs_difference,
                "training_batches": self.training_batches,
                "training_top": self.training_predictions.argmax(-1).tolist(),
                "inference_top": self.inference_predictions.argmax(-1).tolist()}


def train_vs_inference(model, x, y=None, batch_size: int = TRAINING_MODE_BATCH) -> ModeComparison:
    """Predictions (and accuracy against integer labels ``y``) in both modes.

    Dropout is off in both, so the difference is batch norm's. Training mode
    normalizes each batch of about ``batch_size`` images with its own
    statistics, as training does (:func:`training_mode_predictions`); fewer
    than 1.5x ``batch_size`` images are one batch. The model's variables are
    left as they were.
    """
    batch = image_batch(model, x)
    inference = predictions(model, batch)
    abort_point()
    training = training_mode_predictions(model, batch, batch_size)
    if inference.ndim != 2:
        raise ConfigError(f"the model's output has shape {inference.shape[1:]}, not class scores")

    def accuracy(p):
        if y is None:
            return None
        return float(np.mean(p.argmax(-1) == np.asarray(y).reshape(-1)))

    return ModeComparison(training, inference, accuracy(training), accuracy(inference),
                          float(np.mean(training.argmax(-1) == inference.argmax(-1))),
                          float(np.max(np.abs(training - inference))),
                          len(equal_slices(len(batch), batch_size)))


def moving_statistics(model) -> list[np.ndarray]:
    """Copies of every BN layer's moving mean and variance (to put back with
    :func:`set_moving_statistics`, e.g. to undo :func:`recompute_bn_statistics`)."""
    return [np.array(v) for v in _bn_variables(model)]


def set_moving_statistics(model, saved: list[np.ndarray]) -> None:
    variables = _bn_variables(model)
    if len(saved) != len(variables):
        raise ConfigError(f"{len(saved)} saved statistics for {len(variables)} BN variables")
    for variable, value in zip(variables, saved, strict=True):
        variable.assign(value)


def recompute_bn_statistics(model, images, batch_size: int = TRAINING_MODE_BATCH) -> None:
    """Set every BN layer's moving statistics to those of ``images``: precise BN
    (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm", section 3).

    The images go through the model in training mode in batches of about
    ``batch_size`` (each BN layer normalizing with its batch's statistics, as in
    training), and each layer's input mean and variance over all the images are
    merged from the batches'; fewer than 1.5x ``batch_size`` images are one
    batch, and then inference mode on these images reproduces training mode
    exactly. The cure for moving averages that never converged (e.g. after few
    steps at momentum 0.99). Frozen BN layers (``trainable = False``) keep theirs.
    """
    batch = image_batch(model, images)
    graph = flat_graph(model)
    names = bn_layers(model)
    if not names:
        return
    function = _bn_training_moments_function(model)
    running = [RunningMoments() for _ in names]
    for part in equal_slices(len(batch), batch_size):
        abort_point()
        moments = function(batch[part])
        for i, merged in enumerate(running):
            merged.add_variance(part.stop - part.start, np.asarray(moments[2 * i]),
                                np.asarray(moments[2 * i + 1]))
    for name, merged in zip(names, running, strict=True):
        layer = graph.objects[name]
        if not layer.trainable:  # frozen: its input was normalized by its moving statistics
            continue
        layer.moving_mean.assign(merged.mean.astype(np.float32))
        layer.moving_variance.assign(merged.variance.astype(np.float32))
