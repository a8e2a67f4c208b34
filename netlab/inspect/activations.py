"""Activation statistics: how a batch's activations spread, layer by layer.

CS231n's experiment ("Training Neural Networks", weight initialization: activation
statistics, after Glorot & Bengio 2010): push Gaussian data through a deep stack of fully
connected layers and look at each layer's histogram. With ``w = 0.01 *
randn`` the activations shrink toward zero with depth (and so do the
gradients); with zeros they are all zero; Xavier (std = 1/sqrt(Din)) keeps
tanh's spread; ReLU halves the variance at each layer unless He's factor 2
puts it back. :func:`init_experiment` runs it; :func:`activation_statistics`
gives the same numbers for any model and batch of images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError
from netlab.config.knobs import INITIALIZERS, RegularizationConfig
from netlab.inspect.layers import batch_spec, flat_graph, image_batch, sub_model, unknown_layer
from netlab.inspect.passes import INFERENCE_BATCH, RunningMoments, batch_slices, traced

# Keras, TensorFlow and netlab.architectures.blocks (which imports Keras) are imported inside
# functions: `netlab --help` imports this module (its commands' modules do) and shows before
# TensorFlow loads.

ACTIVATION_CLASSES = ("Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax")
# CS231n's names for the initializers beside Keras's.
INIT_ALIASES = {"small": "small_gaussian", "xavier": "glorot_normal", "glorot": "glorot_normal",
                "he": "he_normal"}


@dataclass
class LayerActivations:
    layer: str
    mean: float
    std: float
    counts: np.ndarray  # histogram over the shared bin edges; values outside fall in the end bins

    def to_dict(self) -> dict:
        return {"layer": self.layer, "mean": self.mean, "std": self.std, "counts": self.counts.tolist()}


@dataclass
class ActivationStatistics:
    edges: np.ndarray  # bins + 1 edges, the same for every layer so histograms compare
    layers: list[LayerActivations] = field(default_factory=list)
    description: str = ""

    @property
    def stds(self) -> list[float]:
        return [layer.std for layer in self.layers]

    def to_dict(self) -> dict:
        return {"description": self.description, "edges": self.edges.tolist(),
                "layers": [layer.to_dict() for layer in self.layers]}


def _is_activation(layer) -> bool:
    if type(layer).__name__ in ACTIVATION_CLASSES:
        return True
    activation = getattr(layer, "activation", None)
    return activation is not None and getattr(activation, "__name__", "linear") != "linear"


def activation_layers(model) -> list[str]:
    """The layers whose output is an activation (a nonlinearity, or a layer with one fused in)."""
    graph = flat_graph(model)
    return [i.name for i in graph.layers if not i.nested and _is_activation(graph.objects[i.name])]


def activation_statistics(model, images, layer_names=None, bins: int = 50,
                          value_range: tuple[float, float] | None = None,
                          batch_size: int = INFERENCE_BATCH, eager: bool = False) -> ActivationStatistics:
    """Mean, std and histogram of each layer's activations for ``images``.

    ``layer_names`` defaults to the activation layers (all layers when there
    are none). The bins are shared: ``value_range``, or symmetric around zero
    out to the largest activation seen. Memory is bounded by a batch, whatever
    the image count: the images go through the model ``batch_size`` at a time
    and each layer's output is reduced inside the pass (count, mean, squared
    deviations, largest |value|, histogram counts), merged across batches.
    Without ``value_range`` that takes two passes, the first finding the range
    and the second counting, so the edges are those of all the images at once.
    ``eager=True`` runs the passes untraced: for a model used once (a fresh
    stack of :func:`init_experiment`), where a trace costs more than it saves
    and each new model's trace counts toward TensorFlow's retracing warning.
    """
    if bins < 1:
        raise ConfigError(f"bins must be at least 1 (got {bins})")
    graph = flat_graph(model)
    if layer_names is None:
        layer_names = activation_layers(model) or [i.name for i in graph.layers if not i.nested]
    names = list(dict.fromkeys(layer_names))
    for name in names:
        if name not in graph.outputs_of:
            raise unknown_layer(name, graph)
    batch = image_batch(model, images)
    def run(function):
        return function.python_function if eager else function

    if value_range is None:
        tops = np.full(len(names), -np.inf)
        function = run(_range_function(model, names))
        for part in batch_slices(len(batch), batch_size):
            abort_point()
            tops = np.maximum(tops, np.asarray(function(batch[part])))
        top = float(np.max(tops, initial=0.0))
        top = top if np.isfinite(top) and top > 0 else 1.0
        value_range = (-top, top)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    moments, counts = RunningMoments(), np.zeros((len(names), bins), dtype=np.int64)
    function = run(_statistics_function(model, names, bins))
    for part in batch_slices(len(batch), batch_size):
        abort_point()
        layer_moments, layer_counts = function(batch[part], edges)
        layer_moments = np.asarray(layer_moments)
        moments.add(*layer_moments.T)
        counts += np.asarray(layer_counts)
    stds = np.sqrt(moments.variance)
    stats = ActivationStatistics(edges)
    for i, name in enumerate(names):
        stats.layers.append(LayerActivations(name, float(moments.mean[i]), float(stds[i]), counts[i]))
    return stats


def _outputs(model, names):
    """The layers' outputs as one multi-output model (shared with feature_maps) and its slots."""
    multi, slots, _ = sub_model(model, ("outputs", tuple(names)),
                                lambda g: [g.outputs_of[n] for n in names])
    return multi, slots


