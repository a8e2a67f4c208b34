"""The Experiments window: pick a lesson, read its question, run its arms, read the verdict.

The arms train in sequence in an :class:`ExperimentThread` (the core's
LessonRunner, netlab/lessons/runner.py); its plain events arrive
queued in the GUI thread. Every run's validation accuracy is drawn per epoch,
one colour per arm, so the arms' curves overlay; the verdict and each arm's
mean are shown from result.json's numbers when the last arm ends. Any run
begun so far (an arm and seed) can be opened in the main window's Runs tab,
during the experiment or after it (``open_run``). A lesson that sweeps a
setting (fine-tuning vs scratch over the labeled-set size) also gets an
accuracy-vs-size plot beside the curves (gui/widgets/sweep_plot.py). A lesson
that trains nothing (arithmetic) shows its comparisons' networks drawn instead of
the curves (gui/dialogs/comparison_graphs.py).

The lesson's text, the plots and the verdict share the height in a splitter:
a long question or verdict scrolls in its own pane and the plots keep at least
PLOT_MIN_HEIGHT. Choosing another lesson clears the results shown (verdict,
runs, curves) unless they are that lesson's.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.dialogs.comparison_graphs import ComparisonGraphs
from gui.icons import icon
from gui.widgets.plot_style import styled_plot
from gui.widgets.sweep_plot import SweepPlot
from gui.workers import CoreThread
from netlab.base.errors import NetlabError
from netlab.lessons.runner import ArmFinished, ArmStarted, LessonRunner, LessonStarted, default_out_dir
from netlab.lessons.spec import lesson_names, load_lesson
from netlab.runs.folder import read_history
from netlab.training.events import EpochEnd

COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75))
OTHER_COLOUR = (150, 150, 150)  # a run outside the arms: a lesson's pretraining
PROGRESS_STEPS = 1000
PLOT_MIN_HEIGHT = 220  # the curves' axis title and ticks read whole at this height
TEXT_MIN_HEIGHT = 48  # a scrolling text pane: at least about two lines


def _scrolling(*labels: QLabel) -> QScrollArea:
    """The labels, one under the other, in a pane that scrolls when they are taller than it."""
    inner = QWidget()
    column = QVBoxLayout(inner)
    column.setContentsMargins(0, 0, 0, 0)
    for label in labels:
        label.setWordWrap(True)
        column.addWidget(label)
    column.addStretch(1)
    pane = QScrollArea()
    pane.setWidget(inner)
    pane.setWidgetResizable(True)
    pane.setFrameShape(QFrame.NoFrame)
    pane.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    pane.setMinimumHeight(TEXT_MIN_HEIGHT)
    return pane


class ExperimentThread(CoreThread):
    """A lesson's arms in sequence (succeeded: result.json's dict)."""

    def __init__(self, spec, out_dir, budget, parent=None, resume=False):
        super().__init__(parent)
        self.runner = LessonRunner(spec, out_dir, budget, on_event=self.event.emit, resume=resume)
        self.stop_event = self.runner.stop_event

    def work(self):
        return self.runner.run()


class ExperimentsDialog(QDialog):
    finished_experiment = Signal(object)  # result.json's dict (or None after a failure)
    open_run = Signal(str, str)  # the experiment's folder, the chosen run's folder (ARM/seed-N)

    def __init__(self, runs_root: Path, parent=None):
        super().__init__(parent)
        self.runs_root = Path(runs_root)
        self.thread: ExperimentThread | None = None
        self._close_with: int | None = None  # closed while a lesson ran: the dialog result, once it stops
        self.result: dict | None = None
        # (arm, seed, swept value or None) -> that run's curve
        self.curves: dict[tuple, pg.PlotDataItem] = {}
        self.points: dict[tuple, list[float]] = {}
        self.current: tuple | None = None
        self.arm_names: list[str] = []
        self.out_dir = ""
        self.shown_lesson: str | None = None  # the lesson whose runs and verdict are shown
        self.stopped: tuple[str, str, str] | None = None  # (lesson, budget, folder) of a stopped lesson
        self.done_runs = 0
        self.total = 1
        self.setWindowTitle("Experiments: lessons from the papers")
        self.setWindowIcon(icon("experiments"))
        self.resize(900, 640)
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_controls())
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        layout.addWidget(self.title)
        layout.addWidget(self._build_panes(), 1)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.status = QLabel()
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(self._build_runs_row())
        self._show_lesson(self.lesson.currentText())

    def _build_controls(self) -> QHBoxLayout:
        """The lesson and its budget; Run, Stop and Continue."""
        row = QHBoxLayout()
        self.lesson = QComboBox()
        self.lesson.addItems(lesson_names())
        self.lesson.currentTextChanged.connect(self._show_lesson)
        self.budget = QComboBox()
        self.budget.addItems(["tiny", "quick", "full"])
        self.budget.setCurrentText("quick")
        self.budget.setToolTip("tiny: seconds; quick: minutes on a CPU; full: the paper-like budget, for a GPU")
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Go on with the stopped lesson in its folder: the runs that finished "
                                        "are kept, the others train")
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self.resume)
        for widget in (QLabel("Lesson"), self.lesson, QLabel("Budget"), self.budget):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.run_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.continue_button)
        return row

    def _build_panes(self) -> QSplitter:
        """The lesson's text, the curves beside the sweep plot, and the verdict, one above the other."""
        self.question = QLabel()
        self.reference = QLabel()
        self.arms = QLabel()
        self.lesson_pane = _scrolling(self.question, self.reference, self.arms)
        self.plot = styled_plot(pg, bottom="epoch", left="validation accuracy", legend=(30, 30))
        self.plot.setYRange(0, 1)
        self.legend = self.plot.getPlotItem().legend
        self.sweep_plot = SweepPlot(COLOURS)
        self.plots = QWidget()
        plots = QHBoxLayout(self.plots)
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.plot, 1)
        plots.addWidget(self.sweep_plot.widget, 1)
        self.plots.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.comparison_graphs = ComparisonGraphs()  # an arithmetic lesson's, in place of the plots
        self.comparison_graphs.setVisible(False)
        self.verdict = QLabel()
        self.verdict.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.verdict_pane = _scrolling(self.verdict)
        self.verdict_pane.setVisible(False)  # until there is a verdict (or an error) to read
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.setChildrenCollapsible(False)
        for pane in (self.lesson_pane, self.plots, self.comparison_graphs, self.verdict_pane):
            self.splitter.addWidget(pane)
        self.splitter.setStretchFactor(1, 1)  # a taller window goes to the plots
        self.splitter.setStretchFactor(2, 1)
        self.splitter.setSizes([110, 400, 400, 130])  # in proportion: about 4 lines of text each
        return self.splitter

    def _build_runs_row(self) -> QHBoxLayout:
        """The experiment's runs, one to open in the main window's Runs tab."""
        runs_row = QHBoxLayout()
        self.run_choice = QComboBox()  # "arm, seed N" -> its run folder, as each run begins
        self.run_choice.setToolTip("A run of this experiment: an arm and one of its seeds")
        self.run_choice.setMinimumContentsLength(28)  # "full_finetune at 50, seed 2" reads whole
        self.open_button = QPushButton("Open in Runs tab")
        self.open_button.setToolTip("Show this experiment's runs in the main window's Runs tab, "
                                    "ticked for the overlay, with the chosen run selected")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_chosen_run)
        for widget in (QLabel("Run"), self.run_choice, self.open_button):
            runs_row.addWidget(widget)
        runs_row.addStretch(1)
        return runs_row

    # -- the lesson ------------------------------------------------------------
    def _show_lesson(self, name: str) -> None:
        if not name:
            return
        spec = load_lesson(name)
        self.sweep_plot.widget.setVisible(spec.sweep is not None)
        self.plots.setVisible(not spec.comparisons)
        self.comparison_graphs.show_comparisons(spec.comparisons)
        self.title.setText(spec.title)
        self.question.setText(spec.question)
        self.reference.setText(f"Reference: {spec.reference}")
        if spec.comparisons:
            self.arms.setText("Comparisons: " + "; ".join(c.title for c in spec.comparisons)
                              + ". Nothing trains: each comparison's two networks are drawn below; Run counts them all.")
        else:
            claim = spec.sweep.describe(spec.arms) if spec.sweep else "; ".join(
                f"{c.left} {c.op} {c.right}" + (f" {c.margin:+g}" if c.margin else "") for c in spec.claim)
            self.arms.setText("Arms: " + ", ".join(spec.arms) + "   Claim: " + claim)
        self.lesson_pane.verticalScrollBar().setValue(0)
        if self.thread is None and self.shown_lesson not in (None, name):  # another lesson's results
            self._clear()
            self.shown_lesson = None
            self.status.setText(f"{self.stopped[0]} was stopped: Continue goes on with it." if self.stopped else "")

    # -- running -----------------------------------------------------------------
    def start(self, resume: bool = False) -> None:
        """Run the chosen lesson into a new folder; ``resume``: go on with the stopped one in its folder."""
        if self.thread is not None or (resume and self.stopped is None):
            return
        if resume:
            name, budget, out_dir = self.stopped
            self.lesson.setCurrentText(name)
            self.budget.setCurrentText(budget)
        else:
            name, budget = self.lesson.currentText(), self.budget.currentText()
            out_dir = default_out_dir(name, self.runs_root)
        spec = load_lesson(name)
        self._clear()
        self.shown_lesson = name
        self.stopped = None
        self.continue_button.setEnabled(False)
        self.thread = ExperimentThread(spec, out_dir, budget, parent=self, resume=resume)
        self.thread.event.connect(self._on_event)
        self.thread.succeeded.connect(self._on_result)
        self.thread.failed.connect(self._on_failed)
        self.thread.finished.connect(self._on_thread_finished)
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.lesson.setEnabled(False)
        self.budget.setEnabled(False)
        self.status.setText(f"Preparing {spec.name}...")
        self.thread.start()

    def resume(self) -> None:
        self.start(resume=True)

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.request_stop()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after this batch...")

    def _clear(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.curves.clear()
        self.points.clear()
        self.sweep_plot.start([])
        self.result = None
        self._set_verdict("")
        self.progress.setValue(0)
        self.run_choice.clear()
        self.open_button.setEnabled(False)

    def _on_event(self, event) -> None:
        if isinstance(event, LessonStarted):
            self.total = max(1, event.total or len(event.arms) * len(event.seeds))
            self.arm_names = list(event.arms)
            self.out_dir = event.out_dir
            if event.sweep:
                sweep = load_lesson(event.name).sweep
                self.sweep_plot.start(event.arms, event.sweep, sweep.label, sweep.metric, sweep.default_metric)
        elif isinstance(event, ArmStarted):
            self.current = (event.arm, event.seed, event.value)
            at = "" if event.value is None else f" at {event.value}"
            self.run_choice.addItem(f"{event.arm}{at}, seed {event.seed}", event.run_dir)
            self.open_button.setEnabled(True)
            self.done_runs = event.index
            if event.kept:  # finished before the stop: its curve from its history
                self._draw_kept_run(event.run_dir)
            self.status.setText(f"Run {event.index + 1} of {event.total}: {event.arm}{at}, seed {event.seed}")
            self.progress.setValue(int(PROGRESS_STEPS * event.index / self.total))
        elif isinstance(event, ArmFinished) and event.value is not None:
            self.sweep_plot.add_run(event.arm, event.value, event.metrics)
        elif isinstance(event, EpochEnd) and self.current is not None:
            self._add_point(event)

    def _draw_kept_run(self, run_dir: str) -> None:
        try:
            rows = read_history(run_dir)
        except (NetlabError, OSError):  # its metrics were kept; a damaged history only loses the curve
            return
        for row in rows:
            self._add_value(row.get("val_accuracy"))

    def _add_point(self, event) -> None:
        self._add_value(event.metrics.get("val_accuracy"))
        fraction = (self.done_runs + (event.epoch + 1) / max(1, event.epochs)) / self.total
        self.progress.setValue(int(PROGRESS_STEPS * min(1.0, fraction)))

    def _add_value(self, value) -> None:
        if value is None:
            return
        key = self.current
        if key not in self.curves:
            arm = key[0]
            known = arm in self.arm_names
            colour = COLOURS[self.arm_names.index(arm) % len(COLOURS)] if known else OTHER_COLOUR
            first_of_arm = not any(k[0] == arm for k in self.curves)
            self.curves[key] = self.plot.plot([], [], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                              symbolBrush=colour, name=arm if first_of_arm else None)
            self.points[key] = []
        self.points[key].append(float(value))
        ys = self.points[key]
        self.curves[key].setData(list(range(1, len(ys) + 1)), ys)

    def _on_result(self, result: dict) -> None:
        self.result = result
        self.progress.setValue(PROGRESS_STEPS if result["complete"] else self.progress.value())
        lines = [result["verdict"]]
        if "sweep" in result:  # the verdict lists every arm at every value; the plot draws them
            self.sweep_plot.show_result(result["sweep"])
        for arm, summary in result["arms"].items() if "sweep" not in result else ():
            mean, std = summary["mean"], summary["std"]
            shown = [f"{k} {mean[k]:.3f}±{std[k]:.3f}" for k in ("train_accuracy", "val_accuracy", "gap")
                     if k in mean]
            lines.append(f"{arm}: " + ", ".join(shown))
        lines.append(f"Runs and result.json in {self.out_dir}")
        self._set_verdict("\n".join(line for line in lines if line))
        self.status.setText("Finished." if result["complete"] else "Stopped: Continue goes on with it.")
        if not result["complete"]:
            self.stopped = (result["name"], result["budget"], self.out_dir)
            self.continue_button.setEnabled(True)
        self.finished_experiment.emit(result)

    def _open_chosen_run(self) -> None:
        run_dir = self.run_choice.currentData()
        if run_dir:
            self.open_run.emit(self.out_dir, run_dir)

    def _set_verdict(self, text: str) -> None:
        self.verdict.setText(text)
        self.verdict_pane.setVisible(bool(text))
        self.verdict_pane.verticalScrollBar().setValue(0)

    def _on_failed(self, text: str) -> None:
        self._set_verdict(text)
        self.status.setText("Failed.")
        self.finished_experiment.emit(None)

    def _on_thread_finished(self) -> None:
        self.thread = None
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.lesson.setEnabled(True)
        self.budget.setEnabled(True)
        if self._close_with is not None:  # closed while running: now it closes
            result, self._close_with = self._close_with, None
            super().done(result)

    def done(self, result: int) -> None:
        """Closing stops a running experiment after its batch, then closes: nothing waits here."""
        if self.thread is not None:
            self._close_with = result
            self.thread.request_stop()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after this batch, then closing...")
            return
        super().done(result)
