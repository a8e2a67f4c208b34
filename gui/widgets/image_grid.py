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

from gui.widgets.plot_style import follow_scheme, plot_colours
from netlab.inspect.render import grid_columns

# pyqtgraph is imported where used: the window shows before it loads (see gui/app.py).

GAP = 1  # pixels between tiles (the view box zooms; tiles are drawn at their own size)
TOP, BACKGROUND = 254, 255  # a grid's values are colour indices 0..TOP; its gaps are BACKGROUND
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


def layer_grid(output: np.ndarray, order=None) -> tuple[np.ndarray, Grid]:
    """One layer's output for one image as a grid image, a tile per channel in ``order``.

    Maps (h, w, c): each channel scaled on its own; a vector (c,) (dense,
    pooled): a pixel per channel, scaled together so they compare; (h, c): a
    column per channel. Values are LUT indices 0..TOP, gaps BACKGROUND (draw
    with :func:`grid_lut`). Written straight into the canvas through a strided
    view, with one pass of float arithmetic: a 64-channel 112x112 layer (a
    905x905 grid) in a few milliseconds.
    """
    output = np.asarray(output, dtype=np.float32)
    vector = output.ndim == 1
    if output.ndim in (1, 2):
        output = output.reshape((1,) * (3 - output.ndim) + output.shape).swapaxes(0, 1) if not vector \
            else output[None, None]
    elif output.ndim != 3:
        raise ValueError(f"cannot draw an output of shape {output.shape}")
    h, w, n = output.shape
    flat = output.reshape(-1, n)
    low, high = (flat.min(), flat.max()) if vector else (flat.min(axis=0), flat.max(axis=0))
    span = np.asarray(high - low, np.float32)
    scale = np.where(span > 0, TOP / np.where(span > 0, span, 1), 0).astype(np.float32)
    shift = np.where(span > 0, 0.5, 0.5 + TOP // 2).astype(np.float32)  # a constant channel: mid-colour
    values = flat - low
    values *= scale
    values += shift
    index = values.astype(np.uint8).reshape(h, w, n)
    order = np.arange(n) if order is None else np.asarray(order)
    if not np.array_equal(order, np.arange(n)):
        index = index[..., order]
    columns = grid_columns(n)
    rows = -(-n // columns)
    canvas = np.full((rows * (h + GAP) + GAP, columns * (w + GAP) + GAP), BACKGROUND, np.uint8)
    cells = canvas[GAP:, GAP:].reshape(rows, h + GAP, columns, w + GAP)  # a view: axes only split
    tiles = index.transpose(2, 0, 1)  # (n, h, w), a view
    full = n // columns
    cells[:full, :h, :, :w] = tiles[:full * columns].reshape(full, columns, h, w).transpose(0, 2, 1, 3)
    if n > full * columns:
        cells[full, :h, :n - full * columns, :w] = tiles[full * columns:].transpose(1, 0, 2)
    return canvas, Grid(order, (h, w), columns)


def grid_lut() -> np.ndarray:
    """Viridis for the values 0..TOP, white for the gaps (BACKGROUND)."""
    import pyqtgraph as pg

    lut = np.empty((256, 3), np.uint8)
    lut[:TOP + 1] = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, TOP + 1, alpha=False)
    lut[BACKGROUND] = 255
    return lut


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
        self.labels, self.boxes, self.items = [], [], []
        for i, title in enumerate(self.titles):
            label = self.widget.addLabel(title, row=0, col=i)
            box = self.widget.addViewBox(row=1, col=i, lockAspect=True, invertY=True, enableMenu=False)
            item = pg.ImageItem(axisOrder="row-major")
            box.addItem(item)
            self.widget.ci.layout.setColumnStretchFactor(i, self.stretch[i])
            self.labels.append(label)
            self.boxes.append(box)
            self.items.append(item)
        self.widget.scene().sigMouseMoved.connect(self._mouse_moved)
        follow_scheme(self, _paint_grid)
        self._layout.removeWidget(self.placeholder)
        self.placeholder.deleteLater()
        self.placeholder = None
        self._layout.addWidget(self.widget)

    def set_image(self, index: int, image: np.ndarray, title: str | None = None, lut=None) -> None:
        """Show a uint8 image (H, W) gray or (H, W, 3) RGB in pane ``index``, a gray one
        through ``lut`` when given; its view fits a new shape."""
        if self.widget is None:
            self._build()
        previous = self.images[index]
        self.images[index] = image
        self.items[index].setImage(image, levels=(0, 255), autoLevels=False, lut=lut)
        if title is not None:
            self.set_title(index, title)
        if previous is None or previous.shape[:2] != image.shape[:2]:
            self.boxes[index].autoRange(padding=0.02)

    def set_title(self, index: int, title: str) -> None:
        if self.widget is not None:
            self.labels[index].setText(title, color=plot_colours().foreground)
            # A label asks for its text's width; a long one would widen its column past the
            # window and push the image out of sight.
            self.labels[index].setMinimumWidth(0)

    def clear(self, index: int | None = None) -> None:
        for i in range(len(self.titles)) if index is None else [index]:
            self.images[i] = None
            if self.widget is not None:
                self.items[i].clear()

    def resizeEvent(self, event) -> None:
        """Fit each image to its resized view (an aspect-locked box keeps its old range otherwise)."""
        super().resizeEvent(event)
        if self.widget is not None:
            for box, image in zip(self.boxes, self.images):
                if image is not None:
                    box.autoRange(padding=0.02)

    def _mouse_moved(self, position) -> None:
        for i, (box, item) in enumerate(zip(self.boxes, self.items)):
            if self.images[i] is not None and box.sceneBoundingRect().contains(position):
                point = item.mapFromScene(position)
                h, w = self.images[i].shape[:2]
                if 0 <= point.x() < w and 0 <= point.y() < h:
                    self.hovered.emit(i, point.x(), point.y())
                    return
        self.hovered.emit(-1, 0.0, 0.0)


def _paint_grid(grid: ImagePanel, colours) -> None:
    """The panes' background and titles in the colour scheme's colours (plot_style.follow_scheme)."""
    grid.widget.setBackground(colours.background)
    for label in grid.labels:
        label.setText(label.text, color=colours.foreground)
