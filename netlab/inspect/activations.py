"""Activation statistics: how a batch's activations spread, layer by layer.

The lecture's experiment (seeds/002, "weight initialization: activation
statistics", after CS231n): push Gaussian data through a deep stack of fully
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

from netlab.abort import abort_point
from netlab.errors import ConfigError
from netlab.inspect.layers import feature_maps, flat_graph, unknown_layer

ACTIVATION_CLASSES = ("Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax")
# The lecture's names for the initializers beside Keras's.
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
                          value_range: tuple[float, float] | None = None) -> ActivationStatistics:
    """Mean, std and histogram of each layer's activations for ``images`` (one pass).

    ``layer_names`` defaults to the activation layers (all layers when there
    are none). The bins are shared: ``value_range``, or symmetric around zero
    out to the largest activation seen.
    """
    if bins < 1:
        raise ConfigError(f"bins must be at least 1 (got {bins})")
    graph = flat_graph(model)
    if layer_names is None:
        layer_names = activation_layers(model) or [i.name for i in graph.layers if not i.nested]
    for name in layer_names:
        if name not in graph.outputs_of:
            raise unknown_layer(name, graph)
    maps = feature_maps(model, images, layer_names)
    if value_range is None:
        top = max((float(np.max(np.abs(a))) for a in maps.values() if a.size), default=0.0)
        top = top if np.isfinite(top) and top > 0 else 1.0
        value_range = (-top, top)
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    stats = ActivationStatistics(edges)
    for name, values in maps.items():
        abort_point()
        values = np.asarray(values, dtype=np.float64).ravel()
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        stats.layers.append(LayerActivations(name, float(values.mean()), float(values.std()), counts))
    return stats


def deep_stack(initializer: str, activation: str = "tanh", depth: int = 6, width: int = 512,
               seed: int = 0):
    """The lecture's network: ``depth`` fully connected layers of ``width`` units, no bias,
    weights drawn by NetLab's own initializer knob (the same the architectures use)."""
    import keras

    from netlab.architectures.blocks import Blocks
    from netlab.knobs import INITIALIZERS, RegularizationConfig

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
    stats = activation_statistics(model, data, bins=bins, value_range=value_range)
    stats.description = (f"{depth} x {width} fully connected, {INIT_ALIASES.get(initializer, initializer)} "
                         f"init, {activation}, {samples} unit Gaussian samples")
    return stats
