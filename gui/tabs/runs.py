"""Runs browser: past runs with their final metrics, and an overlay of ticked runs' curves.

The overlay is how a person sees dropout's effect on the train/validation gap,
or plain vs residual networks (ResNet paper, Figure 4), for themselves.
An experiment's folder (its arms' runs, ``ARM/seed-N``) can be shown in place
of the runs root (``show_runs``: the Experiments window's "Open in Runs tab");
"All runs" goes back. Export writes the selected run's model as .keras, SavedModel, TFLite or ONNX
(``netlab.predict.export``, in a worker) and shows the check's parity line or its error.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.plot_style import styled_plot
from gui.widgets.tables import read_only_table
from gui.workers import run_job
from netlab.runs.catalog import RunInfo, list_nested_runs, list_runs

# pyqtgraph, the export dialog and netlab.predict.export (Keras work) are imported where used:
# the window shows before they load (see gui/app.py).

COLUMNS = ("run", "architecture", "dataset", "epochs", "val accuracy", "best val acc.", "val loss")
# train_eval_* and bn_gap: netlab/training/train_eval.py (runs from before it lack them: no curve).
METRICS = ("val_accuracy", "val_loss", "train_eval_accuracy", "train_eval_loss", "accuracy", "loss", "bn_gap")


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}"


class RunsView(QWidget):
    open_model = Signal(str)  # path of a run's model.keras
    load_settings = Signal(str)  # path of a run's config.json
    export_done = Signal(bool, str)  # succeeded, the line shown (parity line or error)

    def __init__(self, root: Path, parent=None):
        super().__init__(parent)
        self.root = Path(root)
        self.folder: Path | None = None  # an experiment's folder shown instead of the root
        self.runs: list[RunInfo] = []
        self.curves: dict = {}  # run name -> its pyqtgraph PlotDataItem
        self.plot = None  # built when first needed: pyqtgraph is not part of the first screen

        top = QHBoxLayout()
        self.location = QLabel("")
        top.addWidget(self.location, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.all_button = QPushButton("All runs")
        self.all_button.setToolTip("Back to every run in the runs folder")
        self.all_button.clicked.connect(lambda: self.show_runs(None))
        self.all_button.setVisible(False)
        self.model_button = QPushButton("Classify with its model")
        self.model_button.clicked.connect(self._emit_model)
        self.settings_button = QPushButton("Load its settings")
        self.settings_button.clicked.connect(self._emit_settings)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write the selected run's model as .keras, SavedModel, TFLite or ONNX, "
                                      "checked against the Keras model")
        self.export_button.clicked.connect(self.open_export_dialog)
        for button in (self.all_button, self.refresh_button, self.model_button, self.settings_button, self.export_button):
            top.addWidget(button)
        self.export_dialog = None
        self.export_job = None
        self.export_status = QLabel("")
        self.export_status.setWordWrap(True)
        self.export_status.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.table = read_only_table(COLUMNS, row_height=22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.itemChanged.connect(self._tick_changed)

        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Overlay of the ticked runs:"))
        self.metric_choice = QComboBox()
        self.metric_choice.addItems(METRICS)
        self.metric_choice.currentIndexChanged.connect(self._redraw)
        choose.addWidget(self.metric_choice)
        choose.addStretch(1)
        plot_layout.addLayout(choose)
        self._plot_layout = plot_layout

        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(plot_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.export_status)
        layout.addWidget(splitter, 1)
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.plot is None:
            self._build_plot()
            self._redraw()

    def _build_plot(self) -> None:
        import pyqtgraph as pg

        self.plot = styled_plot(pg, bottom="epoch", legend=(-10, 10))
        self.legend = self.plot.getPlotItem().legend
        self._plot_layout.addWidget(self.plot)

    def refresh(self) -> None:
        ticked = set(self.ticked_names())
        self.runs = list_runs(self.root) if self.folder is None else list_nested_runs(self.folder)
        self.location.setText(f"{len(self.runs)} run(s) in {self.folder or self.root}")
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.runs))
        for i, run in enumerate(self.runs):
            planned = f"/{run.epochs_planned}" if run.epochs_planned else ""
            state = f" {run.trial_state}" if run.trial_state not in (None, "complete") else ""  # a search's pruned trial
            cells = (run.name, run.arch, run.dataset, f"{run.epochs_done}{planned}{state}",
                     _fmt(run.final("val_accuracy")), _fmt(run.best("val_accuracy")),
                     _fmt(run.final("val_loss")))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                    item.setCheckState(Qt.Checked if run.name in ticked else Qt.Unchecked)
                elif j >= 3:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.blockSignals(False)
        self._redraw()

    def show_runs(self, folder, select=None) -> bool:
        """List an experiment's runs (``folder``; None: the runs root), all ticked, ``select`` selected.

        False when ``select`` is not (yet) a run there: its trainer has not written its settings.
        """
        self.folder = None if folder is None else Path(folder)
        self.all_button.setVisible(self.folder is not None)
        self.refresh()
        if self.folder is not None:
            self.set_ticked({run.name for run in self.runs})
        row = next((i for i, run in enumerate(self.runs) if select and run.path == Path(select)), None)
        if row is None:
            self.table.clearSelection()
            return select is None
        self.table.selectRow(row)
        self.table.scrollToItem(self.table.item(row, 0))
        return True

    def set_ticked(self, names) -> None:
        for i, run in enumerate(self.runs):
            self.table.item(i, 0).setCheckState(Qt.Checked if run.name in names else Qt.Unchecked)

    def ticked_names(self) -> list[str]:
        return [self.table.item(i, 0).text() for i in range(self.table.rowCount())
                if self.table.item(i, 0).checkState() == Qt.Checked]

    def _tick_changed(self, item) -> None:
        if item.column() == 0:
            self._redraw()

    def _redraw(self) -> None:
        ticked = set(self.ticked_names())
        chosen = [run for run in self.runs if run.name in ticked]
        if self.plot is None:
            if not chosen:
                return
            self._build_plot()
        import pyqtgraph as pg

        self.plot.clear()
        self.legend.clear()
        self.curves = {}
        metric = self.metric_choice.currentText()
        self.plot.setTitle(metric)
        for k, run in enumerate(chosen):
            xs, ys = run.series(metric)
            pen = pg.mkPen(pg.intColor(k, hues=max(len(chosen), 1), maxValue=200), width=2)
            self.curves[run.name] = self.plot.plot(xs, ys, pen=pen, symbol="o", symbolSize=5,
                                                   symbolBrush=pen.color(), name=f"{run.arch} · {run.name}")

    def selected_run(self) -> RunInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.runs[rows[0].row()] if rows else None

    def _emit_model(self) -> None:
        run = self.selected_run()
        if run is not None:
            self.open_model.emit(str(run.folder.model_path))

    def _emit_settings(self) -> None:
        run = self.selected_run()
        if run is not None:
            self.load_settings.emit(str(run.folder.config_path))

    # -- export -----------------------------------------------------------------------
    def open_export_dialog(self) -> None:
        run = self.selected_run()
        if run is None:
            self._show_export(False, "Select a run to export.")
            return
        from gui.dialogs.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(run.path, self)
        self.export_dialog.accepted.connect(
            lambda dialog=self.export_dialog: self.start_export(dialog.run_path, *dialog.request(),
                                                                overwrite=dialog.replace))
        self.export_dialog.open()

    def start_export(self, run_path, fmt: str, out: str, best: bool = False, overwrite: bool = False) -> None:
        """Export in a worker; the parity line or the error follows in ``export_status``.

        ``overwrite``: the person said Yes to replacing the file at ``out`` (the dialog asks)."""
        from netlab.predict.export import export_model

        self.export_button.setEnabled(False)
        self.export_status.setStyleSheet("")
        self.export_status.setText(f"Exporting {Path(run_path).name} as {fmt} to {out} and checking it…")
        self.export_job = run_job(export_model, str(run_path), fmt, out, best=best, overwrite=overwrite, owner=self,
                                  on_result=lambda result: self._show_export(True, result.line()),
                                  on_error=lambda text: self._show_export(False, text))

    def _show_export(self, ok: bool, text: str) -> None:
        self.export_job = None
        self.export_button.setEnabled(True)
        self.export_status.setStyleSheet("" if ok else "color: #b00020;")
        self.export_status.setText(text)
        self.export_done.emit(ok, text)
