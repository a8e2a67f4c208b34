"""A confusion matrix as a heat map: rows the true class, columns the predicted one.

The colour of a cell is its share of the true class's images (its row), so a
small class's mistakes are as visible as a large one's; the count is written
in the cell (left blank at zero) while the classes are few enough to read it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.widgets.plot_style import follow_scheme

# Counts are written in the cells up to this many classes (CIFAR-100's 100 would be noise).
MAX_LABELLED = 20


class ConfusionPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.addItem(self.image)
        self.getViewBox().invertY(True)  # the first class in the top row, as it is printed
        self.getViewBox().setAspectLocked(True)
        for side, label in (("bottom", "predicted"), ("left", "true")):
            self.setLabel(side, label)
        follow_scheme(self)  # background, axes and labels in the colour scheme's colours
        self.texts: list[pg.TextItem] = []
        self.matrix = np.zeros((0, 0), np.int64)

    def set_matrix(self, matrix, class_names) -> None:
        matrix = np.asarray(matrix, dtype=np.int64)
        self.matrix = matrix
        n = len(matrix)
        rows = matrix.sum(axis=1, keepdims=True)
        share = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
        # ImageItem's first axis is x: the transpose puts predicted classes along x.
        self.image.setImage(share.T, levels=(0.0, 1.0))
        ticks = [[(i + 0.5, str(name)) for i, name in enumerate(class_names)]]
        self.getAxis("bottom").setTicks(ticks)
        self.getAxis("left").setTicks(ticks)
        for item in self.texts:
            self.removeItem(item)
        self.texts = []
        if n <= MAX_LABELLED:
            for (row, column), count in np.ndenumerate(matrix):
                if not count:
                    continue  # blank, so the mistakes stand out
                dark = share[row, column] < 0.6  # viridis is dark at the low end
                text = pg.TextItem(str(count), color="w" if dark else "k", anchor=(0.5, 0.5))
                text.setPos(column + 0.5, row + 0.5)
                self.addItem(text)
                self.texts.append(text)
        self.setRange(xRange=(0, max(n, 1)), yRange=(0, max(n, 1)), padding=0.02)

    def clear_matrix(self) -> None:
        self.set_matrix(np.zeros((0, 0)), [])
