"""``glyphs``: a generated set of 25 kinds of shape, for transfer learning offline.

Each image is one glyph (a filled or outlined polygon or star, a bar, an
arrow, ...) of random colour, size, position and rotation on a noisy
background of another random colour, drawn 4x larger and downsampled like
``shapes``. Telling the kinds apart needs shape features that ignore colour,
position and rotation: a network trained on many kinds learns them, a network
given a handful of images of a few kinds cannot (the fine-tuning lesson,
resources/experiments/finetune-vs-scratch.json, pretrains on the first
20 kinds and learns the last 5 from n images each).

With ``data.classes`` set only those kinds are drawn; ``data.samples`` is the
number of images drawn, balanced over the kinds drawn.
"""

from __future__ import annotations

import math

import numpy as np

from netlab.data.drawing import draw_on_noise

# Polygons as (x, y) in a unit frame around the glyph's centre, before rotation.
_SHAPES = {
    "T": [(-1, -1), (1, -1), (1, -0.5), (0.25, -0.5), (0.25, 1), (-0.25, 1), (-0.25, -0.5), (-1, -0.5)],
    "L": [(-0.7, -1), (-0.2, -1), (-0.2, 0.5), (0.8, 0.5), (0.8, 1), (-0.7, 1)],
    "chevron": [(-1, -0.6), (0, 0.3), (1, -0.6), (1, 0.1), (0, 1), (-1, 0.1)],
    "bar": [(-1, -0.25), (1, -0.25), (1, 0.25), (-1, 0.25)],
    "plus": [(-1, -0.3), (-0.3, -0.3), (-0.3, -1), (0.3, -1), (0.3, -0.3), (1, -0.3), (1, 0.3), (0.3, 0.3),
             (0.3, 1), (-0.3, 1), (-0.3, 0.3), (-1, 0.3)],
    "arrow": [(-1, -0.2), (0.2, -0.2), (0.2, -0.7), (1, 0), (0.2, 0.7), (0.2, 0.2), (-1, 0.2)],
}
_POLYGONS = {"triangle": 3, "square": 4, "pentagon": 5, "hexagon": 6}
_STARS = {"star4": 4, "star5": 5, "star6": 6}

SOURCE_KINDS = (
    "triangle", "square", "pentagon", "hexagon",
    "triangle_outline", "square_outline", "pentagon_outline", "hexagon_outline",
    "star4", "star5", "star6", "star4_outline", "star5_outline", "star6_outline",
    "ellipse", "bar", "two_discs", "T", "L", "chevron",
)
# Kinds whose outlines the first 20 do not contain: curves (a disc, a ring, a
# crescent) and two new polygons (a plus, an arrow).
TARGET_KINDS = ("disc", "ring", "plus", "crescent", "arrow")
GLYPH_CLASSES = SOURCE_KINDS + TARGET_KINDS


def _regular(k: int, inner: float | None = None) -> list[tuple[float, float]]:
    """A regular k-gon (or a k-pointed star with ``inner`` radius) of radius 1."""
    points = []
    for i in range(k):
        a = 2 * math.pi * i / k - math.pi / 2
        points.append((math.cos(a), math.sin(a)))
        if inner is not None:
            b = a + math.pi / k
            points.append((inner * math.cos(b), inner * math.sin(b)))
    return points


def _ellipse(rx: float, ry: float, steps: int = 48) -> list[tuple[float, float]]:
    return [(rx * math.cos(2 * math.pi * i / steps), ry * math.sin(2 * math.pi * i / steps)) for i in range(steps)]


def _outline(kind: str) -> tuple[list[tuple[float, float]], bool]:
    """(unit polygon, outlined) of a polygon-like kind."""
    name, outlined = (kind[:-8], True) if kind.endswith("_outline") else (kind, False)
    if name in _POLYGONS:
        return _regular(_POLYGONS[name]), outlined
    if name in _STARS:
        return _regular(_STARS[name], inner=0.45), outlined
    if name == "ellipse":
        return _ellipse(1.0, 0.5), False
    return _SHAPES[name], False


def draw_glyph(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One RGB glyph of ``kind``, float32 (size, size, 3) in [0, 255]."""

    def paint(draw, big, fill, back):
        radius = rng.uniform(0.25, 0.42) * big
        cx, cy = rng.uniform(radius, big - radius, 2)
        angle = rng.uniform(0, 2 * math.pi)
        cos, sin = math.cos(angle), math.sin(angle)
        width = max(2, int(radius * 0.22))

        def place(points, r=radius, dx=0.0, dy=0.0):
            return [(cx + r * ((x + dx) * cos - (y + dy) * sin), cy + r * ((x + dx) * sin + (y + dy) * cos))
                    for x, y in points]

        def disc(r, dx=0.0, dy=0.0, colour=fill):
            x, y = place([(0, 0)], radius, dx, dy)[0]
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)

        if kind == "disc":
            disc(radius * 0.9)
        elif kind == "ring":
            disc(radius * 0.9)
            disc(radius * 0.9 - width * 1.3, colour=back)
        elif kind == "crescent":
            disc(radius * 0.9)
            disc(radius * 0.75, dx=0.4, colour=back)
        elif kind == "two_discs":
            disc(radius * 0.4, dx=-0.55)
            disc(radius * 0.4, dx=0.55)
        else:
            points, outlined = _outline(kind)
            xy = place(points)
            if outlined:
                draw.line(xy + xy[:1], fill=fill, width=width, joint="curve")
            else:
                draw.polygon(xy, fill=fill)

    return draw_on_noise(size, rng, paint)


def load_glyph_arrays(config, size: int):
    """``config.samples`` glyphs, balanced over the kinds drawn (all, or ``config.classes``).

    Labels index :data:`GLYPH_CLASSES`; ``load_dataset`` keeps the chosen
    classes and renumbers them. The same seed gives the same images.
    """
    kinds = [GLYPH_CLASSES.index(c) for c in (config.classes or GLYPH_CLASSES) if c in GLYPH_CLASSES]
    rng = np.random.default_rng(config.seed)
    y = np.asarray(kinds, dtype=np.int32)[np.arange(config.samples) % len(kinds)]
    x = np.stack([draw_glyph(GLYPH_CLASSES[label], size, rng) for label in y]).astype(np.float32)
    return x, y, list(GLYPH_CLASSES)
