"""The learning-rate finder's plot: loss against learning rate (log scale), the range test
of Smith 2017. The sweep runs in a worker thread; Cancel (or closing the
dialog) stops it at the next batch."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from gui.widgets.plot_style import styled_plot
from gui.workers import run_job
from netlab.training.lr_finder import find_lr

STEPS = 60


def _sweep(experiment):
    return find_lr(experiment, min_lr=1e-6, max_lr=1.0, steps=STEPS)


class LrFinderDialog(QDialog):
    chosen = Signal(float)  # the learning rate the user takes
    finished_sweep = Signal()

    def __init__(self, experiment, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Learning-rate finder")
        self.resize(640, 420)
        self.suggestion = None
        layout = QVBoxLayout(self)
        self.note = QLabel(f"Training {STEPS} batches of {experiment.model.arch} on "
                           f"{experiment.data.dataset} with a rate rising from 1e-6 to 1 "
                           "(the weights are thrown away after)...")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.plot = styled_plot(pg, bottom="learning rate", left="loss (smoothed)")
        self.plot.setLogMode(x=True, y=False)
        self.curve = self.plot.plot([], [], pen=pg.mkPen((31, 119, 180), width=2))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen((255, 127, 14), width=2))
        self.marker.setVisible(False)
        self.plot.addItem(self.marker)
        layout.addWidget(self.plot, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the sweep after the current batch")
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use the suggestion")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.job = run_job(_sweep, experiment, on_result=self._show, on_error=self._fail,
                           on_abort=self._cancelled, owner=self)
        self.job.finished.connect(self._sweep_ended)

    def _sweep_ended(self) -> None:
        self.cancel_button.setEnabled(False)

    def cancel(self) -> None:
        """Stop the sweep at its next batch (the flag is set here, in the GUI thread)."""
        if self.cancel_button.isEnabled():
            self.job.abort()
            self.cancel_button.setEnabled(False)
            self.note.setText("Cancelling after the current batch...")

    def done(self, result: int) -> None:  # closing the dialog (Close, Esc, the title bar) cancels too
        self.cancel()
        super().done(result)

    def _cancelled(self, _stopped_early: bool) -> None:
        self.note.setText("Cancelled: no suggestion.")
        self.finished_sweep.emit()

    def _show(self, result) -> None:
        lrs, losses, suggestion = result
        self.curve.setData(np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float))
        self.suggestion = suggestion
        if suggestion and math.isfinite(suggestion):
            self.marker.setValue(math.log10(suggestion))
            self.marker.setVisible(True)
            self.use_button.setEnabled(True)
            self.note.setText(f"Suggested learning rate: {suggestion:.2g} (a tenth of the rate at the "
                              "lowest loss, where the loss still falls steeply).")
        else:
            self.note.setText("The loss never fell: no suggestion. Try a smaller batch or another optimizer.")
        self.finished_sweep.emit()

    def _fail(self, text: str) -> None:
        self.note.setText(text)
        self.finished_sweep.emit()

    def _use(self) -> None:
        self.chosen.emit(float(self.suggestion))
        self.accept()
