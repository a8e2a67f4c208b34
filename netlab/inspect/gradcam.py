"""Grad-CAM (Selvaraju et al., ICCV 2017): where in the image a class's evidence lies.

The gradient of the class's *logit* (not its probability: through the
softmax a confident class gets vanishing gradients, and the other classes'
scores leak in) with respect to a layer's maps, averaged over each map, weights
the maps; their ReLU'd sum, resized to the input, is the heat map. The
softmax is taken off without touching the model: a final Dense with a fused
softmax has its pre-activation recomputed from its input and weights; a
separate Softmax or Activation layer is skipped by reading its input. Layers
inside a nested backbone work the same, through the flat graph
(:mod:`netlab.inspect.layers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError
from netlab.inspect.layers import FlatGraph, flat_graph, image_batch, sub_model, unknown_layer

# Keras and TensorFlow are imported inside functions: `netlab --help` imports this module (its
# commands' modules do) and shows before TensorFlow loads.

SOFTMAX_LAYERS = ("Softmax", "Activation")


@dataclass
class GradCam:
    layer: str
    class_index: int
    logit: float  # the class's score before the softmax
    cam: np.ndarray  # (h, w) at the layer's resolution, ReLU'd, not normalized
    heatmap: np.ndarray  # (H, W) at the input's size, scaled to [0, 1]
    logits_from: str  # how the softmax was removed (for the record)

    def to_dict(self) -> dict:
        return {"layer": self.layer, "class_index": self.class_index, "logit": self.logit,
                "cam_shape": list(self.cam.shape), "heatmap_shape": list(self.heatmap.shape),
                "logits_from": self.logits_from, "cam": self.cam.tolist()}


def spatial_layers(model) -> list[str]:
    """Layers with maps as output (height, width, channels), nested models left out."""
    graph = flat_graph(model)
    return [i.name for i in graph.layers if i.spatial and not i.nested]


def _activation_name(layer) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "linear")


def _logits_source(graph: FlatGraph):
    """(tensor to read, function from it to the logits, description)."""
    name = graph.final
    layer = graph.objects[name]
    kind = type(layer).__name__
    if kind == "Softmax" or (kind == "Activation" and _activation_name(layer) == "softmax"):
        return graph.inputs_of[name], (lambda x: x), f"the input of {name} ({kind})"
    if _activation_name(layer) != "linear" and hasattr(layer, "kernel") and kind == "Dense":
        import keras

        def pre_activation(x):
            z = keras.ops.matmul(keras.ops.cast(x, "float32"), keras.ops.cast(layer.kernel, "float32"))
            return z + keras.ops.cast(layer.bias, "float32") if layer.bias is not None else z

        return graph.inputs_of[name], pre_activation, f"{name}'s pre-activation ({_activation_name(layer)} removed)"
    if _activation_name(layer) == "softmax":  # a fused softmax we cannot undo: log p = logit - const
        import keras

        return graph.outputs_of[name], (lambda p: keras.ops.log(p + 1e-12)), f"log of {name}'s probabilities"
    return graph.outputs_of[name], (lambda x: x), f"the output of {name} (no softmax)"


def gradcam(model, image, class_index: int | None = None, layer_name: str | None = None) -> GradCam:
    """Grad-CAM of one image for ``class_index`` (default: the predicted class)
    at ``layer_name`` (default: the last layer with spatial output larger than 1x1)."""
    import tensorflow as tf

    graph = flat_graph(model)
    candidates = spatial_layers(model)
    if layer_name is None:
        if not candidates:
            raise ConfigError(f"{model.name} has no layer with spatial output: Grad-CAM needs maps")
        # The last maps with more than one position: a 1x1 map (VGG's last pool on a small
        # input) gives a constant heat map.
        wider = [n for n in candidates if np.prod(graph.info(n).output_shape[:2]) > 1]
        layer_name = (wider or candidates)[-1]
    if layer_name not in graph.outputs_of:
        raise unknown_layer(layer_name, graph)
    if layer_name not in candidates:
        shape = graph.info(layer_name).output_shape
        raise ConfigError(f"{layer_name} has output shape {shape}, not maps (height, width, channels): "
                          f"Grad-CAM needs a layer with spatial output, e.g. {candidates[-1] if candidates else '-'}")
    batch = image_batch(model, image)
    if len(batch) != 1:
        raise ConfigError(f"Grad-CAM takes one image at a time (got {len(batch)})")
    source, to_logits, described = _logits_source(graph)
    built = sub_model(model, ("gradcam", layer_name), lambda g: [g.outputs_of[layer_name], source])
    multi = built[0]
    abort_point()
    with tf.GradientTape() as tape:
        maps, read = multi(batch, training=False)
        logits = tf.cast(to_logits(read), tf.float32)
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        if not 0 <= class_index < logits.shape[-1]:
            raise ConfigError(f"class {class_index} is out of range: the model has {logits.shape[-1]} classes "
                              f"(0 to {logits.shape[-1] - 1})")
        score = logits[0, class_index]
    grads = tape.gradient(score, maps)
    abort_point()
    if grads is None:
        raise ConfigError(f"the class score does not depend on {layer_name}: pick a layer on its path")
    maps = np.asarray(tf.cast(maps, tf.float32))[0]
    weights = np.asarray(tf.cast(grads, tf.float32))[0].mean(axis=(0, 1))  # one weight per channel
    cam = np.maximum((maps * weights).sum(axis=-1), 0.0).astype(np.float32)
    return GradCam(layer_name, class_index, float(score), cam,
                   _to_input_size(cam, batch.shape[1:3]), described)


def _to_input_size(cam: np.ndarray, size) -> np.ndarray:
    height, width = int(size[0]), int(size[1])
    resized = np.asarray(Image.fromarray(np.ascontiguousarray(cam, dtype=np.float32)).resize((width, height), Image.Resampling.BILINEAR))
    resized = np.maximum(resized, 0.0)
    top = float(resized.max())
    return (resized / top if top > 0 else resized).astype(np.float32)
