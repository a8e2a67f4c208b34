"""Live loss and accuracy curves (pyqtgraph).

One PlotDataItem per curve, fed the whole array with setData (the pattern of
pyqtgraph's PanningPlot example), redrawn at most ~15 times a second.
The per-batch curve is Keras's running mean over the epoch so far, and is
labelled so; epoch points are the real epoch metrics.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget
from superqt.utils import qthrottled

TRAIN = (31, 119, 180)
VAL = (255, 127, 14)


class CurvesView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots = {}
        self.items = {}
        for metric, title in (("loss", "Loss"), ("accuracy", "Accuracy")):
            plot = pg.PlotWidget(title=title)
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.3)
            # Loss falls and accuracy rises: keep each legend where the curves are not.
            plot.addLegend(offset=(-10, 10) if metric == "loss" else (-10, -10))
            self.plots[metric] = plot
            # connect="finite": a NaN between epochs breaks the running-mean
            # line, since Keras restarts the mean at every epoch.
            self.items[(metric, "batch")] = plot.plot(
                [], [], pen=pg.mkPen(TRAIN + (110,), width=1), connect="finite",
                name="train (running mean, per batch)")
            self.items[(metric, "train")] = plot.plot(
                [], [], pen=pg.mkPen(TRAIN, width=2), symbol="o", symbolSize=6,
                symbolBrush=TRAIN, name="train (epoch)")
            self.items[(metric, "val")] = plot.plot(
                [], [], pen=pg.mkPen(VAL, width=2), symbol="s", symbolSize=6,
                symbolBrush=VAL, name="validation (epoch)")
            layout.addWidget(plot)
        self.clear()

    def clear(self) -> None:
        self.data = {key: ([], []) for key in self.items}
        for item in self.items.values():
            item.setData([], [])

    def add_batch(self, event) -> None:
        x = event.epoch + event.batch / event.steps
        xs = self.data[("loss", "batch")][0]
        if xs and x > event.epoch + 1e-9 and xs[-1] <= event.epoch:  # first point of a new epoch
            for metric in ("loss", "accuracy"):
                self._append(metric, "batch", float("nan"), float("nan"))
        self._append("loss", "batch", x, event.loss)
        if event.accuracy is not None:
            self._append("accuracy", "batch", x, event.accuracy)
        self._redraw()

    def add_epoch(self, event) -> None:
        x = event.epoch + 1
        m = event.metrics
        for metric in ("loss", "accuracy"):
            if metric in m:
                self._append(metric, "train", x, m[metric])
            if f"val_{metric}" in m:
                self._append(metric, "val", x, m[f"val_{metric}"])
        self._redraw()

    def point_count(self, metric: str, kind: str) -> int:
        """Points drawn (epoch-separating gaps not counted)."""
        return sum(1 for x in self.data[(metric, kind)][0] if x == x)

    def _append(self, metric, kind, x, y) -> None:
        xs, ys = self.data[(metric, kind)]
        xs.append(x)
        ys.append(y)

    @qthrottled(timeout=66, leading=True)
    def _redraw(self) -> None:
        for key, item in self.items.items():
            xs, ys = self.data[key]
            item.setData(xs, ys)

    def flush(self) -> None:
        """Draw now (the throttled redraw may be pending)."""
        for key, item in self.items.items():
            xs, ys = self.data[key]
            item.setData(xs, ys)
