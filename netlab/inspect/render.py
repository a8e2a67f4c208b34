"""Inspection results as Pillow images, for the CLI's PNG files: grids of
channels or kernels, and the Grad-CAM heat map over the image."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

GAP = 2  # pixels between tiles
MIN_TILE = 32  # small maps and 3x3 kernels are scaled up to at least this (nearest, no blur)


def _unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    low, high = float(a.min()), float(a.max())
    return (a - low) / (high - low) if high > low else np.full_like(a, 0.5)


def unit_each(tiles: np.ndarray) -> np.ndarray:
    """Each tile (first axis) scaled to [0, 1] on its own; a constant tile is mid-gray."""
    tiles = np.asarray(tiles, dtype=np.float32)
    flat = tiles.reshape(len(tiles), -1)
    if not flat.size:
        return tiles.copy()
    low, high = flat.min(axis=1, keepdims=True), flat.max(axis=1, keepdims=True)
    span = np.where(high > low, high - low, 1.0)
    scaled = np.where(high > low, (flat - low) / span, 0.5).astype(np.float32)
    return scaled.reshape(tiles.shape)


def grid_columns(n: int) -> int:
    """Columns of a near-square grid of ``n`` tiles."""
    return max(1, math.ceil(math.sqrt(n)))


def tile_array(tiles: np.ndarray, columns: int | None = None, scaled: bool = False,
               gap: int = GAP, min_tile: int = MIN_TILE) -> np.ndarray:
    """Tiles (n, h, w) gray or (n, h, w, 3) RGB as one uint8 array, ``gap`` white
    pixels between them; each tile scaled to [0, 1] on its own unless ``scaled``
    says they are already (uint8 tiles are taken as they are), and enlarged
    (nearest) to at least ``min_tile``.

    Vectorized (no loop over tiles): the window redraws a layer's grid with it
    while the event loop waits, 2048 channels included.
    """
    tiles = np.asarray(tiles)
    if tiles.ndim == 2:  # (n, channels) of a vector: one pixel per tile
        tiles = tiles[:, None, None]
    n, h, w = tiles.shape[:3]
    rgb = tiles.ndim == 4
    columns = columns or grid_columns(n)
    rows = max(1, math.ceil(n / columns))
    zoom = max(1, math.ceil(min_tile / max(h, w, 1)))
    if tiles.dtype == np.uint8:
        values = tiles
    else:
        tiles = tiles.astype(np.float32, copy=False)
        values = np.round((tiles if scaled else unit_each(tiles)) * 255).astype(np.uint8)
    if zoom > 1:
        values = values.repeat(zoom, axis=1).repeat(zoom, axis=2)
    th, tw = h * zoom, w * zoom
    depth = (3,) if rgb else ()
    cells = np.full((rows * columns, th + gap, tw + gap) + depth, 255, np.uint8)
    cells[:n, :th, :tw] = values
    grid = cells.reshape((rows, columns, th + gap, tw + gap) + depth).swapaxes(1, 2)
    canvas = np.full((rows * (th + gap) + gap, columns * (tw + gap) + gap) + depth, 255, np.uint8)
    canvas[gap:, gap:] = grid.reshape((rows * (th + gap), columns * (tw + gap)) + depth)
    return canvas


def tile_grid(tiles: np.ndarray, columns: int | None = None, scaled: bool = False) -> Image.Image:
    """Tiles (n, h, w) gray or (n, h, w, 3) RGB as one image (see :func:`tile_array`)."""
    return Image.fromarray(tile_array(tiles, columns, scaled))


def maps_grid(maps: np.ndarray, order=None) -> Image.Image:
    """One layer's maps (h, w, c) as a grid of channels, in ``order`` when given."""
    maps = np.asarray(maps, dtype=np.float32)
    channels = np.moveaxis(maps, -1, 0)
    if order is not None:
        channels = channels[np.asarray(order)]
    return tile_grid(channels)


def filters_grid(tiles: np.ndarray, rgb: bool) -> Image.Image:
    """Kernels: RGB tiles in a square grid, or one row per filter, one column per input channel."""
    if rgb:
        return tile_grid(tiles, scaled=True)
    filters, inputs = tiles.shape[:2]
    return tile_grid(tiles.reshape(filters * inputs, *tiles.shape[2:]), columns=inputs, scaled=True)


def jet(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as jet colours (blue, cyan, yellow, red), floats in [0, 1]."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0, 1)[..., None]
    centres = np.array([0.75, 0.5, 0.25], np.float32)  # red, green, blue
    return np.clip(1.5 - np.abs(4 * (v - centres)), 0, 1)


def heatmap_overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> Image.Image:
    """The heat map (H, W) in [0, 1] blended over the image (H, W, C) as the model saw it."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    base = _unit(image[..., :3])
    blended = (1 - alpha) * base + alpha * jet(heatmap)
    return Image.fromarray(np.round(blended * 255).astype(np.uint8))
