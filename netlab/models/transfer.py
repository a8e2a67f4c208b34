"""Weights from one model into another, bottom-up, and which of a base's layers train.

A target's layers take the source's weights *bottom-up*: layer k loads only if
every layer below it loaded (Yosinski et al. 2014: the low layers are the general ones;
a layer above a skipped one would read features it never saw).
Layers are matched by position among the layers that hold weights (a nested
backbone counts layer by layer) and by the shapes of their weights. Each target
layer gets a ``LayerRow``: what it loaded, whether it trains.

Freezing uses Keras 3's ``trainable = False``, which for a batch-norm layer
also means inference mode: it normalizes with its moving statistics and does
not update them (the classic transfer-learning bug is a frozen BN that still
moves its statistics with the new data).
"""

from __future__ import annotations

from dataclasses import dataclass

from netlab.architectures import build_model
from netlab.base.errors import ConfigError, NetlabError
from netlab.config import Experiment
from netlab.models.sources import imagenet_preprocessing, set_caffe_weights

# Keras is imported inside functions: the window's layer table imports the status names here at
# start-up and shows before Keras loads.

LOADED, NEW, MISMATCH = "loaded", "new", "shape mismatch"
BN_NOTE = "batch-norm in inference mode: moving statistics frozen"


@dataclass
class LayerRow:
    index: int  # position among the base's layers with weights
    name: str
    kind: str
    status: str  # loaded / new / shape mismatch
    trainable: bool
    params: int  # all the layer's weights (a batch-norm's moving statistics included)
    note: str = ""


def weighted_layers(model) -> list:
    """The layers holding weights, bottom-up; a nested model contributes its own layers."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(weighted_layers(layer))
        elif layer.weights:
            out.append(layer)
    return out


def _find(layers, name: str, flag: str) -> int:
    """The position of the layer called ``name`` (or given as its position)."""
    for index, layer in enumerate(layers):
        if layer.name == name:
            return index
    if name.isdigit() and int(name) < len(layers):
        return int(name)
    shown = ", ".join(layer.name for layer in layers[:30])
    raise ConfigError(f"{flag}: no layer {name!r} among the base's layers with weights "
                      f"({shown}{', ...' if len(layers) > 30 else ''})")


def transfer_weights(source_model, target_model, load_up_to: str | None = None,
                     source_name: str = "the source") -> list[LayerRow]:
    """Copy weights bottom-up from ``source_model`` into ``target_model``; one row per target layer.

    Stops at the first layer whose weight shapes differ (and everything above it
    stays new), or after ``load_up_to``. A first layer that cannot take the
    source's weights is a NetlabError: nothing would transfer.
    """
    # The ImageNet preprocessing map is fixed arithmetic set by code, never matched.
    source_layers, target_layers = (
        [layer for layer in weighted_layers(m) if not layer.name.startswith("imagenet_")]
        for m in (source_model, target_model))
    cut = len(target_layers) - 1 if load_up_to is None else _find(target_layers, load_up_to, "load_up_to")
    rows, loading = [], True
    for index, layer in enumerate(target_layers):
        params = sum(int(w.numpy().size) for w in layer.weights)
        row = LayerRow(index, layer.name, type(layer).__name__, NEW, True, params)
        if not loading:
            row.note = "above a layer that was not loaded"
        elif index > cut:
            row.note, loading = f"above load_up_to {target_layers[cut].name}", False
        elif index >= len(source_layers):
            row.note, loading = "the source has no layer here", False
        else:
            src = source_layers[index]
            wanted, given = [tuple(w.shape) for w in layer.weights], [tuple(w.shape) for w in src.weights]
            if wanted == given:
                layer.set_weights(src.get_weights())
                row.status = LOADED
            else:
                if index == 0:
                    raise NetlabError(
                        f"{source_name} does not fit this model: its first layer {src.name} has weights "
                        f"{given} where the model's {layer.name} needs {wanted}; choose a source made "
                        "for this input, or fine-tune the source's own architecture")
                row.status, row.note, loading = MISMATCH, f"source {src.name} has {given}, needs {wanted}", False
        rows.append(row)
    return rows


def apply_freeze(base_layers, freeze: str, load_rows=None) -> None:
    """``base`` freezes every base layer, ``none`` none, a layer name everything below that layer."""
    if freeze == "base":
        cut = len(base_layers)
    elif freeze == "none":
        cut = 0
    else:
        cut = _find(base_layers, freeze, "freeze")
    for index, layer in enumerate(base_layers):
        # The ImageNet preprocessing map is fixed arithmetic, never trained.
        layer.trainable = index >= cut and not layer.name.startswith("imagenet_")


def fix_imagenet_layers(model) -> None:
    """Set the fixed ImageNet preprocessing map (RGB->BGR minus the mean) wherever the model has one."""
    for layer in weighted_layers(model):
        if layer.name == "imagenet_bgr_mean":
            set_caffe_weights(layer)


def registry_model_with_keras_weights(keras_model, arch: str, mode: str, options: dict | None = None):
    """(NetLab's ``arch`` with every weight of a keras.applications classifier, the report rows).

    The ImageNet preprocessing ``mode`` is inside the model, so it takes [0, 255]
    RGB where the Keras model takes preprocess_input's output (the parity check).
    """
    exp = Experiment()
    exp.model.arch, exp.model.options = arch, dict(options or {})
    shape, classes = tuple(keras_model.inputs[0].shape[1:]), int(keras_model.outputs[0].shape[-1])
    model = build_model(exp, shape, classes, imagenet_preprocessing(mode))
    rows = transfer_weights(keras_model, model, source_name=keras_model.name)
    fix_imagenet_layers(model)
    return model, rows
