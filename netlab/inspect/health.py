"""A network's health on one batch: per layer, how its gradients flow and its units behave.

What the lectures read off a training network (CS231n, "Training Neural Networks"):

- **gradient_norm** ``||dL/dW||``: the norm of the loss's gradient over a layer's
  trainable weights (all of them together: kernel, bias, scale...). A deep plain
  network's gradient is a product over its layers and shrinks with depth (Glorot &
  Bengio 2010; He et al. 2016 for the residual fix); **gradient_ratio** is a layer's
  norm over the last weighted layer's (the classifier's).
- **update_ratio** ``||W - W_prev|| / ||W||``: how far one update moved a layer's
  weights, relative to their size; about 1e-3 is the rule of thumb.
- **dead_fraction**: of an activation layer's units, the fraction whose output is
  exactly 0 for every image of the batch (a ReLU that never fires; Krizhevsky et al.
  2012 and Maas et al. 2013 on leaky ReLU). A unit is a channel of a convolution's
  maps (its output at every position) or a feature of a dense layer.
- **saturated_fraction** (sigmoid and tanh only): the fraction of units whose output is
  within 1% of the output range from one of its bounds, at every position, for every
  image of the batch: sigmoid ``y <= 0.01`` or ``y >= 0.99``, tanh ``|y| >= 0.98``.
  There the local gradient is nearly zero (LeCun et al. 1998, "Efficient BackProp").
- **activation_mean**, **activation_std**: over every value of the layer's output.

Activation layers are those :func:`netlab.inspect.activations.activation_layers` finds
(a nonlinearity layer, or a convolution or dense layer with one fused in), nested
models opened (``outer/inner``). Everything is computed in inference mode
(``training=False``): dropout is off and batch norm uses its moving statistics, so a
measurement draws no random number (a run's trajectory is the same with or without it)
and the same weights give the same numbers. The forward pass that gives the loss gives
the activations too: one GradientTape pass. It runs eagerly, reduced in numpy, unless
``traced=True``: a ``tf.function`` made once per model, reduced inside the graph, whose
trace costs 3-5 eager measurements and whose calls then cost 0.4-0.5 of one (simple CNN
and ResNet-18 at 16-32 pixels, 2-core CPU): worth it for many measurements only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from netlab.base.errors import ConfigError
from netlab.inspect import passes
from netlab.inspect.activations import activation_layers
from netlab.inspect.layers import batch_spec, flat_graph, image_batch

# Keras and TensorFlow are imported inside functions: `netlab --help` imports netlab.inspect's
# modules (its commands' modules do) and shows before TensorFlow loads.


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str  # "" for a plain number
    threshold: float | None  # a warning when the value crosses it; None: never
    above: bool = True  # the warning is for values above the threshold (False: below)


# The warning thresholds are those the README's training section states.
MEASURES: dict[str, Measure] = {
    "gradient_norm": Measure("gradient norm ||dL/dW||", "", None),
    "gradient_ratio": Measure("gradient norm / the classifier's", "", 1e-4, above=False),
    "update_ratio": Measure("update / weight ||dW||/||W||", "", 0.1),
    "dead_fraction": Measure("dead units", "%", 0.5),
    "saturated_fraction": Measure("saturated units", "%", 0.5),
    "activation_mean": Measure("activation mean", "", None),
    "activation_std": Measure("activation std", "", None),
}

# Output ranges of the saturating nonlinearities: (low, high).
SATURATING = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
SATURATION_MARGIN = 0.01  # of the output range


@dataclass
class HealthSample:
    """One measurement: ``values[layer][measure]``, only the measures that apply to a layer.

    ``weights`` holds the layers' trainable weights as measured (numpy), the
    ``previous_weights`` of the next :func:`measure` for an update ratio.
    """

    values: dict[str, dict[str, float]] = field(default_factory=dict)
    weights: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)

    def __getitem__(self, layer: str) -> dict[str, float]:
        return self.values[layer]

    @property
    def layers(self) -> list[str]:
        return list(self.values)

    def of(self, measure: str) -> dict[str, float]:
        """``{layer: value}`` of one measure, for the layers it applies to."""
        if measure not in MEASURES:
            raise ConfigError(f"no health measure {measure!r}; the measures are: {', '.join(MEASURES)}")
        return {layer: v[measure] for layer, v in self.values.items() if measure in v}

    def rows(self) -> list[dict]:
        """One row per layer: ``{"layer": name, measure: value, ...}``."""
        return [{"layer": layer, **values} for layer, values in self.values.items()]


def activation_kind(layer) -> str:
    """The nonlinearity a layer's output has passed: "relu", "sigmoid", "tanh", "leaky_relu", ..."""
    name = type(layer).__name__
    fixed = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "PReLU": "prelu", "ELU": "elu", "Softmax": "softmax"}
    if name in fixed:
        return fixed[name]
    return getattr(getattr(layer, "activation", None), "__name__", "linear")


