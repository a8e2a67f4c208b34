"""The canvas the synthetic sets (``shapes``, ``glyphs``) draw on."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

SCALE = 4  # drawn this much larger, then box-downsampled, so edges are anti-aliased
Colour = tuple[int, int, int]


def draw_on_noise(size: int, rng: np.random.Generator,
                  paint: Callable[[ImageDraw.ImageDraw, int, Colour, Colour], None],
                  *, noise_first: bool = False) -> np.ndarray:
    """One RGB image, float32 (size, size, 3) in [0, 255], of what ``paint`` draws.

    ``paint(draw, big, fill, back)`` draws on a ``big`` x ``big`` canvas
    (``SCALE`` x ``size``) of a random background colour ``back``, in a random
    colour ``fill`` far from it, so the drawing is always visible; the canvas is
    then downsampled and Gaussian noise (sd 25) added. ``noise_first`` draws the
    noise from ``rng`` before the colour rather than after ``paint`` (the order
    ``shapes`` has always used), so each set gives the same images for a seed.
    """
    big = size * SCALE
    background = rng.uniform(0, 255, 3)
    noise = rng.normal(0, 25, (size, size, 3)) if noise_first else None
    colour = rng.uniform(0, 255, 3)
    while np.abs(colour - background).sum() < 200:
        colour = rng.uniform(0, 255, 3)
    back = tuple(int(c) for c in background)
    img = Image.new("RGB", (big, big), back)
    paint(ImageDraw.Draw(img), big, tuple(int(c) for c in colour), back)
    if noise is None:
        noise = rng.normal(0, 25, (size, size, 3))
    small = np.asarray(img.resize((size, size), Image.Resampling.BOX), dtype=np.float32)
    return np.clip(small + noise, 0, 255)
