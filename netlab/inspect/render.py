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


def tile_grid(tiles: np.ndarray, columns: int | None = None, scaled: bool = False) -> Image.Image:
    """Tiles (n, h, w) gray or (n, h, w, 3) RGB as one image; each tile scaled to
    [0, 1] on its own unless ``scaled`` says they are already."""
    tiles = np.asarray(tiles, dtype=np.float32)
    if tiles.ndim == 2:  # (n, channels) of a vector: one pixel per tile
        tiles = tiles[:, None, None]
    n, h, w = tiles.shape[:3]
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    zoom = max(1, math.ceil(MIN_TILE / max(h, w)))
    th, tw = h * zoom, w * zoom
    rgb = tiles.ndim == 4
    canvas = np.full((rows * (th + GAP) + GAP, columns * (tw + GAP) + GAP) + ((3,) if rgb else ()),
                     255, np.uint8)
    for i, tile in enumerate(tiles):
        tile = tile if scaled else _unit(tile)
        big = np.kron(tile, np.ones((zoom, zoom) + ((1,) if rgb else ()), np.float32))
        r, c = divmod(i, columns)
        y, x = GAP + r * (th + GAP), GAP + c * (tw + GAP)
        canvas[y:y + th, x:x + tw] = np.round(big * 255).astype(np.uint8)
    return Image.fromarray(canvas)


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