def weighted_layers(model) -> list[str]:
    """The layers with trainable weights, nested models opened (not the nested models themselves)."""
    graph = flat_graph(model)
    return [i.name for i in graph.layers
            if not i.nested and getattr(graph.objects[i.name], "trainable_weights", None)]


def weights_of(model, layers=None) -> dict[str, list[np.ndarray]]:
    """Each weighted layer's trainable weights as numpy copies."""
    graph = flat_graph(model)
    # A copy for certain: TensorFlow may hand numpy a view of a CPU variable's buffer, which
    # the optimizer then updates in place.
    return {name: [np.array(np.asarray(w), copy=True) for w in graph.objects[name].trainable_weights]
            for name in (weighted_layers(model) if layers is None else layers)}


def update_ratio(weights: list[np.ndarray], previous: list[np.ndarray]) -> float:
    """``||W - W_prev|| / ||W||`` over a layer's weights together (NaN for all-zero weights)."""
    moved = sum(float(np.sum(np.square(np.asarray(w, np.float64) - np.asarray(p, np.float64))))
                for w, p in zip(weights, previous, strict=True))
    size = sum(float(np.sum(np.square(np.asarray(w, np.float64)))) for w in weights)
    return math.sqrt(moved / size) if size > 0 else math.nan


def default_loss(y: np.ndarray):
    """Cross-entropy on a softmax output: sparse for integer labels, categorical for one-hot
    (one object of each, so a measurement's traced pass is reused)."""
    import keras

    kind = "sparse" if y.ndim == 1 else "categorical"
    if kind not in _default_losses:
        _default_losses[kind] = (keras.losses.SparseCategoricalCrossentropy() if kind == "sparse"
                                 else keras.losses.CategoricalCrossentropy())
    return _default_losses[kind]


_default_losses: dict = {}


def measure(model, x, y, *, loss_fn=None, previous_weights=None, traced: bool = False) -> HealthSample:
    """Every measure of every layer of ``model`` on the batch ``(x, y)`` (see the module's text).

    ``loss_fn(y_true, y_pred)`` defaults to cross-entropy on the model's (softmax)
    output; ``previous_weights`` (an earlier sample's ``weights``) adds each weighted
    layer's update ratio; ``traced``: through the ``tf.function`` (the same numbers).
    """
    batch = image_batch(model, x)
    labels = np.asarray(y)
    if len(labels) != len(batch):
        raise ConfigError(f"{len(batch)} images but {len(labels)} labels: give one label per image")
    loss_fn = default_loss(labels) if loss_fn is None else loss_fn
    weighted, active = tuple(weighted_layers(model)), tuple(activation_layers(model))
    if traced:
        function = _health_function(model, weighted, active, loss_fn, labels)
        gradient_norms, statistics = (np.asarray(a) for a in function(batch, labels))
    else:
        gradient_norms, statistics = _eager_pass(model, weighted, active, loss_fn, batch, labels)

    graph = flat_graph(model)
    sample = HealthSample()
    sample.weights = weights_of(model, weighted)
    sample.values = {name: {} for name in graph.names if name in weighted or name in active}
    last = float(gradient_norms[-1]) if len(weighted) else math.nan
    for i, name in enumerate(weighted):
        norm = float(gradient_norms[i])
        values = sample.values[name]
        values["gradient_norm"] = norm
        values["gradient_ratio"] = norm / last if last > 0 else math.nan
        if previous_weights is not None and name in previous_weights:
            values["update_ratio"] = update_ratio(sample.weights[name], previous_weights[name])
    for i, name in enumerate(active):
        mean, std, dead, saturated = (float(v) for v in statistics[i])
        values = sample.values[name]
        values.update(activation_mean=mean, activation_std=std, dead_fraction=dead)
        if activation_kind(graph.objects[name]) in SATURATING:
            values["saturated_fraction"] = saturated
    return sample


def _pass_parts(model, weighted: tuple, active: tuple):
    """(the activations-and-output model, each weighted layer's variables, each activation layer's
    output bounds), built once per model and layers: both passes share them."""

    def make(graph):
        import keras

        outputs = [graph.outputs_of[n] for n in active] + [graph.outputs_of[graph.final]]
        return (keras.Model(graph.input, outputs),
                [list(graph.objects[n].trainable_weights) for n in weighted],
                [SATURATING.get(activation_kind(graph.objects[n]), (-np.inf, np.inf)) for n in active])

    return passes.traced(model, ("health parts", weighted, active), make)


