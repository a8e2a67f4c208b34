"""Batch-norm statistics, and the train-versus-inference gap (seeds/000-002).

In training a BN layer normalizes with the batch's own mean and variance and
keeps running averages of them (momentum 0.99 in Keras: the moving statistics
trail the weights by ~100 steps); in inference it uses the running averages.
When they differ, the same images get different predictions in the two modes:
the lecture's forgotten ``model.eval()``. Everything here reads one forward
pass: the inputs of all BN layers come out of one multi-output model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlab.abort import abort_point
from netlab.errors import ConfigError
from netlab.inspect.layers import (
    SEP,
    first_tensor,
    flat_graph,
    functional_of,
    image_batch,
    run_sub_model,
    sub_model,
)


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


def _moments(x: np.ndarray, layer) -> tuple[np.ndarray, np.ndarray]:
    # Accumulated in float64 without a float64 copy of x (the copy took 8x the arithmetic).
    x = np.asarray(x)
    axis = _channel_axis(layer, x.ndim)
    flat = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])
    mean = flat.mean(axis=0, dtype=np.float64)
    variance = np.square(flat - mean.astype(flat.dtype)).mean(axis=0, dtype=np.float64)
    return mean, variance


def _variables(name: str, layer) -> BnStatistics:
    mean = np.asarray(layer.moving_mean, dtype=np.float64)
    ones, zeros = np.ones_like(mean), np.zeros_like(mean)
    gamma = np.asarray(layer.gamma, dtype=np.float64) if layer.gamma is not None else ones
    beta = np.asarray(layer.beta, dtype=np.float64) if layer.beta is not None else zeros
    return BnStatistics(name, float(layer.epsilon), mean,
                        np.asarray(layer.moving_variance, dtype=np.float64), gamma, beta)


def bn_statistics(model, images=None) -> list[BnStatistics]:
    """Each BN layer's moving statistics, gamma and beta; with ``images``, the
    batch mean and variance of each BN layer's input beside them (one pass)."""
    graph = flat_graph(model)
    names = bn_layers(model)
    stats = [_variables(n, graph.objects[n]) for n in names]
    if images is None or not names:
        return stats
    batch = image_batch(model, images)
    abort_point()
    built = sub_model(model, ("bn_moments",), lambda g: _moment_tensors(g, names))
    moments = run_sub_model(built, batch)
    for i, stat in enumerate(stats):
        stat.batch_mean = np.asarray(moments[2 * i], dtype=np.float64)
        stat.batch_variance = np.asarray(moments[2 * i + 1], dtype=np.float64)
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


def _training_mode_pass(model, batch) -> list[np.ndarray]:
    """Prediction and BN inputs with BN on batch statistics; the moving
    statistics (which a training-mode call updates) are put back after."""
    variables = _bn_variables(model)
    saved = [np.array(v) for v in variables]
    try:
        # No training argument: a value here would override the per-layer modes set above.
        outputs = _bn_training_model(model)(batch)
    finally:
        for variable, value in zip(variables, saved, strict=True):
            variable.assign(value)
    return [np.asarray(o) for o in outputs]


def _bn_training_function(model):
    """The prediction-only training-mode model as a compiled function, built once per model.

    Not ``predict_on_batch``: it calls the model with training=False, which
    would put the BN layers back on their moving statistics. A traced call
    keeps the per-layer modes and is several times faster than an eager one.
    A training-mode call updates the moving statistics; the function reads
    them first and puts them back after, inside the same graph: one call per
    batch and no per-variable eager assignment from Python.
    """
    import tensorflow as tf

    graph = flat_graph(model)
    # A trace fixes which BN layers are frozen (they stay on moving statistics); fine-tuning
    # unfreezes layers between phases, so each set of frozen layers gets its own trace.
    key = ("bn_training_function", tuple(bool(graph.objects[n].trainable) for n in bn_layers(model)))
    if key not in graph.models:
        _bn_training_model(model)
        predict = graph.models[("bn_training_prediction",)]
        variables = _bn_variables(model)

        def predict_keeping_statistics(batch):
            saved = [tf.identity(v.value) for v in variables]
            outputs = predict(batch)
            with tf.control_dependencies([outputs]):
                for variable, value in zip(variables, saved, strict=True):
                    variable.assign(value)
            return outputs

        # Any batch size, one trace (tracing costs seconds: more than several calls).
        spec = tf.TensorSpec((None, *graph.input.shape[1:]), graph.input.dtype)
        graph.models[key] = tf.function(predict_keeping_statistics, input_signature=[spec])
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
    chunks = max(1, round(len(batch) / max(batch_size, 1)))
    outputs = []
    for part in np.array_split(batch, chunks):
        abort_point()
        outputs.append(np.asarray(predict(part), dtype=np.float64))
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

    def to_dict(self) -> dict:
        return {"training_accuracy": self.training_accuracy, "inference_accuracy": self.inference_accuracy,
                "agreement": self.agreement, "max_abs_difference": self.max_abs_difference,
                "training_top": self.training_predictions.argmax(-1).tolist(),
                "inference_top": self.inference_predictions.argmax(-1).tolist()}


def train_vs_inference(model, x, y=None) -> ModeComparison:
    """Predictions (and accuracy against integer labels ``y``) in both modes.

    Dropout is off in both, so the difference is batch norm's. The model's
    variables are left as they were.
    """
    batch = image_batch(model, x)
    abort_point()
    inference = np.asarray(model(batch, training=False), dtype=np.float64)
    abort_point()
    training = np.asarray(_training_mode_pass(model, batch)[0], dtype=np.float64)
    if inference.ndim != 2:
        raise ConfigError(f"the model's output has shape {inference.shape[1:]}, not class scores")

    def accuracy(p):
        if y is None:
            return None
        return float(np.mean(p.argmax(-1) == np.asarray(y).reshape(-1)))

    return ModeComparison(training, inference, accuracy(training), accuracy(inference),
                          float(np.mean(training.argmax(-1) == inference.argmax(-1))),
                          float(np.max(np.abs(training - inference))))


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


def recompute_bn_statistics(model, images) -> None:
    """Set every BN layer's moving statistics to those of ``images`` (one pass).

    Each layer's input is taken with the layers before it also on batch
    statistics, so afterwards inference mode on these images reproduces
    training mode (the cure for moving averages that never converged, e.g. after
    few steps at momentum 0.99: recompute them over a large batch). Frozen BN
    layers (``trainable = False``) keep theirs.
    """
    batch = image_batch(model, images)
    graph = flat_graph(model)
    names = bn_layers(model)
    abort_point()
    inputs = _training_mode_pass(model, batch)[1:]
    for name, x in zip(names, inputs, strict=True):
        layer = graph.objects[name]
        if not layer.trainable:  # frozen: its input was normalized by its moving statistics
            continue
        mean, variance = _moments(x, layer)
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(variance.astype(np.float32))
