"""The Fine-tune tab: start from learned weights (Yosinski et al. 2014).

It edits the experiment's ``finetune`` section, so File > Save experiment and
``netlab train --config`` carry it: off (``source`` null) trains the Model
tab's architecture from scratch. The source is ImageNet weights (by default
those of the Model tab's architecture, when Keras has them), a past run, or a
``.keras`` file. The layer table is the core's report (``netlab finetune SOURCE
--report``), rebuilt in a worker after each change (debounced, the superseded
build aborted); the slider moves the freeze cut along its rows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTableView,
)

from gui.downloads import relay
from gui.forms.bindings import check_box, combo_box, double_box, int_box
from gui.forms.finetune_jobs import report_job
from gui.forms.form import Form
from gui.widgets.layer_table import LayerTableModel
from gui.workers import LatestJob
from netlab.base.errors import NetlabError
from netlab.base.user_paths import checked_path
from netlab.config.descriptions import setting_help
from netlab.models.sources import (
    IMAGENET_ARCHS,
    IMAGENET_PREFIX,
    imagenet_choices,
    imagenet_source_for,
    keras_models_dir,
)
from netlab.runs.catalog import list_runs

IMAGENET, RUN, FILE = "ImageNet weights", "a past run", "a .keras file"
KINDS = (IMAGENET, RUN, FILE)
ALL_THAT_FIT = "all that fit"  # load_up_to = null
DEBOUNCE_MS = 300
LAYER_COLUMN_WIDTH = 125
ERROR_STYLE = "color: #b00020;"


def kind_of(source: str) -> str:
    if source.startswith(IMAGENET_PREFIX):
        return IMAGENET
    try:
        return RUN if checked_path(source).is_dir() else FILE
    except NetlabError:  # a path the file system refuses: validate() says why, in the report's place
        return FILE


def _narrow(combo: QComboBox) -> QComboBox:
    """A combo box whose width does not follow its longest entry (run folders have long paths)."""
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    return combo


class FinetuneForm(Form):
    report_ready = Signal(object)  # netlab.models.finetune.FinetuneReport
    report_failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        relay()  # the download relay lives in the GUI thread
        self.runs_root: Path | None = None  # where past runs are listed (the window's runs folder)
        self._arch = ""  # the Model tab's architecture, followed by the ImageNet source
        self._base_rows: list = []  # the last report's rows below the new head
        self.enabled_report = False  # turned on once TensorFlow has loaded
        self.report = None

        form = self.group("Start from learned weights (Yosinski et al. 2014)")
        self.enabled = check_box("Off: the Model tab's architecture trains from scratch")
        self.enabled.setText("Fine-tune from learned weights")
        form.addRow(self.enabled)
        self.kind = _narrow(combo_box(KINDS, "Where the weights come from"))
        form.addRow("Source", self.kind)
        self.source = _narrow(QComboBox())
        self.source.setEditable(True)
        self.source.setToolTip(setting_help("finetune.source"))
        self.choose_button = QPushButton("Choose...")
        self.choose_button.setToolTip("Choose a run folder or a .keras file to start from")
        self.choose_button.clicked.connect(self._choose_source)
        form.addRow("Weights", self.source)
        form.addRow("", self.choose_button)
        self.rows[self.choose_button] = form
        self.source_note = QLabel("")
        self.source_note.setWordWrap(True)
        self.source_note.setStyleSheet("color: #888;")  # grey on a light or a dark window
        form.addRow(self.source_note)
        self.into_arch = self.bind(form, "Load into", "finetune.into_arch", check_box())
        self.into_arch.setText("the Model tab's arch")

        self._build_training_group()
        self._build_layer_group()
        self.box_layout.addStretch(1)

        self._jobs = LatestJob(self, DEBOUNCE_MS, self._show_report, self._report_error,
                               on_start=lambda: self._set_state("building the report..."))
        self.enabled.toggled.connect(self._on_change)
        self.kind.currentTextChanged.connect(self._kind_changed)
        self.source.currentTextChanged.connect(self._on_change)
        self.load_up_to.currentTextChanged.connect(self._on_change)
        self.cut.valueChanged.connect(self._cut_moved)
        self._fill_sources(IMAGENET)

    def _build_training_group(self) -> None:
        """What trains: the freeze cut (a slider over the table's rows), how much of the source
        loads, the base's rate, the head-only epochs and the feature cache."""
        form = self.group("What trains")
        self.freeze = combo_box(("base", "none"))
        self.freeze.setEditable(True)
        _narrow(self.freeze)
        self.bind(form, "Freeze", "finetune.freeze", self.freeze)
        self.cut = QSlider(Qt.Horizontal)
        self.cut.setToolTip("The freeze cut: layers left of it stay frozen (double-click a row of the table "
                            "to put it there)")
        self.cut.setEnabled(False)
        self.cut_label = QLabel("")
        self.cut_label.setWordWrap(True)
        form.addRow("Cut", self.cut)
        form.addRow("", self.cut_label)
        self.load_up_to = combo_box((ALL_THAT_FIT,), setting_help("finetune.load_up_to"))
        self.load_up_to.setEditable(True)
        _narrow(self.load_up_to)
        form.addRow("Load up to", self.load_up_to)
        self.base_lr_mult = self.bind(form, "Base rate x", "finetune.base_lr_mult", double_box(
            step=0.05, decimals=3))
        self.head_epochs = self.bind(form, "Head-only epochs", "finetune.head_epochs", int_box())
        self.cache_features = self.bind(form, "Cached features", "finetune.cache_features", check_box())
        self.cache_features.setText("run the frozen base once")

    def _build_layer_group(self) -> None:
        """The core's report: the layers with weights, frozen or trained, and their total."""
        form = self.group("Layers with weights")
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(self.state)
        self.table_model = LayerTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Interactive)  # names first; the rest scrolls
        header.resizeSection(1, LAYER_COLUMN_WIDTH)
        self.table.setTextElideMode(Qt.ElideMiddle)
        self.table.setMinimumHeight(280)
        # As wide as the tab, never wider: the table scrolls inside itself, the form does not.
        self.table.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Expanding)
        self.table.doubleClicked.connect(lambda index: self._cut_at(index.row()))
        form.addRow(self.table)
        self.total = QLabel("")
        self.total.setWordWrap(True)
        self.total.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(self.total)

    # -- the experiment ----------------------------------------------------------
    def load(self, experiment) -> list[str]:
        notes = super().load(experiment)
        ft = experiment.finetune
        self._arch = experiment.model.arch
        widgets = (self.enabled, self.kind, self.source, self.load_up_to)
        for widget in widgets:
            widget.blockSignals(True)
        self.enabled.setChecked(ft.source is not None)
        kind = kind_of(ft.source) if ft.source is not None else self.kind.currentText()
        self.kind.setCurrentText(kind)
        self._fill_sources(kind, ft.source)
        self.load_up_to.setCurrentText(ft.load_up_to or ALL_THAT_FIT)
        for widget in widgets:
            widget.blockSignals(False)
        self._base_rows = []
        self.update_visibility()
        return notes

    def store(self, experiment) -> None:
        super().store(experiment)
        ft = experiment.finetune
        # Switched on with no source is an empty one: validate() says so, nothing trains from scratch unasked.
        ft.source = self.source.currentText() if self.enabled.isChecked() else None
        load_up_to = self.load_up_to.currentText().strip()
        ft.load_up_to = None if load_up_to in ("", ALL_THAT_FIT) else load_up_to

    def follow_arch(self, arch: str) -> bool:
        """The Model tab's architecture changed: an ImageNet source that was its counterpart (or none)
        follows it; another backbone the user chose stays. True when the source changed."""
        if arch == self._arch:
            return False
        old, self._arch = self._arch, arch
        if self.kind.currentText() != IMAGENET:
            return False
        before = self.source.currentText()
        if before not in ("", imagenet_source_for(old)):
            self._describe_source()  # its note names the Model tab's architecture
            return False
        self._fill_sources(IMAGENET)
        return self.source.currentText() != before

    def update_visibility(self) -> None:
        on = self.enabled.isChecked()
        for widget in (self.kind, self.source, self.choose_button, self.into_arch, self.freeze, self.cut, self.load_up_to,
                       self.base_lr_mult, self.head_epochs, self.cache_features, self.table):
            widget.setEnabled(on)
        self.cut.setEnabled(on and bool(self._base_rows))
        self.show_row(self.choose_button, self.kind.currentText() != IMAGENET)
        self._describe_source()

    # -- the source ----------------------------------------------------------------
    def _kind_changed(self, kind: str) -> None:
        self._fill_sources(kind)
        self._on_change()

    def _fill_sources(self, kind: str, current: str | None = None) -> None:
        """The choices for ``kind``; ``current`` (a loaded source) is shown as it is, listed or not."""
        if kind == IMAGENET:
            items = imagenet_choices()  # NetLab's counterparts, then every other keras.applications model
            default = imagenet_source_for(self._arch) or ""
        elif kind == RUN:
            items = [str(run.path) for run in list_runs(self.runs_root) if run.has_model] if self.runs_root else []
            default = items[0] if items else ""
        else:
            items, default = [], ""
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItems(items)
        self.source.setCurrentText(default if current is None else current)
        self.source.blockSignals(False)

    def _describe_source(self) -> None:
        text, kind = self.source.currentText(), self.kind.currentText()
        if kind == IMAGENET:
            counterpart = imagenet_source_for(self._arch)
            others = imagenet_choices()[len(IMAGENET_ARCHS):]  # keras.applications models with no NetLab twin
            if text in others:
                note = (f"Keras's {text[len(IMAGENET_PREFIX):]} with ImageNet weights as the base under a new "
                        "head, the preprocessing its weights expect inside the model.")
            elif not counterpart:
                note = f"Keras has no ImageNet weights for {self._arch}; pick one of its backbones."
            elif text == counterpart:
                note = f"Keras's {self._arch} backbone with ImageNet weights."
            else:
                note = f"Not the Model tab's {self._arch} (that would be {counterpart})."
            note += f" Downloaded once into {keras_models_dir()}."
        elif kind == RUN:
            note = "A NetLab run folder: its model.keras, its classes.json." if text else \
                f"No run with a model in {self.runs_root}: train one, or choose a folder."
        else:
            note = "Any .keras classifier (Sequential, functional, or with a nested backbone)."
        self.source_note.setText(note)

    def _choose_source(self) -> None:
        start = str(self.runs_root or "")
        if self.kind.currentText() == RUN:
            path = QFileDialog.getExistingDirectory(self, "A NetLab run folder", start)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "A Keras model", start, "Keras models (*.keras)")
        if path:
            self.source.setCurrentText(path)

    # -- the freeze cut ---------------------------------------------------------------
    def _cut_value(self, freeze: str) -> int | None:
        names = [row.name for row in self._base_rows]
        if freeze == "none":
            return 0
        if freeze == "base":
            return len(names)
        return names.index(freeze) if freeze in names else None

    def _cut_moved(self, value: int) -> None:
        """Everything left of ``value`` frozen: 0 is none, the last position the whole base."""
        if not self._base_rows:
            return
        freeze = "none" if value == 0 else "base" if value >= len(self._base_rows) else self._base_rows[value].name
        self._show_cut(value)
        if freeze != self.freeze.currentText():
            self.freeze.setCurrentText(freeze)  # bound: the experiment changes, the report follows

    def _cut_at(self, row: int) -> None:
        if row < len(self._base_rows):
            self.cut.setValue(row)

    def _show_cut(self, value: int) -> None:
        n = len(self._base_rows)
        if value == 0:
            text = "nothing frozen: every layer trains"
        elif value >= n:
            text = f"the whole base frozen ({n} layers): the new head alone trains"
        else:
            text = f"{value} layer(s) frozen, from {self._base_rows[value].name} up trainable"
        self.cut_label.setText(text)

    # -- the report ----------------------------------------------------------------
    def request_report(self, experiment) -> None:
        """Rebuild the layer table for ``experiment`` soon (debounced)."""
        if not self.enabled_report:
            return
        source = experiment.finetune.source
        if source is None or not source.strip():
            self._jobs.cancel()
            self._clear()
            self._set_state("Off: the Model tab's architecture trains from scratch." if source is None
                            else "Choose the weights to start from.")
            return
        self._jobs.request(report_job, experiment)

    def _clear(self) -> None:
        self.report = None
        self._base_rows = []
        self.table_model.set_rows([])
        self.total.setText("")
        self.cut_label.setText("")
        self.update_visibility()

    def _set_state(self, text: str, error: bool = False) -> None:
        self.state.setText(text)
        self.state.setStyleSheet(ERROR_STYLE if error else "")

    def _show_report(self, report) -> None:
        self.report = report
        self._base_rows = report.rows[:-1]  # the last row is the new head
        self.table_model.set_rows(report.rows)
        loaded = sum(row.status == "loaded" for row in report.rows)
        self._set_state(f"From {report.source}: {loaded} of {len(report.rows)} layers loaded.")
        self.total.setText(f"<b>{report.trainable_params:,}</b> parameters in trainable layers, "
                           f"{report.frozen_params:,} frozen."
                           + "".join(f"<br>· {note}" for note in report.notes))
        freeze = self.freeze.currentText()
        names = ["base", "none"] + [row.name for row in self._base_rows]
        for widget, current in ((self.freeze, freeze), (self.load_up_to, self.load_up_to.currentText())):
            widget.blockSignals(True)
            widget.clear()
            widget.addItems(names if widget is self.freeze else [ALL_THAT_FIT] + names[2:])
            widget.setCurrentText(current)
            widget.blockSignals(False)
        value = self._cut_value(freeze)
        self.cut.blockSignals(True)
        self.cut.setRange(0, len(self._base_rows))
        if value is not None:
            self.cut.setValue(value)
        self.cut.blockSignals(False)
        if value is not None:
            self._show_cut(value)
        self.update_visibility()
        self.report_ready.emit(report)

    def _report_error(self, text: str) -> None:
        self._clear()
        self._set_state(text, error=True)
        self.report_failed.emit(text)
