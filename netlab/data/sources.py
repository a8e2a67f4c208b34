"""Datasets that work offline: scikit-learn's digits and the synthetic shapes."""

from __future__ import annotations

import numpy as np
from PIL import Image

from netlab.data.dataset import DataSource
from netlab.data.drawing import draw_on_noise
from netlab.data.glyphs import GLYPH_CLASSES, load_glyph_arrays
from netlab.data.registry import register_source

# scikit-learn is imported inside functions: the window and `netlab --help` import this module at
# start-up, and scikit-learn would add a second to both.


def _resize_stack(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (N, h, w) float images to (N, size, size)."""
    out = np.empty((len(images), size, size), dtype=np.float32)
    for i, img in enumerate(images):
        out[i] = np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize(
            (size, size), Image.Resampling.BILINEAR))
    return out


DIGIT_CLASSES = tuple(str(d) for d in range(10))


def load_digits_arrays(config, size: int):
    """The 1,797 real 8x8 handwritten digits bundled with scikit-learn (no download).

    Pixel values 0..16 are scaled to 0..255 and upscaled to size x size.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32) * (255.0 / 16.0)
    x = np.clip(_resize_stack(images, size), 0, 255)[..., None]
    return x, digits.target.astype(np.int32), list(DIGIT_CLASSES)


SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


def draw_shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One RGB image of a shape on a noisy background; drawn 4x larger, then downsampled."""

    def paint(draw, big, fill, back):
        radius = rng.uniform(0.22, 0.4) * big
        cx, cy = rng.uniform(radius, big - radius, 2)
        if kind == "circle":
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=fill)
        elif kind == "square":
            r = radius * 0.85
            draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=fill)
        elif kind == "triangle":
            draw.polygon([(cx, cy - radius), (cx - radius, cy + radius * 0.8),
                          (cx + radius, cy + radius * 0.8)], fill=fill)
        else:  # cross
            w = radius * 0.35
            draw.rectangle([cx - radius, cy - w, cx + radius, cy + w], fill=fill)
            draw.rectangle([cx - w, cy - radius, cx + w, cy + radius], fill=fill)

    return draw_on_noise(size, rng, paint, noise_first=True)


def load_shapes_arrays(config, size: int):
    """A deterministic synthetic RGB set: shapes of varied size, position and colour.

    The same seed gives the same images on every machine; classes are balanced.
    """
    rng = np.random.default_rng(config.seed)
    n = config.samples
    y = np.arange(n, dtype=np.int32) % len(SHAPE_CLASSES)
    x = np.stack([draw_shape(SHAPE_CLASSES[label], size, rng) for label in y]).astype(np.float32)
    return x, y, list(SHAPE_CLASSES)


register_source(DataSource(
    "digits", "1,797 handwritten digits (scikit-learn), 8x8 upscaled to 32x32, grayscale",
    image_size=32, channels=1, load_arrays=load_digits_arrays,
    class_names=DIGIT_CLASSES))
register_source(DataSource(
    "shapes", "synthetic circles, squares, triangles and crosses on noisy backgrounds, RGB",
    image_size=32, channels=3, load_arrays=load_shapes_arrays, class_names=SHAPE_CLASSES))


register_source(DataSource(
    "glyphs", "synthetic glyphs of 25 kinds (polygons, stars, outlines, bars, arrows, rings, ...), "
              "random colour, size, position and rotation, RGB",
    image_size=32, channels=3, load_arrays=load_glyph_arrays, class_names=GLYPH_CLASSES))