def _range_function(model, names):
    """Per layer, the largest |activation| of a batch (inf where one is not finite), traced once."""
    def make(graph):
        import tensorflow as tf

        multi, slots = _outputs(model, names)

        def largest_activations(images):
            outputs = _listed(multi(images, training=False))
            tops = []
            for i in slots:
                x = tf.reshape(outputs[i], [-1])
                finite = tf.reduce_all(tf.math.is_finite(x))
                top = tf.cast(tf.reduce_max(tf.abs(x)), tf.float64)  # no values: the lowest float
                tops.append(tf.where(finite, top, tf.constant(np.inf, tf.float64)))
            return tf.stack(tops)

        return tf.function(largest_activations, input_signature=[batch_spec(graph.input)])

    return traced(model, ("activation_range", tuple(names)), make)


def _statistics_function(model, names, bins: int):
    """Per layer, a batch's (count, mean, squared deviations) in float64 and its histogram
    over the edges given: numpy's bins (``np.histogram`` of the values clipped to the
    edges: left-closed, the last one closed too), traced once per model and bin count."""
    def make(graph):
        import tensorflow as tf

        multi, slots = _outputs(model, names)

        def activation_statistics(images, edges):
            outputs = _listed(multi(images, training=False))
            moments, counts = [], []
            for i in slots:
                x = tf.reshape(tf.cast(outputs[i], tf.float64), [-1])
                count = tf.cast(tf.size(x), tf.float64)
                mean = tf.math.divide_no_nan(tf.reduce_sum(x), count)
                moments.append(tf.stack([count, mean, tf.reduce_sum(tf.square(x - mean))]))
                clipped = tf.clip_by_value(x, edges[0], edges[-1])
                index = tf.searchsorted(edges, clipped, side="right") - 1  # edges[index] <= x
                index = tf.minimum(index, bins - 1)  # the last edge belongs to the last bin
                index = tf.where(tf.math.is_nan(x), bins, index)  # numpy counts no NaN
                counts.append(tf.math.bincount(index, minlength=bins + 1, maxlength=bins + 1,
                                               dtype=tf.int64)[:bins])
            return tf.stack(moments), tf.stack(counts)

        spec = tf.TensorSpec((bins + 1,), tf.float64)
        return tf.function(activation_statistics, input_signature=[batch_spec(graph.input), spec])

    return traced(model, ("activation_statistics", tuple(names), bins), make)


def _listed(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def deep_stack(initializer: str, activation: str = "tanh", depth: int = 6, width: int = 512,
               seed: int = 0):
    """CS231n's network: ``depth`` fully connected layers of ``width`` units, no bias,
    weights drawn by NetLab's own initializer knob (the same the architectures use)."""
    import keras

    from netlab.architectures.blocks import Blocks

    initializer = INIT_ALIASES.get(initializer, initializer)
    if initializer not in INITIALIZERS:
        raise ConfigError(f"unknown initializer {initializer!r}; choose one of "
                          f"{', '.join([*INITIALIZERS, *INIT_ALIASES])}")
    if activation not in ("tanh", "relu", "sigmoid", "elu", "selu"):
        raise ConfigError(f"the stack's activation is tanh, relu, sigmoid, elu or selu (got {activation!r})")
    if depth < 1 or width < 1:
        raise ConfigError(f"depth and width must be at least 1 (got {depth}, {width})")
    blocks = Blocks(RegularizationConfig(initializer=initializer), seed=seed)
    inputs = keras.Input((width,))
    x = inputs
    for i in range(1, depth + 1):
        x = keras.layers.Dense(width, activation=activation, use_bias=False,
                               kernel_initializer=blocks.initializer(), name=f"fc{i}_{activation}")(x)
    return keras.Model(inputs, x, name=f"stack_{initializer}_{activation}")


def init_experiment(initializer: str, activation: str = "tanh", depth: int = 6, width: int = 512,
                    samples: int = 256, seed: int = 0, bins: int = 50,
                    value_range: tuple[float, float] | None = None) -> ActivationStatistics:
    """Activation statistics of a freshly initialized :func:`deep_stack` on unit Gaussian data."""
    model = deep_stack(initializer, activation, depth, width, seed)
    abort_point()
    data = np.random.default_rng(seed).standard_normal((samples, width)).astype(np.float32)
    stats = activation_statistics(model, data, bins=bins, value_range=value_range, eager=True)
    stats.description = (f"{depth} x {width} fully connected, {INIT_ALIASES.get(initializer, initializer)} "
                         f"init, {activation}, {samples} unit Gaussian samples")
    return stats
