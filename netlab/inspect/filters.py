"""A convolution's kernels as images.

The first convolution sees the RGB image, so each of its kernels is an RGB
tile (AlexNet's Figure 3: oriented edges and colour blobs). Deeper kernels
see feature maps, not colours: they are shown per input channel, one gray
tile per (filter, input channel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlab.base.errors import ConfigError
from netlab.inspect.layers import find_layer, flat_graph, unknown_layer

CONV_CLASSES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")


@dataclass
class ConvFilters:
    layer: str
    class_name: str
    # (filters, kh, kw, 3) RGB tiles when the kernels see 3 channels, else
    # (filters, input channels, kh, kw); each filter scaled to [0, 1] on its own.
    tiles: np.ndarray
    rgb: bool
    raw: np.ndarray  # the kernels as Keras keeps them: (kh, kw, input channels, filters)


def conv_layers(model) -> list[str]:
    """Names of the 2-D convolutions, in the order they run (nested ones included)."""
    graph = flat_graph(model)
    return [i.name for i in graph.layers if any(
        cls.__name__ in CONV_CLASSES for cls in type(graph.objects[i.name]).__mro__)]


def _normalize_each(kernels: np.ndarray) -> np.ndarray:
    """Scale each filter (first axis) to [0, 1]; a constant filter is mid-gray."""
    flat = kernels.reshape(len(kernels), -1)
    low, high = flat.min(axis=1), flat.max(axis=1)
    span = np.where(high > low, high - low, 1.0)
    scaled = (flat - low[:, None]) / span[:, None]
    scaled[high <= low] = 0.5
    return scaled.reshape(kernels.shape).astype(np.float32)


def conv_filters(model, layer_name: str | None = None) -> ConvFilters:
    """The kernels of ``layer_name`` (default: the first convolution) as tiles."""
    names = conv_layers(model)
    if layer_name is None:
        if not names:
            raise ConfigError(f"{model.name} has no 2-D convolution to show filters of")
        layer_name = names[0]
    layer = find_layer(model, layer_name)
    if layer_name not in names:
        graph = flat_graph(model)
        if layer_name not in graph.objects:
            raise unknown_layer(layer_name, graph)
        raise ConfigError(f"{layer_name} is a {type(layer).__name__}, not a convolution; "
                          f"the convolutions are: {', '.join(names)}")
    if hasattr(layer, "depthwise_kernel"):  # one kernel per input channel (times the multiplier)
        raw = np.asarray(layer.depthwise_kernel, dtype=np.float32)
        kh, kw, channels, multiplier = raw.shape
        per_filter = raw.reshape(kh, kw, channels * multiplier).transpose(2, 0, 1)[:, None]
        return ConvFilters(layer_name, type(layer).__name__, _normalize_each(per_filter), False, raw)
    raw = np.asarray(layer.kernel, dtype=np.float32)  # (kh, kw, in / groups, filters)
    if raw.shape[2] == 3:
        tiles = _normalize_each(raw.transpose(3, 0, 1, 2))
        return ConvFilters(layer_name, type(layer).__name__, tiles, True, raw)
    tiles = _normalize_each(raw.transpose(3, 2, 0, 1))
    return ConvFilters(layer_name, type(layer).__name__, tiles, False, raw)
