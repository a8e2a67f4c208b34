"""Activation statistics (Glorot & Bengio 2010; CS231n, "weight initialization: activation statistics").

Two sources: the window's current model on the batch of images, or the
CS231n experiment, a freshly initialized deep fully connected stack under
each initializer (zeros, small Gaussian, Xavier/Glorot, He) with tanh or
ReLU. Left, each layer's activation std (one curve per initializer: the
spread collapsing or holding with depth); right, each layer's histogram as
one column of a heat map (CS231n's row of histograms, for any depth).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets.plot_style import key_text, styled_plot
from gui.workers import LatestJob

# pyqtgraph and netlab.inspect.activations (Keras work) are imported where used, the second in
# the worker job: the window shows before they load (see gui/app.py).

MODEL, INIT = "current model, on the images", "fresh deep stack, each initializer (Glorot & Bengio 2010)"
# CS231n's four, by NetLab's names (netlab.inspect.activations.INIT_ALIASES).
INITIALIZERS = (("zeros", "zeros"), ("small", "small 0.01"), ("glorot", "Xavier"), ("he", "He"))
STACK_ACTIVATIONS = ("tanh", "relu")
# One histogram range for all four stacks, so their heat maps compare: tanh's whole
# range, and ReLU's positive side (larger values fall in the last bin).
STACK_RANGES = {"tanh": (-1.0, 1.0), "relu": (0.0, 4.0)}
COLOURS = ((127, 127, 127), (214, 39, 40), (31, 119, 180), (44, 160, 44))
MODEL_COLOUR = (31, 119, 180)
MEAN_COLOUR = (255, 127, 14)


def model_activations(model, batch):
    """Worker job: the current model's activation statistics on the batch (an ImageBatch)."""
    from netlab.inspect.activations import activation_statistics

    return model, activation_statistics(model, batch.x)


def init_comparison(activation: str):
    """Worker job: the CS231n experiment under each initializer, {label: statistics}."""
    from netlab.inspect.activations import init_experiment

    value_range = STACK_RANGES[activation]
    return activation, {label: init_experiment(name, activation, value_range=value_range)
                        for name, label in INITIALIZERS}


def heat(stats) -> np.ndarray:
    """(layers, bins): each layer's log(1 + count) per bin scaled to its own peak, so the
    tails of a histogram with a tall spike at zero (ReLU's) stay visible."""
    counts = np.log1p(np.array([layer.counts for layer in stats.layers], dtype=np.float64))
    peak = counts.max(axis=1, keepdims=True)
    return np.divide(counts, peak, out=np.zeros_like(counts), where=peak > 0)


