"""Images side by side in pyqtgraph view boxes, and a layer's channels as one grid image.

A layer's 64 (or 2048) channels are composed into ONE array in numpy and drawn
by one ``ImageItem`` (not one widget per channel): a redraw is a few numpy
operations and one texture upload. pyqtgraph (0.3 s to import) loads at the
first image, never while the window first paints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from netlab.inspect.render import grid_columns, tile_array, unit_each

GAP = 1  # pixels between tiles (the view box zooms; tiles are drawn at their own size)
SORTS = {"channel order": None, "mean activation (highest first)": "mean",
         "max activation (highest first)": "max"}


@dataclass
class Grid:
    """Where each channel sits in a grid image."""

    order: np.ndarray  # channel index of each tile, in reading order
    tile: tuple[int, int]  # (h, w) of a tile
    columns: int

    def channel_at(self, x: float, y: float) -> int | None:
        """The channel under image pixel (x, y), None between tiles or outside."""
        h, w = self.tile
        col, dx = divmod(int(x) - GAP, w + GAP)
        row, dy = divmod(int(y) - GAP, h + GAP)
        if x < GAP or y < GAP or col >= self.columns or dx >= w or dy >= h:
            return None
        index = row * self.columns + col
        return int(self.order[index]) if index < len(self.order) else None


def layer_grid(output: np.ndarray, order, lut: np.ndarray) -> tuple[np.ndarray, Grid]:
    """One layer's output for one image as an RGB grid, a tile per channel in ``order``.

    Maps (h, w, c): each channel scaled on its own; a vector (c,) (dense,
    pooled): a pixel per channel, scaled together so they compare; (h, c): a
    column per channel. ``lut`` (256, 3) uint8 colours the [0, 1] values.
    """
    output = np.asarray(output, dtype=np.float32)
    if output.ndim == 1:
        low, high = float(output.min()), float(output.max())
        unit = (output - low) / (high - low) if high > low else np.full_like(output, 0.5)
        tiles = unit[:, None, None]
    elif output.ndim == 2:
        tiles = unit_each(np.moveaxis(output, -1, 0)[:, :, None])
    elif output.ndim == 3:
        tiles = unit_each(np.moveaxis(output, -1, 0))
    else:
        raise ValueError(f"cannot draw an output of shape {output.shape}")
    order = np.arange(len(tiles)) if order is None else np.asarray(order)
    colours = lut[np.round(tiles[order] * 255).astype(np.uint8)]
    columns = grid_columns(len(order))
    image = tile_array(colours, columns=columns, gap=GAP, min_tile=0)
    return image, Grid(order, tiles.shape[1:3], columns)


def viridis_lut() -> np.ndarray:
    import pyqtgraph as pg

    return np.asarray(pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256, alpha=False), np.uint8)


class ImagePanel(QWidget):
    """Titled images side by side, each in its own zoomable, aspect-locked view box."""

    hovered = Signal(int, float, float)  # pane, x, y in image pixels; pane -1 when off every image

    def __init__(self, titles: list[str], stretch: list[int] | None = None, placeholder: str = "",
                 parent=None):
        super().__init__(parent)
        self.titles = list(titles)
        self.stretch = stretch or [1] * len(titles)
        self.images: list[np.ndarray | None] = [None] * len(titles)
        self.widget = None  # pyqtgraph's GraphicsLayoutWidget, once built
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel(placeholder)
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setStyleSheet("QLabel { border: 2px dashed #999; border-radius: 8px; color: #666; }")
        self._layout.addWidget(self.placeholder)

    def _build(self) -> None:
        import pyqtgraph as pg

        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        self.labels, self.boxes, self.items = [], [], []
        for i, title in enumerate(self.titles):
            label = self.widget.addLabel(title, row=0, col=i, color="k")
            box = self.widget.addViewBox(row=1, col=i, lockAspect=True, invertY=True, enableMenu=False)
            item = pg.ImageItem(axisOrder="row-major")
            box.addItem(item)
            self.widget.ci.layout.setColumnStretchFactor(i, self.stretch[i])
            self.labels.append(label)
            self.boxes.append(box)
            self.items.append(item)
        self.widget.scene().sigMouseMoved.connect(self._mouse_moved)
        self._layout.removeWidget(self.placeholder)
        self.placeholder.deleteLater()
        self.placeholder = None
        self._layout.addWidget(self.widget)

    def set_image(self, index: int, image: np.ndarray, title: str | None = None) -> None:
        """Show a uint8 image (H, W) gray or (H, W, 3) RGB in pane ``index``; its view fits a new shape."""
        if self.widget is None:
            self._build()
        previous = self.images[index]
        self.images[index] = image
        self.items[index].setImage(image, levels=(0, 255), autoLevels=False)
        if title is not None:
            self.labels[index].setText(title, color="k")
        if previous is None or previous.shape[:2] != image.shape[:2]:
            self.boxes[index].autoRange(padding=0.02)

    def set_title(self, index: int, title: str) -> None:
        if self.widget is not None:
            self.labels[index].setText(title, color="k")

    def clear(self, index: int | None = None) -> None:
        for i in range(len(self.titles)) if index is None else [index]:
            self.images[i] = None
            if self.widget is not None:
                self.items[i].clear()

    def _mouse_moved(self, position) -> None:
        for i, (box, item) in enumerate(zip(self.boxes, self.items)):
            if self.images[i] is not None and box.sceneBoundingRect().contains(position):
                point = item.mapFromScene(position)
                h, w = self.images[i].shape[:2]
                if 0 <= point.x() < w and 0 <= point.y() < h:
                    self.hovered.emit(i, point.x(), point.y())
                    return
        self.hovered.emit(-1, 0.0, 0.0)
