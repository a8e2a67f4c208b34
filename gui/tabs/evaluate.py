"""The Evaluate tab: how the window's current model does on a dataset.

It follows the window's current model (``gui.state.CurrentModel``). The
dataset is the run's own (its validation or test split, the images the run
never trained on) when the model came from a run, or a built-in dataset or an
image folder whose classes are matched to the model's by name. The evaluation
runs in a worker (``netlab.predict.evaluate.evaluate_model``) and is drawn as
a confusion-matrix heat map, a per-class precision/recall table and a gallery
of the most confidently misclassified images; clicking one emits
``open_image`` with it (the Inspect tab shows it).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.state import CurrentModel
from gui.tabs.classifier import _to_pixmap as to_pixmap
from gui.widgets.tables import read_only_table
from gui.workers import run_job
from netlab.base.errors import NetlabError
from netlab.data import source_names
from netlab.runs.run import RunFolder

# The confusion plot (pyqtgraph) and netlab.predict.evaluate (Keras work, in the worker job) are
# imported where used: the window shows before they load (see gui/app.py).

GALLERY_ICON = 72
RUN_DATA = "run"  # the combo's value for "the run's own data"


def _evaluate_job(model, class_names, run_dir, dataset, source, on_progress):
    from netlab.predict.evaluate import evaluate_model

    return evaluate_model(model, class_names, run_dir, dataset, keep_images=True, model_name=source,
                          on_progress=on_progress)


def _run_dataset(run_dir) -> str | None:
    try:
        return str(RunFolder(run_dir).settings().data.dataset)
    except (NetlabError, OSError):
        return None


def mistake_image(array) -> Image.Image:
    """A misclassified sample (uint8, H x W x 1 or 3) as a PIL image."""
    array = np.asarray(array, dtype=np.uint8)
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


class _Relay(QObject):
    progress = Signal(object)


class EvaluateView(QWidget):
    evaluated = Signal(object)  # the report (dict)
    failed = Signal(str)
    open_image = Signal(object)  # a PIL image from the gallery

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = self.class_names = None
        self.source = ""
        self.run_dir: Path | None = None
        self.report = None
        self.images: list = []
        self.job = None
        self._job_id = 0
        self._stale = False
        self._relay = _Relay(self)
        self._relay.progress.connect(self._show_progress)

        layout = QVBoxLayout(self)
        self.source_label = QLabel("No model yet: train one or open a .keras file.")
        self.source_label.setWordWrap(True)
        layout.addWidget(self.source_label)
        layout.addLayout(self._build_data_row())
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m images")
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        self.plot = None  # the heat map, built when first needed: pyqtgraph stays out of the window's start-up
        self.plot_box = QWidget()
        QVBoxLayout(self.plot_box).setContentsMargins(0, 0, 0, 0)
        self.table = read_only_table(["Class", "Precision", "Recall", "F1", "Images"],
                                     resize=QHeaderView.Stretch)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.plot_box)
        splitter.addWidget(self.table)
        splitter.setSizes([420, 280])
        layout.addWidget(splitter, 1)

        layout.addWidget(QLabel("Most confidently misclassified (click one to inspect it):"))
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.IconMode)
        self.gallery.setIconSize(QSize(GALLERY_ICON, GALLERY_ICON))
        self.gallery.setFlow(QListWidget.LeftToRight)
        self.gallery.setWrapping(False)
        self.gallery.setResizeMode(QListWidget.Adjust)
        self.gallery.setFixedHeight(GALLERY_ICON + 56)
        self.gallery.setMovement(QListWidget.Static)
        self.gallery.itemClicked.connect(self._gallery_clicked)
        layout.addWidget(self.gallery)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        layout.addWidget(self.message)
        self._set_buttons()

    def _build_data_row(self) -> QHBoxLayout:
        """The data to evaluate on; Folder..., Evaluate and Cancel."""
        row = QHBoxLayout()
        row.addWidget(QLabel("Data:"))
        self.dataset = QComboBox()
        self.dataset.setToolTip("The run's own held-out images, a built-in dataset or an image folder "
                                "(its classes are matched to the model's by name)")
        self.dataset.setMinimumWidth(200)
        row.addWidget(self.dataset, 1)
        self.folder_button = QPushButton("Folder...")
        self.folder_button.clicked.connect(self._choose_folder)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        for button in (self.folder_button, self.evaluate_button, self.cancel_button):
            row.addWidget(button)
        return row

    # -- model and data ----------------------------------------------------------------
    def set_model(self, current: CurrentModel) -> None:
        """Evaluate the window's current model; one from a run folder offers the run's held-out images."""
        self.cancel()
        self.model, self.class_names, self.source = current.model, current.class_names, current.source
        self.run_dir = current.run_dir
        self.source_label.setText(f"Model: {current.source}")
        folders = [self.dataset.itemData(i) for i in range(self.dataset.count())
                   if self.dataset.itemData(i) not in (RUN_DATA, *source_names())]
        self.dataset.clear()
        own = _run_dataset(self.run_dir) if self.run_dir is not None else None
        if own is not None:
            self.dataset.addItem(f"The run's held-out images ({Path(own).name})", RUN_DATA)
        for name in source_names():
            self.dataset.addItem(name, name)
        for folder in folders:
            self.dataset.addItem(Path(folder).name, folder)
        self.clear_results()
        self._stale = own is not None  # evaluated when the tab is shown: no guessing a dataset
        if self._stale and self.isVisible():
            self.evaluate()
        self._set_buttons()

    def add_folder(self, path: str) -> None:
        index = self.dataset.findData(path)
        if index < 0:
            self.dataset.addItem(Path(path).name, path)
            index = self.dataset.count() - 1
        self.dataset.setCurrentIndex(index)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Evaluate on an image folder (one sub-folder per class)")
        if path:
            self.add_folder(path)
            self.evaluate()

    # -- evaluating ----------------------------------------------------------------------
    def evaluate(self) -> None:
        if self.model is None:
            self._show_error("No model to evaluate: train one or open a .keras model file first.")
            return
        choice = self.dataset.currentData()
        dataset = None if choice == RUN_DATA else choice
        run_dir = self.run_dir if choice == RUN_DATA else None
        self.cancel()
        self._stale = False
        self._job_id += 1
        self.message.setText("")
        self.summary.setText("Evaluating...")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        on_progress = functools.partial(_emit_progress, self._relay.progress, self._job_id)
        self.job = run_job(_evaluate_job, self.model, self.class_names, run_dir, dataset,
                           self.source or "the model", on_progress,
                           on_result=functools.partial(self._show_result, self._job_id),
                           on_error=functools.partial(self._failed, self._job_id),
                           on_abort=functools.partial(self._cancelled, self._job_id), owner=self)
        self._set_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.abort()
            self.job = None
            self._set_buttons()

    def _show_progress(self, item) -> None:
        job_id, done, total = item
        if job_id == self._job_id and total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _show_result(self, job_id, result) -> None:
        if job_id != self._job_id:
            return
        self.job = None
        self.progress.setVisible(False)
        self._set_buttons()
        self.show_evaluation(result.report, result.images)

    def show_evaluation(self, report: dict, images) -> None:
        """Draw a report of ``evaluate_model`` (and the images of its misclassified list)."""
        self.report, self.images = report, list(images)
        self.summary.setText(f"Accuracy {report['accuracy']:.1%} · loss {report['loss']:.3f} on "
                             f"{report['samples']:,} {report['split']} images of {Path(str(report['dataset'])).name}"
                             + (f" · {report['note']}" if report.get("note") else ""))
        self.confusion_plot().set_matrix(report["confusion_matrix"], report["class_names"])
        rows = report["per_class"]
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [row["class"], *(f"{row[k]:.1%}" if row[k] is not None else "-"
                                     for k in ("precision", "recall", "f1")), str(row["support"])]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
        self.gallery.clear()
        for mistake, array in zip(report["misclassified"], self.images, strict=False):
            image = mistake_image(array)
            shown = image.resize((GALLERY_ICON, GALLERY_ICON),
                                 Image.Resampling.NEAREST if image.width < GALLERY_ICON else Image.Resampling.BILINEAR)
            item = QListWidgetItem(QIcon(to_pixmap(shown)),
                                   f"{mistake['true']} → {mistake['predicted']}\n{mistake['confidence']:.0%}")
            item.setToolTip(f"#{mistake['index']}: a {mistake['true']} taken for a {mistake['predicted']} "
                            f"with probability {mistake['confidence']:.1%}" +
                            (f"\n{mistake['file']}" if "file" in mistake else ""))
            item.setData(Qt.UserRole, image)
            self.gallery.addItem(item)
        self.evaluated.emit(report)

    def clear_results(self) -> None:
        self.report, self.images = None, []
        self.summary.setText("")
        if self.plot is not None:
            self.plot.clear_matrix()
        self.table.setRowCount(0)
        self.gallery.clear()

    def confusion_plot(self):
        if self.plot is None:
            from gui.widgets.confusion_plot import ConfusionPlot

            self.plot = ConfusionPlot()
            self.plot_box.layout().addWidget(self.plot)
        return self.plot

    def _gallery_clicked(self, item) -> None:
        self.open_image.emit(item.data(Qt.UserRole))

    def _cancelled(self, job_id, stopped) -> None:
        if job_id == self._job_id:
            self.progress.setVisible(False)
            self.summary.setText("Evaluation cancelled.")

    def _failed(self, job_id, text) -> None:
        if job_id != self._job_id:
            return
        self.job = None
        self.progress.setVisible(False)
        self.summary.setText("")
        self._set_buttons()
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        self.message.setText(text)
        self.failed.emit(text)

    def _set_buttons(self) -> None:
        running = self.job is not None
        self.evaluate_button.setEnabled(self.model is not None and not running)
        self.cancel_button.setEnabled(running)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self.model is not None and self.job is None:
            self.evaluate()


def _emit_progress(signal, job_id, done, total) -> None:
    """Called in the worker thread: hand the progress to the GUI thread."""
    signal.emit((job_id, done, total))
