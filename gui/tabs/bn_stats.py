"""Batch-norm statistics (Ioffe & Szegedy 2015): per layer and channel, beside a real batch's.

A table of the BN layers with how far the batch's statistics are from the
moving ones; for the selected layer, per channel, the moving mean and
variance against the batch's, and gamma and beta. Below, the same images in
training mode (BN on batch statistics) and inference mode, and the cure for
moving averages that never converged: recompute them on the batch (it
changes the model; Undo puts the old ones back).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.image_batch import ImageBatch, SavedStatistics
from gui.widgets.plot_style import key_text, styled_plot
from gui.widgets.tables import read_only_table
from gui.workers import LatestJob
from netlab.base.abort import abort_point

# pyqtgraph and netlab.inspect.batchnorm (Keras work) are imported where used, the second in
# the worker jobs: the window shows before they load (see gui/app.py).

LAYER_COLUMNS = ("#", "layer", "ch.", "mean shift", "var. ratio", "distance")
CHANNEL_COLUMNS = ("channel", "moving mean", "moving var.", "batch mean", "batch var.", "gamma", "beta")
MAX_CHANNEL_ROWS = 512  # the plots show every channel; the table the first ones
MOVING = (31, 119, 180)
BATCH = (255, 127, 14)
GAMMA, BETA = (44, 160, 44), (214, 39, 40)


def number(value) -> str:
    return "" if value is None else f"{value:.6g}"


def compute_bn(model, batch: ImageBatch):
    """Worker job: the BN statistics with the batch's beside them, and the two modes' predictions."""
    from netlab.inspect.batchnorm import bn_statistics, train_vs_inference

    stats = bn_statistics(model, batch.x)
    abort_point()
    return model, stats, train_vs_inference(model, batch.x, batch.y)


def recompute(model, batch: ImageBatch):
    """Worker job: recompute the moving statistics on the batch; the accuracy before and after."""
    from netlab.inspect.batchnorm import moving_statistics, recompute_bn_statistics

    saved = SavedStatistics(moving_statistics(model))
    _, _, before = compute_bn(model, batch)
    recompute_bn_statistics(model, batch.x)
    model, stats, after = compute_bn(model, batch)
    return model, stats, after, saved, before


def restore(model, saved: SavedStatistics, batch: ImageBatch):
    """Worker job: put the saved moving statistics back, and recompute the view's numbers."""
    from netlab.inspect.batchnorm import set_moving_statistics

    set_moving_statistics(model, saved.values)
    return compute_bn(model, batch)


def mode_text(comparison) -> str:
    def accuracy(value):
        return "n/a" if value is None else f"{value:.1%}"

    batches = comparison.training_batches
    statistics = f"each of {batches} batches' own statistics" if batches > 1 else "batch statistics"
    return (f"Same images, training mode (BN on {statistics}, dropout off): accuracy "
            f"{accuracy(comparison.training_accuracy)}; inference mode (moving statistics): "
            f"{accuracy(comparison.inference_accuracy)}. Same top class for {comparison.agreement:.0%}, "
            f"largest probability difference {comparison.max_abs_difference:.3f}.")


