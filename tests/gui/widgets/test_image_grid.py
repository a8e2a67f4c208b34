"""A layer's channels as one grid image: checked against a plain loop over tiles."""

import numpy as np
import pytest

from gui.widgets.image_grid import BACKGROUND, GAP, TOP, layer_grid
from netlab.inspect.render import grid_columns


def _reference(output, order):
    """Each channel scaled to 0..TOP on its own, placed tile by tile."""
    h, w, n = output.shape
    columns = grid_columns(n)
    rows = -(-n // columns)
    canvas = np.full((rows * (h + GAP) + GAP, columns * (w + GAP) + GAP), BACKGROUND, np.uint8)
    for i, channel in enumerate(order):
        tile = output[..., channel]
        low, high = tile.min(), tile.max()
        unit = (tile - low) / (high - low) if high > low else np.full_like(tile, 0.5)
        r, c = divmod(i, columns)
        canvas[GAP + r * (h + GAP):GAP + r * (h + GAP) + h,
               GAP + c * (w + GAP):GAP + c * (w + GAP) + w] = np.floor(unit * TOP + 0.5)
    return canvas


@pytest.mark.parametrize("shape", [(7, 5, 10), (4, 4, 16), (3, 6, 1), (2, 2, 13)])
def test_layer_grid_equals_a_loop_over_tiles(shape):
    rng = np.random.default_rng(0)
    output = rng.normal(size=shape).astype(np.float32)
    output[..., 0] = 3.0  # a constant channel: mid-colour, not a division by zero
    order = rng.permutation(shape[-1])
    image, grid = layer_grid(output, order)
    expected = _reference(output, order)
    assert image.shape == expected.shape
    assert np.abs(image.astype(int) - expected).max() <= 1  # float rounding of the scale
    assert (image == BACKGROUND).sum() == (expected == BACKGROUND).sum()
    # The hover lookup finds each tile's channel; gaps and empty cells are None.
    h, w = shape[:2]
    for i, channel in enumerate(order):
        r, c = divmod(i, grid.columns)
        assert grid.channel_at(GAP + c * (w + GAP) + w - 1, GAP + r * (h + GAP)) == channel
    assert grid.channel_at(0, 0) is None and grid.channel_at(GAP + w, GAP) is None


def test_a_vector_is_a_pixel_per_channel_scaled_together():
    values = np.array([0.0, 1.0, 2.0, 4.0], np.float32)
    image, grid = layer_grid(values)
    tiles = [image[GAP + r * 2, GAP + c * 2] for r in range(2) for c in range(2)]
    assert tiles == [0, round(TOP / 4), round(TOP / 2), TOP]
    assert grid.tile == (1, 1) and grid.columns == 2