def _forward_backward(tf, multi, variables, loss_fn, images, y_true):
    """(each activation layer's output and the model's, the gradients per weighted layer)."""
    with tf.GradientTape() as tape:
        results = multi(images, training=False)
        results = list(results) if isinstance(results, (list, tuple)) else [results]
        loss = loss_fn(y_true, tf.cast(results[-1], tf.float32))
    gradients = iter(tape.gradient(loss, [v for layer in variables for v in layer]))
    return results, [[g for g in (next(gradients) for _ in layer) if g is not None] for layer in variables]


def _eager_pass(model, weighted: tuple, active: tuple, loss_fn, batch: np.ndarray, labels: np.ndarray):
    """The pass run eagerly, its reductions in numpy (float64): no trace, no kernel to make for
    each reduction; (gradient norm per weighted layer, [mean, std, dead, saturated] per activation layer)."""
    import tensorflow as tf

    multi, variables, bounds = _pass_parts(model, weighted, active)
    results, gradients = _forward_backward(tf, multi, variables, loss_fn, batch, labels)
    norms = np.array([math.sqrt(sum(float(np.sum(np.square(np.asarray(g, np.float64)))) for g in layer))
                      for layer in gradients], dtype=np.float64)
    statistics = np.array([_numpy_statistics(np.asarray(results[i]), bounds[i]) for i in range(len(active))],
                          dtype=np.float64).reshape(len(active), 4)
    return norms, statistics


def _health_function(model, weighted: tuple, active: tuple, loss_fn, labels: np.ndarray):
    """The pass as a ``tf.function`` reduced inside the graph, traced once per model, layers and loss."""
    key = ("health", weighted, active, loss_fn, labels.dtype.str, labels.shape[1:])

    def make(graph):
        import tensorflow as tf

        multi, variables, bounds = _pass_parts(model, weighted, active)

        def health(images, y_true):
            results, gradients = _forward_backward(tf, multi, variables, loss_fn, images, y_true)
            norms = [tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(tf.cast(g, tf.float64))) for g in layer]))
                     if layer else tf.constant(0.0, tf.float64) for layer in gradients]
            statistics = [_unit_statistics(tf, results[i], bounds[i]) for i in range(len(active))]
            return (tf.stack(norms) if norms else tf.zeros((0,), tf.float64),
                    tf.stack(statistics) if statistics else tf.zeros((0, 4), tf.float64))

        label_spec = tf.TensorSpec((None, *labels.shape[1:]), labels.dtype)
        # No autograph: the pass has no control flow on tensors, and converting it took a fifth of the trace.
        return tf.function(health, input_signature=[batch_spec(graph.input), label_spec], autograph=False)

    return passes.traced(model, key, make)


def _numpy_statistics(output: np.ndarray, bounds) -> list[float]:
    """[mean, std, dead fraction, saturated fraction] of one layer's output, as :func:`_unit_statistics`
    computes them in the graph: sums in float64, comparisons against float64 bounds."""
    units = output.reshape(-1, output.shape[-1])  # every image and position, per unit
    mean = float(np.mean(units, dtype=np.float64))
    std = math.sqrt(float(np.mean(np.square(units - np.float64(mean)))))
    dead = float(np.mean(~np.any(units, axis=0)))  # exactly 0 everywhere (NaN counts as firing, as there)
    low, high = bounds
    margin = SATURATION_MARGIN * (high - low) if np.isfinite(high - low) else 0.0
    at_bound = (units <= np.float64(low + margin)) | (units >= np.float64(high - margin))
    return [mean, std, dead, float(np.mean(np.all(at_bound, axis=0)))]


def _unit_statistics(tf, output, bounds):
    """[mean, std, dead fraction, saturated fraction] of one layer's output (float64)."""
    values = tf.cast(output, tf.float64)
    units = tf.reshape(values, [-1, tf.shape(values)[-1]])  # every image and position, per unit
    mean = tf.reduce_mean(units)
    std = tf.sqrt(tf.reduce_mean(tf.square(units - mean)))
    dead = tf.reduce_mean(tf.cast(tf.reduce_all(tf.equal(units, 0.0), axis=0), tf.float64))
    low, high = bounds
    margin = SATURATION_MARGIN * (high - low) if np.isfinite(high - low) else 0.0
    at_bound = tf.logical_or(units <= low + margin, units >= high - margin)
    saturated = tf.reduce_mean(tf.cast(tf.reduce_all(at_bound, axis=0), tf.float64))
    return tf.stack([mean, std, dead, saturated])