class BnStatsPage(QWidget):
    busy = Signal(str)
    done = Signal(str)
    rendered = Signal()  # after new statistics were drawn

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.batch: ImageBatch | None = None  # the images the statistics were computed on
        self.stats = []  # BnStatistics per layer, as drawn
        self.comparison = None
        self.saved = None  # moving statistics before a recompute (for Undo)
        self.plots = {}
        self.items = {}
        self._job = LatestJob(self, 0, self._show, self._fail,
                              on_start=lambda: self.busy.emit("computing batch-norm statistics..."))
        self._recompute_job = LatestJob(self, 0, self._recomputed, self._fail,
                                        on_start=lambda: self.busy.emit("recomputing BN statistics..."))
        self.jobs = (self._job, self._recompute_job)

        layout = QVBoxLayout(self)
        layout.addWidget(self._build_tables(), 1)

        self.modes = QLabel("")
        self.modes.setWordWrap(True)
        layout.addWidget(self.modes)
        layout.addLayout(self._build_recompute_row())
        self._enable_actions()

    def _build_tables(self) -> QSplitter:
        """The BN layers' table and the chosen layer's channels, beside the plots."""
        splitter = QSplitter(Qt.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.layers = read_only_table(LAYER_COLUMNS, row_height=20)
        self.layers.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.layers.setSelectionMode(QAbstractItemView.SingleSelection)
        self.layers.itemSelectionChanged.connect(self._layer_selected)
        for column, tip in ((3, "Mean over channels of |batch mean - moving mean| in moving standard deviations"),
                            (4, "Mean over channels of |log(batch variance / moving variance)| (0: equal)"),
                            (5, "Mean shift plus variance ratio: how far this batch is from what the layer "
                                "assumes in inference")):
            self.layers.horizontalHeaderItem(column).setToolTip(tip)
        left_layout.addWidget(self.layers, 1)
        self.channel_title = QLabel("")
        left_layout.addWidget(self.channel_title)
        self.channels = read_only_table(CHANNEL_COLUMNS, row_height=20)
        left_layout.addWidget(self.channels, 1)
        splitter.addWidget(left)
        self.plot_area = QWidget()
        self.plot_layout = QVBoxLayout(self.plot_area)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        splitter.addWidget(self.plot_area)
        splitter.setSizes([500, 440])
        return splitter

    def _build_recompute_row(self) -> QHBoxLayout:
        """Recompute the moving statistics from these images, and Undo."""
        row = QHBoxLayout()
        self.recompute_button = QPushButton("Recompute BN statistics")
        self.recompute_button.setToolTip(
            "Set every BN layer's moving mean and variance to those of these images (changes the "
            "model: the classifier uses them too); the cure for moving averages that never converged")
        self.recompute_button.clicked.connect(self.recompute)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Put the moving statistics from before the recompute back")
        self.undo_button.clicked.connect(self.undo)
        self.recompute_result = QLabel("")
        self.recompute_result.setWordWrap(True)
        row.addWidget(self.recompute_button)
        row.addWidget(self.undo_button)
        row.addWidget(self.recompute_result, 1)
        return row

    def _build_plots(self) -> None:
        """The plots, made the first time there is something to draw (pyqtgraph loads late)."""
        if self.plots:
            return
        import pyqtgraph as pg

        across = styled_plot(pg, "Per layer: " + key_text(("mean shift", MOVING), ("var. ratio", BATCH)),
                             bottom="BN layer (#)")
        across.setToolTip("Per BN layer, averaged over channels: |batch mean - moving mean| in moving "
                          "standard deviations, and |log(batch variance / moving variance)|")
        self.items["mean_shift"] = across.plot([], [], pen=pg.mkPen(MOVING, width=2), symbol="o", symbolSize=6,
                                               symbolBrush=MOVING)
        self.items["variance_log_ratio"] = across.plot([], [], pen=pg.mkPen(BATCH, width=2), symbol="s",
                                                       symbolSize=6, symbolBrush=BATCH)
        batch_key = key_text(("moving", MOVING), ("this batch", BATCH))
        means = styled_plot(pg, f"Mean: {batch_key}", bottom="channel")
        variances = styled_plot(pg, f"Variance (log): {batch_key}", bottom="channel")
        variances.setLogMode(y=True)
        affine = styled_plot(pg, key_text(("gamma", GAMMA), ("beta", BETA)), bottom="channel")
        for key in ("mean", "variance"):
            plot = means if key == "mean" else variances
            self.items[f"moving_{key}"] = plot.plot([], [], pen=pg.mkPen(MOVING, width=2))
            self.items[f"batch_{key}"] = plot.plot([], [], pen=None, symbol="o", symbolSize=5,
                                                   symbolBrush=BATCH, symbolPen=None)
        self.items["gamma"] = affine.plot([], [], pen=pg.mkPen(GAMMA, width=2))
        self.items["beta"] = affine.plot([], [], pen=pg.mkPen(BETA, width=2))
        for name, plot in (("across", across), ("means", means), ("variances", variances), ("affine", affine)):
            self.plots[name] = plot
            self.plot_layout.addWidget(plot)

    # -- jobs -------------------------------------------------------------------
    def follow_model(self, model) -> None:
        """A new current model: what is computing for the previous one is stale (a recompute
        stopped here changed nothing: it sets the statistics after its last batch)."""
        self.model, self.batch, self.saved = model, None, None
        for job in self.jobs:
            job.cancel()
        self._enable_actions()

    def compute(self, model, batch: ImageBatch) -> None:
        self.model, self.batch = model, batch
        self._job.request(compute_bn, model, batch)

    def recompute(self) -> None:
        if self.model is None or self.batch is None or not self.stats:
            return
        self._job.cancel()
        self._recompute_job.request(recompute, self.model, self.batch)

    def undo(self) -> None:
        if self.saved is None or self.model is None:
            return
        saved, self.saved = self.saved, None
        self.recompute_result.setText("moving statistics put back")
        self._job.request(restore, self.model, saved, self.batch)

    def cancel(self) -> None:
        for job in self.jobs:
            job.cancel()

    def _fail(self, text: str) -> None:
        self.modes.setText(text)
        self.done.emit("")

    def _recomputed(self, result) -> None:
        model, stats, after, saved, before = result
        if model is not self.model:
            return
        self.saved = saved
        self._show((model, stats, after))

        def accuracy(value):
            return "n/a (no labels)" if value is None else f"{value:.1%}"

        self.recompute_result.setText(
            f"Inference-mode accuracy on these {len(self.batch.x)} images: {accuracy(before.inference_accuracy)}"
            f" with the moving statistics as they were, {accuracy(after.inference_accuracy)} recomputed "
            f"(training mode: {accuracy(before.training_accuracy)}).")

    # -- drawing ------------------------------------------------------------------------
    def _show(self, result) -> None:
        model, stats, comparison = result
        if model is not self.model:
            return
        self._build_plots()
        self.stats, self.comparison = stats, comparison
        if model is not getattr(self, "_drawn_model", None):
            self.saved = None
            self.recompute_result.setText("")
        self._drawn_model = model
        selected = self.selected_layer()
        self.layers.setRowCount(len(stats))
        for row, s in enumerate(stats):
            cells = (str(row + 1), s.layer, str(len(s.moving_mean)), number(s.mean_shift),
                     number(s.variance_log_ratio), number(s.distance))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.layers.setItem(row, column, item)
        index = np.arange(1, len(stats) + 1)
        for key in ("mean_shift", "variance_log_ratio"):
            self.items[key].setData(index, [getattr(s, key) or 0.0 for s in stats])
        names = [s.layer for s in stats]
        self.layers.blockSignals(True)  # one redraw of the layer below, also when the row stays selected
        self.layers.selectRow(names.index(selected) if selected in names else 0)
        self.layers.blockSignals(False)
        self._layer_selected()
        self.modes.setText("This model has no batch-norm layers." if not stats else mode_text(comparison))
        self._enable_actions()
        self.done.emit("")
        self.rendered.emit()

    def selected_layer(self) -> str | None:
        rows = self.layers.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.stats):
            return None
        return self.stats[rows[0].row()].layer

    def _layer_selected(self) -> None:
        name = self.selected_layer()
        self._show_layer(next((s for s in self.stats if s.layer == name), None))

    def _show_layer(self, s) -> None:
        if not self.plots:
            return
        if s is None:
            self.channel_title.setText("")
            self.channels.setRowCount(0)
            for key in ("moving_mean", "batch_mean", "moving_variance", "batch_variance", "gamma", "beta"):
                self.items[key].setData([], [])
            return
        channels = np.arange(len(s.moving_mean))
        for key in ("moving_mean", "batch_mean", "moving_variance", "batch_variance", "gamma", "beta"):
            values = getattr(s, key)
            self.items[key].setData(channels, [] if values is None else values)
        columns = (s.moving_mean, s.moving_variance, s.batch_mean, s.batch_variance, s.gamma, s.beta)
        rows = min(len(channels), MAX_CHANNEL_ROWS)
        self.channels.setRowCount(rows)
        for row in range(rows):
            self.channels.setItem(row, 0, QTableWidgetItem(str(row)))
            for column, values in enumerate(columns, start=1):
                item = QTableWidgetItem("" if values is None else number(float(values[row])))
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.channels.setItem(row, column, item)
        more = f" (first {rows} of {len(channels)} in the table)" if rows < len(channels) else ""
        self.channel_title.setText(f"{s.layer}: {len(channels)} channels, epsilon {s.epsilon:g}{more}")

    def _enable_actions(self) -> None:
        self.recompute_button.setEnabled(bool(self.stats))
        self.undo_button.setEnabled(self.saved is not None)
