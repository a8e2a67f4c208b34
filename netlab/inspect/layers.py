"""Every layer's output of any Keras model in one forward pass.

Most feature-map tools build ``Model(model.input, layer.output)``, which fails
for a layer inside a nested backbone (the shape fine-tuning produces: the
backbone is one layer of the outer model, and its inner tensors belong to
another graph). Here the model's graph is rebuilt once on a fresh input, the
standard trick: every operation is called again on the new symbolic tensors,
and a nested functional or Sequential model is walked into instead of being
called, so its layers' outputs become tensors of the one flat graph (named
``outer/inner``). The rebuilt graph shares the model's layers and weights, so
the multi-output models made from it compute exactly what the model computes.

The flat graph and the multi-output models are built once per model and
cached (weak keys: a model that is dropped takes its cache with it).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError, ModelLoadError

# Keras and TensorFlow are imported inside functions: `netlab --help` imports this module (its
# commands' modules do) and shows before TensorFlow loads.

SEP = "/"  # nested layer names: backbone/conv1


@dataclass(frozen=True)
class LayerInfo:
    """One layer (or operation) of the flat graph."""

    name: str  # "conv1", or "backbone/conv1" inside a nested model
    class_name: str
    output_shape: tuple  # batch dimension dropped; the first output of a multi-output layer
    parent: str | None = None  # the nested model it sits in
    nested: bool = False  # a nested model (its own output is recorded too)

    @property
    def spatial(self) -> bool:
        """Whether the output is a stack of maps (height, width, channels)."""
        return len(self.output_shape) == 3


@dataclass
class LayerNode:
    """The layer tree: nested models open into their own layers."""

    info: LayerInfo
    children: list[LayerNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.info.name


@dataclass
class FlatGraph:
    """The model's graph rebuilt on ``input``: each layer's first input and output tensor."""

    input: object
    layers: list[LayerInfo]
    inputs_of: dict  # name -> the symbolic tensor the layer was called on
    outputs_of: dict  # name -> the layer's (first) symbolic output
    objects: dict  # name -> the layer object
    final: str  # the layer that produced the model's (first) output
    models: dict = field(default_factory=dict)  # cached multi-output models, by key

    def info(self, name: str) -> LayerInfo:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise unknown_layer(name, self)

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]


def unknown_layer(name: str, graph: FlatGraph) -> ConfigError:
    return ConfigError(f"the model has no layer {name!r}; its layers are: {', '.join(graph.names)}")


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.RLock()  # the window's workers may ask for the same model at once


def functional_of(model):
    """The functional graph behind a model: itself, or a built Sequential's; None for a subclass."""
    if hasattr(model, "_nodes_by_depth") and hasattr(model, "_run_through_graph"):
        return model
    return getattr(model, "_functional", None)


def first_tensor(value):
    """The first tensor of a layer's output (or argument) structure."""
    while isinstance(value, (list, tuple)):
        if not value:
            return None
        value = value[0]
    if isinstance(value, dict):
        return first_tensor(next(iter(value.values()), None))
    return value


def _shape(tensor) -> tuple:
    shape = getattr(tensor, "shape", None)
    return tuple(shape[1:]) if shape is not None else ()


def flat_graph(model) -> FlatGraph:
    """The model's graph rebuilt on one fresh input (cached per model)."""
    with _lock:
        graph = _cache.get(model)
        if graph is None:
            graph = _build_flat_graph(model)
            _cache[model] = graph
        return graph


def _build_flat_graph(model) -> FlatGraph:
    import keras

    functional = functional_of(model)
    if functional is None:
        raise ModelLoadError(
            f"{model.name} is a subclassed Keras model (or an unbuilt Sequential): NetLab can look "
            "inside functional and Sequential models only; save it as a functional model")
    if len(functional.inputs) != 1:
        raise ModelLoadError(f"{model.name} takes {len(functional.inputs)} inputs; NetLab inspects "
                             "models with one image input")
    source = functional.inputs[0]
    fresh = keras.Input(shape=source.shape[1:], dtype=source.dtype, name=f"{model.name}_inspect_input")
    graph = FlatGraph(fresh, [], {}, {}, {}, final="")

    def walk(net, tensor, prefix: str, parent: str | None, training):
        def call(op, *args, **kwargs):
            abort_point()
            name = f"{prefix}{op.name}"
            inner = functional_of(op) if isinstance(op, keras.Model) else None
            if training is not None and getattr(op, "_call_has_training_arg", False):
                kwargs.setdefault("training", training)
            if inner is not None and len(inner.inputs) == 1 and name not in graph.outputs_of:
                graph.layers.append(LayerInfo(name, type(op).__name__, (), parent, nested=True))
                index = len(graph.layers) - 1
                outputs = walk(inner, first_tensor(args), name + SEP, name, kwargs.get("training", training))
            else:
                index = None
                outputs = op(*args, **kwargs)
            first_out = first_tensor(outputs)
            if name not in graph.outputs_of:  # a shared layer: its first call is the one shown
                graph.inputs_of[name] = first_tensor(args)
                graph.outputs_of[name] = first_out
                graph.objects[name] = op
                info = LayerInfo(name, type(op).__name__, _shape(first_out), parent, nested=index is not None)
                if index is None:
                    graph.layers.append(info)
                else:
                    graph.layers[index] = info
            return outputs

        return net._run_through_graph([tensor], call_fn=call)

    output = first_tensor(walk(functional, fresh, "", None, None))
    graph.final = next((n for n in reversed(graph.names) if graph.outputs_of[n] is output
                        and not graph.info(n).nested), graph.names[-1] if graph.names else "")
    return graph


