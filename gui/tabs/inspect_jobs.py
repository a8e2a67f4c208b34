"""The Inspect tab's worker-thread jobs (no Qt here): the layer tree, every
layer's output for one image in one forward pass, a convolution's kernels and
Grad-CAM. The numbers come from :mod:`netlab.inspect`; these only load the
image and put the results in the shape the view draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from netlab.inspect.render import heatmap_overlay, tile_array
from netlab.predict.model import image_to_array, load_image, model_input_shape

# netlab.inspect's layers, filters and Grad-CAM (Keras work) are imported in the jobs that use
# them: the window shows before they load (see gui/app.py).

FILTERS_SHOWN = 64  # kernels drawn at most (VGG's deep layers have 512)
INPUTS_SHOWN = 32  # input channels drawn per kernel at most


@dataclass(eq=False)  # compared by identity: a job request holding one is never compared by pixels
class ImageSource:
    """An image to inspect: a file, or an image already loaded (a PIL image or pixels)."""

    path: str | None = None
    image: object = None  # PIL.Image.Image

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else "the classified image"

    @staticmethod
    def of(image) -> ImageSource:
        if isinstance(image, ImageSource):
            return image
        if isinstance(image, (str, Path)):
            return ImageSource(path=str(image))
        if isinstance(image, np.ndarray):  # pixels in [0, 255], (H, W), (H, W, 1) or (H, W, 3)
            pixels = np.clip(np.round(image), 0, 255).astype(np.uint8)
            return ImageSource(image=Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and
                                                     pixels.shape[-1] == 1 else pixels))
        return ImageSource(path=getattr(image, "filename", None) or None, image=image)


@dataclass(eq=False)
class Structure:
    """What the view needs of a model before any image: its layers."""

    model: object
    tree: list  # netlab.inspect.layers.LayerNode roots
    convolutions: list[str]
    spatial: list[str]  # layers Grad-CAM can use


@dataclass(eq=False)
class Maps:
    """Every layer's output for one image (the view's cache: switching layers reads it)."""

    model: object
    source: ImageSource
    input: np.ndarray  # (H, W, C) float32 as the model saw it
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # name -> output without the batch axis
    probabilities: np.ndarray | None = None  # the model's output, when it is one vector

    @property
    def predicted(self) -> int | None:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))


def layer_structure(model) -> Structure:
    """The layer tree and the convolutions (builds the flat graph, once per model)."""
    from netlab.inspect.filters import conv_layers
    from netlab.inspect.gradcam import spatial_layers
    from netlab.inspect.layers import layer_tree

    return Structure(model, layer_tree(model), conv_layers(model), spatial_layers(model))


def model_input(model, source: ImageSource) -> np.ndarray:
    """The image resized and converted the way the model takes it (float pixels in [0, 255])."""
    shape = model_input_shape(model)
    image = source.image if source.image is not None else load_image(source.path, smallest=shape[0])
    return image_to_array(image, shape)


def all_maps(model, source: ImageSource) -> Maps:
    """One forward pass: every layer's output for the image (the core's cached multi-output model)."""
    from netlab.inspect.layers import feature_maps, flat_graph

    x = model_input(model, source)
    outputs = {name: array[0] for name, array in feature_maps(model, x).items()}
    final = outputs.get(flat_graph(model).final)
    probabilities = final if final is not None and final.ndim == 1 else None
    return Maps(model, source, x, outputs, probabilities)


@dataclass
class Kernels:
    layer: str
    image: np.ndarray  # uint8 tiles, ready to draw
    text: str


def kernels(model, layer: str | None) -> Kernels:
    """A convolution's kernels as one image: RGB tiles for the first, else a row per
    filter and a column per input channel (at most FILTERS_SHOWN x INPUTS_SHOWN)."""
    from netlab.inspect.filters import conv_filters

    filters = conv_filters(model, layer)
    kh, kw = filters.raw.shape[:2]
    total = len(filters.tiles)
    tiles = filters.tiles[:FILTERS_SHOWN]
    if filters.rgb:
        image = tile_array(tiles, scaled=True, gap=1, min_tile=0)
        text = f"{filters.layer}: {total} kernels {kh}x{kw}, as RGB tiles"
    else:
        inputs = tiles.shape[1]
        tiles = tiles[:, :INPUTS_SHOWN]
        shown = tiles.shape[1]
        image = tile_array(tiles.reshape(-1, *tiles.shape[2:]), columns=shown, scaled=True, gap=1, min_tile=0)
        text = (f"{filters.layer}: {total} kernels {kh}x{kw} over {inputs} input channels; "
                f"a row per kernel, a column per input channel")
        if shown < inputs:
            text += f" (the first {shown})"
    if len(tiles) < total:
        text += f"; the first {len(tiles)} kernels of {total}"
    return Kernels(filters.layer, image, text)


@dataclass
class Cam:
    layer: str
    class_index: int
    logit: float
    heatmap: np.ndarray  # (H, W) in [0, 1], the input's size
    overlay: np.ndarray  # (H, W, 3) uint8: the heat map over the input
    logits_from: str


def grad_cam(maps: Maps, class_index: int | None, layer: str | None) -> Cam:
    """Grad-CAM of the image in ``maps`` (default class: the predicted one; default layer: the core's)."""
    from netlab.inspect.gradcam import gradcam

    result = gradcam(maps.model, maps.input, class_index=class_index, layer_name=layer)
    overlay = np.asarray(heatmap_overlay(maps.input, result.heatmap))
    return Cam(result.layer, result.class_index, result.logit, result.heatmap, overlay, result.logits_from)


def input_image(x: np.ndarray) -> np.ndarray:
    """The model's input (H, W, C) in [0, 255] as a uint8 image to draw."""
    image = np.clip(np.round(x), 0, 255).astype(np.uint8)
    return image[..., 0] if image.shape[-1] == 1 else image[..., :3]


def has_vector_output(model) -> bool:
    shape = getattr(model, "output_shape", None)
    return isinstance(shape, tuple) and len(shape) == 2
