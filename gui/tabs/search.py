"""The Search tab: a hyperparameter search on Optuna (netlab/search/study.py) in the worker.

The experiment is the form's; this tab says what to search (``search.space``
as JSON, the budget, epochs per trial, sampler, pruning). The study runs in a
:class:`SearchThread` whose plain events arrive queued in the GUI thread; Stop
ends the running trial after its batch (Continue takes the study up again).
The trials table is sorted by best validation accuracy; beside it the
optimization history (each trial's best validation loss, the objective, and
the best so far) and each setting's importance (fANOVA, once two trials have
completed). "Load this trial's settings" puts the form's experiment with the
chosen trial's settings back into the form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.plot_style import key_text, styled_plot
from gui.widgets.tables import read_only_table
from gui.workers import CoreThread
from netlab.base.errors import ConfigError, NetlabError
from netlab.config import PRUNERS, SAMPLERS, Experiment, SearchConfig
from netlab.runs.folder import new_run_dir
from netlab.search.trials import (
    SearchFinished,
    SearchStarted,
    TrialFinished,
    TrialStarted,
    apply_params,
)
from netlab.training.events import EpochEnd

# pyqtgraph and netlab.search.study (Optuna) are imported where used: the window shows before
# they load (see gui/app.py).

FIXED_COLUMNS = ("trial", "state", "val accuracy", "val loss", "epochs")
COMPLETE_COLOUR, PRUNED_COLOUR, BEST_COLOUR = (31, 119, 180), (180, 180, 180), (214, 39, 40)


class SearchThread(CoreThread):
    """A study (succeeded: the trial rows)."""

    def __init__(self, experiment, out_dir, resume=False, parent=None):
        super().__init__(parent)
        self.experiment, self.out_dir, self.resume = experiment, out_dir, resume
        self.search = None

    def work(self):
        from netlab.search.study import Search

        self.search = Search(None if self.resume else self.experiment, self.out_dir, resume=self.resume,
                             on_event=self.event.emit, stop_event=self.stop_event)
        return self.search.run()


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class SearchView(QWidget):
    settings_chosen = Signal(object)  # an Experiment: the base with the selected trial's settings
    started = Signal(object)  # the Experiment searched: the form's, with this tab's search section
    finished = Signal(object)  # the rows, or None after a failure

    def __init__(self, experiment_source: Callable[[], Experiment], root: Path, parent=None):
        super().__init__(parent)
        self.experiment_source = experiment_source
        self.root = Path(root)
        self.thread: SearchThread | None = None
        self.out_dir: Path | None = None
        self.base: Experiment | None = None  # the experiment searched (for "load this trial's settings")
        self.rows: list[dict] = []
        self.importances: dict = {}
        self.paths: list[str] = []
        self.history_plot = self.importance_plot = None
        self._filled = False
        self._trial = None  # the number of the trial running

        form = self._build_settings()
        self.set_search(SearchConfig())
        buttons = self._build_buttons()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        splitter = self._build_results()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(splitter, 1)

    def _build_settings(self) -> QFormLayout:
        """The search section of the experiment: trials, epochs per trial, sampler, pruning, space."""
        self.trials = QSpinBox()
        self.trials.setRange(1, 10_000)
        self.trial_epochs = QSpinBox()
        self.trial_epochs.setRange(1, 10_000)
        self.sampler = QComboBox()
        self.sampler.addItems(SAMPLERS)
        self.pruner = QComboBox()
        self.pruner.addItems(PRUNERS)
        self.space = QPlainTextEdit()
        self.space.setToolTip('Dotted setting -> {"low", "high", "log", "step"} or {"choices": [...]}')
        self.space.setMaximumHeight(110)
        form = QFormLayout()
        settings = QHBoxLayout()
        for label, widget in (("Trials", self.trials), ("Epochs per trial", self.trial_epochs),
                              ("Sampler", self.sampler), ("Pruning", self.pruner)):
            settings.addWidget(QLabel(label))
            settings.addWidget(widget)
        settings.addStretch(1)
        form.addRow(settings)
        form.addRow("Space", self.space)
        return form

    def _build_buttons(self) -> QHBoxLayout:
        """Start, Continue and Stop; loading the selected trial's settings into the form."""
        self.start_button = QPushButton("Start search")
        self.start_button.clicked.connect(self.start)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Take the last search up again, to its budget")
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self.resume)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.load_button = QPushButton("Load this trial's settings")
        self.load_button.setToolTip("The form's experiment with the selected trial's settings")
        self.load_button.clicked.connect(self.load_selected)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.continue_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.load_button)
        return buttons

    def _build_results(self) -> QSplitter:
        """The trials' table above their plots (history and importances, drawn once there are trials)."""
        self.table = read_only_table(FIXED_COLUMNS, row_height=22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.plots = QSplitter(Qt.Horizontal)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.plots)
        # The plots get most of the height: a handful of trials fits in a short table.
        self.plots.setMinimumHeight(200)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        return splitter

    # -- settings ---------------------------------------------------------------
    def set_search(self, search: SearchConfig) -> None:
        self.trials.setValue(search.trials)
        self.trial_epochs.setValue(search.trial_epochs)
        self.sampler.setCurrentText(search.sampler)
        self.pruner.setCurrentText(search.pruner)
        self.space.setPlainText(json.dumps(search.space, indent=1))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._filled:  # the form's search settings (an experiment file may have brought some)
            self._filled = True
            if self.thread is None and not self.rows:
                self.set_search(self.experiment_source().search)
        self._ensure_plots()

    def experiment(self) -> Experiment:
        """The form's experiment with this tab's search settings, validated (ConfigError: one line)."""
        exp = self.experiment_source()
        try:
            space = json.loads(self.space.toPlainText())
        except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested thousands deep
            raise ConfigError(f"search.space is not valid JSON: {exc}") from None
        exp.search.space = space
        exp.search.trials, exp.search.trial_epochs = self.trials.value(), self.trial_epochs.value()
        exp.search.sampler, exp.search.pruner = self.sampler.currentText(), self.pruner.currentText()
        return exp.validate()

    # -- running -----------------------------------------------------------------
    def start(self) -> None:
        if self.thread is not None:
            return
        try:
            experiment = self.experiment()
        except NetlabError as exc:
            self.error.setText(str(exc))
            return
        self._run(experiment, new_run_dir(self.root, "search", experiment.data.dataset), resume=False)
        self.started.emit(experiment)

    def resume(self) -> None:
        if self.thread is None and self.out_dir is not None:
            self._run(None, self.out_dir, resume=True)

    def _run(self, experiment, out_dir: Path, resume: bool) -> None:
        self.error.setText("")
        self.out_dir = Path(out_dir)
        if experiment is not None:
            self.base = experiment
            self._show_rows([], {})
        self.thread = SearchThread(experiment, self.out_dir, resume=resume, parent=self)
        self.thread.event.connect(self._on_event)
        self.thread.succeeded.connect(self._on_succeeded)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_thread_finished)
        for button, enabled in ((self.start_button, False), (self.continue_button, False),
                                (self.stop_button, True)):
            button.setEnabled(enabled)
        self.status.setText(f"Preparing the search in {self.out_dir}...")
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.request_stop()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after this batch (the trial is redone on Continue)...")

    def _on_event(self, event) -> None:
        if isinstance(event, SearchStarted):
            self.status.setText(f"Study {event.study_name} in {event.storage}: {event.taken} of "
                                f"{event.trials} trials taken")
        elif isinstance(event, TrialStarted):
            self._trial = event.number
            self.status.setText(f"Trial {event.number}: " + ", ".join(
                f"{path.split('.')[-1]} {_fmt(value)}" for path, value in event.params.items()))
        elif isinstance(event, EpochEnd):
            loss = event.metrics.get("val_loss")
            self.status.setText(f"Trial {self._trial}: epoch {event.epoch + 1}/{event.epochs}"
                                + (f", val_loss {loss:.4f}" if loss is not None else ""))
        elif isinstance(event, TrialFinished):
            self._show_rows(event.rows, event.importances)
            self.status.setText(f"{event.taken} of {event.trials} trials taken; runs in {self.out_dir}")
        elif isinstance(event, SearchFinished):  # the importances stay those of the last trial's end
            self._show_rows(event.rows, self.importances)
            self.status.setText(f"{'Stopped' if event.stopped else 'Finished'}: {event.taken} of "
                                f"{event.trials} trials taken; runs in {self.out_dir}")

    def _on_succeeded(self, rows) -> None:
        self.base = self.thread.search.experiment  # a resumed study's own settings
        self.finished.emit(rows)

    def _on_failed(self, text: str) -> None:
        self.error.setText(text)
        self.status.setText("The search failed.")
        self.finished.emit(None)

    def _on_thread_finished(self) -> None:
        thread, self.thread = self.thread, None
        thread.deleteLater()
        self.start_button.setEnabled(True)
        self.continue_button.setEnabled(self.out_dir is not None)
        self.stop_button.setEnabled(False)

    # -- the table and the plots ----------------------------------------------------
    def _show_rows(self, rows: list[dict], importances: dict) -> None:
        self.rows, self.importances = list(rows), dict(importances)
        self.paths = list(dict.fromkeys(path for row in rows for path in row["params"]))
        headers = list(FIXED_COLUMNS) + [path.split(".")[-1] for path in self.paths]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [row["number"], row["state"], row["val_accuracy"], row["val_loss"], row["epochs"]]
            cells += [row["params"].get(path) for path in self.paths]
            for j, value in enumerate(cells):
                item = QTableWidgetItem(_fmt(value))
                if row["state"] == "failed" and row.get("error"):
                    item.setToolTip(row["error"])
                self.table.setItem(i, j, item)
        self._draw()

    def _ensure_plots(self) -> None:
        if self.history_plot is not None:
            return
        import pyqtgraph as pg

        self.history_plot = styled_plot(pg, bottom="trial", left="best val_loss")
        self.history_plot.setTitle("History: " + key_text(
            ("complete", COMPLETE_COLOUR), ("pruned", PRUNED_COLOUR), ("best so far", BEST_COLOUR)))
        self.history_points = pg.ScatterPlotItem(size=8)
        self.history_plot.addItem(self.history_points)
        self.best_curve = self.history_plot.plot([], [], pen=pg.mkPen(BEST_COLOUR, width=2))
        self.importance_plot = styled_plot(pg, bottom="importance (fANOVA)")
        self.importance_plot.setTitle("Setting importance")
        self.importance_bars = None
        self.plots.addWidget(self.history_plot)
        self.plots.addWidget(self.importance_plot)
        for i in range(2):  # half the width each, whatever their titles ask for
            self.plots.setStretchFactor(i, 1)
            self.plots.widget(i).setMinimumWidth(120)
        self.plots.setSizes([1, 1])
        self._draw()

    def _draw(self) -> None:
        if self.history_plot is None:
            return
        import pyqtgraph as pg

        done = sorted((r for r in self.rows if r["state"] in ("complete", "pruned") and r["val_loss"] is not None),
                      key=lambda r: r["number"])
        self.history_points.setData(
            [r["number"] for r in done], [r["val_loss"] for r in done],
            brush=[pg.mkBrush(COMPLETE_COLOUR if r["state"] == "complete" else PRUNED_COLOUR) for r in done])
        best, xs, ys = math.inf, [], []
        for r in done:
            if r["state"] == "complete":
                best = min(best, r["val_loss"])
            if math.isfinite(best):
                xs.append(r["number"])
                ys.append(best)
        self.best_curve.setData(xs, ys)
        if self.importance_bars is not None:
            self.importance_plot.removeItem(self.importance_bars)
            self.importance_bars = None
        names = list(self.importances)[::-1]  # the most important on top
        if names:
            self.importance_bars = pg.BarGraphItem(x0=0, y=list(range(len(names))), height=0.6,
                                                   width=[self.importances[n] for n in names],
                                                   brush=pg.mkBrush(COMPLETE_COLOUR))
            self.importance_plot.addItem(self.importance_bars)
        self.importance_plot.getAxis("left").setTicks([[(i, n.split(".")[-1]) for i, n in enumerate(names)]])

    # -- load a trial's settings ----------------------------------------------------
    def selected_row(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def load_selected(self) -> None:
        row = self.selected_row()
        if row is None or self.base is None:
            self.error.setText("Select a trial to load its settings.")
            return
        self.error.setText("")
        self.settings_chosen.emit(apply_params(self.base, row["params"]))
        self.status.setText(f"Trial {row['number']}'s settings are in the form "
                            f"({', '.join(f'{p} = {_fmt(v)}' for p, v in row['params'].items())})")