def layer_infos(model) -> list[LayerInfo]:
    """Every layer in the order it runs; a nested model comes before its own layers."""
    return list(flat_graph(model).layers)


def layer_tree(model) -> list[LayerNode]:
    """The layers as a tree: a nested model's node holds its layers."""
    nodes: dict[str, LayerNode] = {}
    roots: list[LayerNode] = []
    for info in flat_graph(model).layers:
        node = nodes[info.name] = LayerNode(info)
        (nodes[info.parent].children if info.parent in nodes else roots).append(node)
    return roots


def find_layer(model, name: str):
    """The layer object behind a (possibly nested, ``outer/inner``) name."""
    graph = flat_graph(model)
    if name not in graph.objects:
        raise unknown_layer(name, graph)
    return graph.objects[name]


def batch_spec(tensor):
    """A ``tf.TensorSpec`` of a symbolic input with any batch size: one trace for every batch."""
    import tensorflow as tf

    return tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype)


def sub_model(model, key, tensors: Callable[[FlatGraph], list]):
    """A multi-output model on the flat graph, built once per (model, key): ``(model, slots,
    function)``, the function its inference-mode call, traced once for any batch size."""
    import keras
    import tensorflow as tf

    graph = flat_graph(model)
    with _lock:
        built = graph.models.get(key)
        if built is None:
            wanted = tensors(graph)
            # The same tensor twice (a nested model's output is its last layer's) is asked for once.
            unique, slots = [], []
            for tensor in wanted:
                found = next((i for i, t in enumerate(unique) if t is tensor), None)
                if found is None:
                    unique.append(tensor)
                    found = len(unique) - 1
                slots.append(found)
            multi = keras.Model(graph.input, unique)

            def outputs(images):
                return multi(images, training=False)

            # Not predict_on_batch: Keras's predict function retraces for each new batch shape.
            built = (multi, slots, tf.function(outputs, input_signature=[batch_spec(graph.input)]))
            graph.models[key] = built
        return built


def run_sub_model(built, images: np.ndarray) -> list[np.ndarray]:
    """Run a :func:`sub_model` in inference mode; one array per tensor asked for."""
    _, slots, function = built
    # A traced call (once per model): an eager call of ResNet-50's 176 outputs takes about
    # 3.5x a plain predict, this about the same.
    outputs = function(np.asarray(images, dtype=built[0].inputs[0].dtype))
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    arrays = [np.asarray(out) for out in outputs]
    return [arrays[i] for i in slots]


def image_batch(model, images) -> np.ndarray:
    """``images`` as a float32 batch the model takes (one image gets a batch dimension)."""
    batch = np.asarray(images, dtype=np.float32)
    expected = flat_graph(model).input.shape
    if batch.ndim == len(expected) - 1:
        batch = batch[None]
    if batch.ndim != len(expected) or any(
            want is not None and want != got for want, got in zip(expected[1:], batch.shape[1:])):
        raise ConfigError(f"the model takes images of shape {tuple(expected[1:])}, "
                          f"not {tuple(batch.shape[1:])}")
    return batch


def feature_maps(model, images, layer_names=None) -> dict[str, np.ndarray]:
    """Each layer's output for ``images``, in one forward pass (inference mode).

    ``layer_names`` picks some layers (nested ones as ``outer/inner``); by
    default every layer. Arrays keep the batch dimension.
    """
    graph = flat_graph(model)
    names = list(graph.names if layer_names is None else layer_names)
    for name in names:
        if name not in graph.outputs_of:
            raise unknown_layer(name, graph)
    batch = image_batch(model, images)
    abort_point()
    built = sub_model(model, ("outputs", tuple(names)),
                      lambda g: [g.outputs_of[n] for n in names])
    abort_point()
    arrays = run_sub_model(built, batch)
    abort_point()
    return dict(zip(names, arrays, strict=True))


def channel_order(maps: np.ndarray, by: str = "mean") -> np.ndarray:
    """Channel indices of one layer's maps (H, W, C or N, H, W, C), most active first.

    ``by`` is "mean" (mean activation) or "max".
    """
    maps = np.asarray(maps)
    if maps.ndim < 2:
        raise ConfigError(f"expected maps with a channel axis, got shape {maps.shape}")
    flat = maps.reshape(-1, maps.shape[-1])
    if by == "mean":
        score = flat.mean(axis=0)
    elif by == "max":
        score = flat.max(axis=0)
    else:
        raise ConfigError(f"channels are ordered by 'mean' or 'max' (got {by!r})")
    return np.argsort(-score, kind="stable")
