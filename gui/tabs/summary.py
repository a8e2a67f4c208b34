"""The model summary: per layer output shape, parameters, MACs, receptive field.

Building a model (VGG at 224 has 138M parameters) takes seconds, so the
summary is computed in a worker thread; requests are debounced and a newer
request aborts the build still running (``LatestJob``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.tabs.finetune_summary import finetune_summary
from gui.widgets.tables import read_only_table, summary_row  # noqa: F401  (summary_row: read from here too)
from gui.workers import LatestJob
from netlab.base.abort import abort_point
from netlab.data.input_spec import input_spec
from netlab.inspect.published import compare_published, compare_table, parameter_convention
from netlab.inspect.text import human

# The architecture registry and netlab.inspect.summary are imported in the worker job: the window
# shows before they load (see gui/main_window.py).

COLUMNS = ("layer", "type", "output", "trainable", "non-trainable", "MACs", "RF", "stride")
COMPARISON_COLUMNS = ("figure", "this model", "reference", "difference", "kind", "source")
TRAINING_INPUT, PAPER_INPUT = "training input", "paper input (ImageNet, 1000 classes)"
DEBOUNCE_MS = 250


def compute_summary(experiment, paper_input: bool):
    """Worker-thread job: build the model and summarize it (no Qt here)."""
    if experiment.finetune.source is not None:  # the model that will train: the fine-tuned one
        return finetune_summary(experiment, paper_input)
    from netlab.architectures import get_arch
    from netlab.inspect.summary import summarize

    experiment.validate()
    spec = get_arch(experiment.model.arch)
    if paper_input:
        input_shape, classes = spec.default_input, 1000
    else:  # what the trainer will build: the same function says it
        data = input_spec(experiment.data)
        input_shape, classes = data.input_shape, data.num_classes
    # Building is the expensive part (VGG-16 at 224: seconds); the block builders
    # stop at the next layer once the job is aborted, and nothing runs after.
    model = spec.build(input_shape, classes, experiment.regularization, experiment.model)
    abort_point()
    summary = summarize(model)
    rows = [summary_row(r) for r in summary.rows]
    totals = (f"{spec.name} at {'x'.join(map(str, input_shape))}, {classes} classes: "
              f"{summary.trainable_params:,} trainable + {summary.non_trainable_params:,} non-trainable "
              f"parameters, {human(summary.macs)} multiply-adds per image.\n"
              f"{parameter_convention(summary)}.")
    comparison = [
        (c.quantity, f"{c.configured:,}", "-" if c.reference is None else f"{c.reference:,}",
         "" if c.reference is None else f"{c.difference:+,} ({c.relative_difference:+.2%})",
         c.kind, c.note)
        for c in compare_published(summary, spec, experiment.model.options) + compare_table(summary, spec)
    ]
    return rows, totals, comparison, (summary.trainable_params, summary.macs, tuple(input_shape))


class SummaryView(QWidget):
    updated = Signal(object)  # (trainable params, MACs, input shape) of the shown summary
    failed = Signal(str)
    layer_activated = Signal(str)  # a layer's row double-clicked: look inside it (the Inspect tab)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._experiment = None
        self._jobs = LatestJob(self, DEBOUNCE_MS, self._show, self._fail,
                               on_start=lambda: self.state.setText("computing..."))

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Summary at"))
        self.input_choice = QComboBox()
        self.input_choice.addItems([TRAINING_INPUT, PAPER_INPUT])
        self.input_choice.currentIndexChanged.connect(lambda _: self._start())
        top.addWidget(self.input_choice)
        self.state = QLabel("")
        top.addWidget(self.state, 1)
        layout.addLayout(top)
        self.totals = QLabel("")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.totals)
        self.table = read_only_table(COLUMNS, row_height=22)
        self.table.setToolTip("Double-click a layer to see its feature maps in the Inspect tab")
        self.table.cellDoubleClicked.connect(
            lambda row, _: self.layer_activated.emit(self.table.item(row, 0).text().strip()))
        layout.addWidget(self.table, 3)
        note = QLabel("Compared with the reference figures (published, computed by NetLab, "
                      "the paper's, pretrained models), each with its source")
        note.setWordWrap(True)  # one line would set the tab's (and the window's middle) minimum width
        layout.addWidget(note)
        self.comparison = read_only_table(COMPARISON_COLUMNS, row_height=22)
        layout.addWidget(self.comparison, 1)

    @staticmethod
    def _fill(table: QTableWidget, rows, right_from: int) -> None:
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                item = QTableWidgetItem(text)
                if right_from <= j < right_from + 3:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                table.setItem(i, j, item)

    def comparison_text(self) -> str:
        """The comparison table as plain text, one row a line."""
        table = self.comparison
        return "\n".join(" | ".join(table.item(i, j).text() for j in range(table.columnCount()))
                         for i in range(table.rowCount()))

    def request(self, experiment) -> None:
        """Summarize ``experiment`` soon (debounced)."""
        self._experiment = experiment
        self._start()

    def _start(self) -> None:
        if self._experiment is not None:
            self._jobs.request(compute_summary, self._experiment,
                               self.input_choice.currentText() == PAPER_INPUT)

    def _show(self, result) -> None:
        rows, totals, comparison, sizes = result
        self._fill(self.table, rows, right_from=3)
        self._fill(self.comparison, comparison, right_from=1)
        self.totals.setText(totals)
        self.state.setText("")
        self.updated.emit(sizes)

    def _fail(self, text: str) -> None:
        self.state.setText("")
        self.totals.setText(text)
        self.comparison.setRowCount(0)
        self.table.setRowCount(0)
        self.failed.emit(text)