class ActivationStatsPage(QWidget):
    busy = Signal(str)
    done = Signal(str)
    rendered = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.model_stats = None  # ActivationStatistics of the current model
        self.init_stats = {}  # activation -> {initializer label: ActivationStatistics}
        self.plots = {}
        self.curves = {}  # label -> the std curve drawn
        self._model_job = LatestJob(self, 0, self._model_ready, self._fail,
                                    on_start=lambda: self.busy.emit("computing activation statistics..."))
        self._init_job = LatestJob(self, 0, self._init_ready, self._fail,
                                   on_start=lambda: self.busy.emit("initializing the deep stacks..."))
        self.jobs = (self._model_job, self._init_job)

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Of"))
        self.mode = QComboBox()
        self.mode.addItems([MODEL, INIT])
        row.addWidget(self.mode, 1)
        row.addWidget(QLabel("activation"))
        self.activation = QComboBox()
        self.activation.addItems(STACK_ACTIVATIONS)
        self.activation.setToolTip("The stack's nonlinearity: tanh saturates, ReLU halves the variance")
        row.addWidget(self.activation)
        row.addWidget(QLabel("histograms of"))
        self.shown = QComboBox()
        row.addWidget(self.shown)
        layout.addLayout(row)
        self.plot_row = QHBoxLayout()
        layout.addLayout(self.plot_row, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.mode.currentIndexChanged.connect(lambda _: self._mode_changed())
        self.activation.currentIndexChanged.connect(lambda _: self._mode_changed())
        self.shown.currentIndexChanged.connect(lambda _: self._draw_heat())
        self._mode_changed()

    def _build_plots(self) -> None:
        if self.plots:
            return
        import pyqtgraph as pg

        self._pg = pg
        stds = styled_plot(pg, "Activation std per layer", bottom="layer (#)")
        hist = styled_plot(pg, "Histogram per layer", bottom="layer (#)", left="activation")
        hist.setToolTip("One column per layer: the share of its activations in each bin, "
                        "log(1 + count) scaled to the layer's peak")
        self.heat_image = pg.ImageItem()
        self.heat_image.setColorMap(pg.colormap.get("viridis"))
        hist.addItem(self.heat_image)
        self.plots = {"std": stds, "histograms": hist}
        self.plot_row.addWidget(stds, 1)
        self.plot_row.addWidget(hist, 1)

    # -- jobs ---------------------------------------------------------------
    def follow_model(self, model) -> None:
        """A new current model: what is computing for the previous one is stale."""
        self.model = model
        self._model_job.cancel()

    def compute_model(self, model, batch) -> None:
        self.model = model
        self._model_job.request(model_activations, model, batch)

    def cancel(self) -> None:
        for job in self.jobs:
            job.cancel()

    def _mode_changed(self) -> None:
        init = self.mode.currentText() == INIT
        self.activation.setEnabled(init)
        if init and self.activation.currentText() not in self.init_stats:
            self._init_job.request(init_comparison, self.activation.currentText())
        self._redraw()

    def _fail(self, text: str) -> None:
        self.note.setText(text)
        self.done.emit("")

    def _model_ready(self, result) -> None:
        model, stats = result
        if model is self.model:
            self.model_stats = stats
            self._redraw()

    def _init_ready(self, result) -> None:
        activation, stats = result
        self.init_stats[activation] = stats
        self._redraw()

    # -- drawing ------------------------------------------------------------------
    def shown_statistics(self) -> dict:
        """{curve label: ActivationStatistics} of the mode shown (empty until computed)."""
        if self.mode.currentText() == INIT:
            return self.init_stats.get(self.activation.currentText(), {})
        return {} if self.model_stats is None else {"this model": self.model_stats}

    def _redraw(self) -> None:
        shown = self.shown_statistics()
        if not shown:
            return
        self._build_plots()
        pg, plot = self._pg, self.plots["std"]
        plot.clear()
        self.curves = {}
        init = self.mode.currentText() == INIT
        for i, (label, stats) in enumerate(shown.items()):
            layers = np.arange(1, len(stats.layers) + 1)
            colour = COLOURS[i % len(COLOURS)] if init else MODEL_COLOUR
            self.curves[label] = plot.plot(layers, stats.stds, pen=pg.mkPen(colour, width=2), symbol="o",
                                           symbolSize=6, symbolBrush=colour)
            if not init:
                plot.plot(layers, [layer.mean for layer in stats.layers], pen=pg.mkPen(MEAN_COLOUR, width=2),
                          symbol="s", symbolSize=6, symbolBrush=MEAN_COLOUR)
        if init:
            key = key_text(*((label, COLOURS[i % len(COLOURS)]) for i, label in enumerate(shown)))
            plot.setTitle(f"std per layer: {key}")
        else:
            plot.setTitle("Per layer: " + key_text(("std", MODEL_COLOUR), ("mean", MEAN_COLOUR)))
        current = self.shown.currentText()
        self.shown.blockSignals(True)
        self.shown.clear()
        self.shown.addItems(list(shown))
        self.shown.setCurrentIndex(max(0, self.shown.findText(current)))
        self.shown.blockSignals(False)
        first = next(iter(shown.values()))
        if init:
            self.note.setText(f"A fresh stack of {len(first.layers)} fully connected layers "
                              f"({self.activation.currentText()}) per initializer, unit Gaussian input. Small "
                              "Gaussian weights shrink the activations toward 0 with depth, zeros leave nothing; "
                              "Xavier keeps tanh's spread, ReLU needs He's factor 2.")
        else:
            names = ", ".join(layer.layer for layer in first.layers[:6])
            more = "..." if len(first.layers) > 6 else ""
            self.note.setText(f"{len(first.layers)} activation layers ({names}{more}), inference mode.")
        self._draw_heat()
        self.done.emit("")
        self.rendered.emit()

    def _draw_heat(self) -> None:
        stats = self.shown_statistics().get(self.shown.currentText())
        if stats is None or not self.plots or not stats.layers:
            return
        edges = stats.edges
        self.heat_image.setImage(heat(stats), autoLevels=False, levels=(0.0, 1.0))
        self.heat_image.setRect(QRectF(0.5, float(edges[0]), float(len(stats.layers)),
                                       float(edges[-1] - edges[0])))
        self.plots["histograms"].setTitle(f"Histograms: {self.shown.currentText()}")
