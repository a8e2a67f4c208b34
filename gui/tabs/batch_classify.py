"""The Classify tab: the window's one place for images to classify. Images dropped anywhere on the
window land here (``drop_paths``): one image is shown large with its top-k classes as bars
(gui/tabs/classifier.py), several images or folders fill a table of their top-k classes; a
dropped ``.keras`` file is opened as the window's current model.

Files are decoded and classified in batches in a worker (``netlab.predict.classify``);
each batch reaches the table as it is done, so a folder of thousands fills in
while the progress bar moves, and Cancel stops the job at the next batch.
Test-time augmentation (flip, 10-crop) and an ensemble of further models are
chosen here; the table then shows the single-crop answer beside the averaged one.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.settings import last_folder, remember_folder
from gui.state import CurrentModel
from gui.tabs.classifier import IMAGE_FILTER, TOP, SingleImageView
from gui.tabs.prediction_table import PredictionTable
from gui.widgets.drops import accept_files, dropped_paths
from gui.workers import run_job
from netlab.predict.classify import classify_files, ensemble, open_member, write_csv
from netlab.predict.model import open_model

THUMBNAIL = 40
TTA_CHOICES = (("No augmentation", "none"), ("Flip: image + mirror", "flip"),
               ("10-crop: corners, centre, mirrors", "10crop"))


def _classify_job(models, paths, tta, batch_size, on_batch):
    """Worker-thread job (no Qt): check the ensemble's classes, then classify batch by batch."""
    members = ensemble(models)
    return classify_files(members, paths, top=TOP, tta=tta, batch_size=batch_size,
                          thumbnail=THUMBNAIL, on_batch=on_batch)


def _open_model(path):
    opened = open_model(path)
    return opened.path, opened.model, opened.class_names


def _is_folder(path: str) -> bool:
    try:
        return Path(path).is_dir()
    except OSError:  # a name the file system refuses (too long): classifying it says so
        return False


class _Relay(QObject):
    """Carries the worker's per-batch callback into the GUI thread (a queued signal)."""

    batch = Signal(object)


class BatchClassifyView(QWidget):
    batch_shown = Signal(int, int)  # files done, files in all
    finished = Signal(str)  # "done", "cancelled" or the error text
    failed = Signal(str)
    ensemble_changed = Signal()
    classified = Signal(list)  # one image's top-k predictions, shown large
    image_classified = Signal(str)  # the one image just classified (the Inspect tab follows it)

    def __init__(self, current: CurrentModel | None = None, parent=None):
        """``current``: the window's current model; a model opened here becomes it, and the tab
        follows it (``set_model``) like every tab."""
        super().__init__(parent)
        self.setAcceptDrops(True)
        if current is None:  # a tab on its own (the tests'): it owns its model
            current = CurrentModel()
            current.subscribe(self.set_model)
        self.current = current
        self.model = self.class_names = None
        self.source = ""
        self.extra_models: list[tuple] = []  # (model, class names, name) averaged with the current model
        self.batch_size = 32
        self.job = None
        self._job_id = 0
        self._errors = 0  # files of the table that could not be read
        self._relay = _Relay(self)
        self._relay.batch.connect(self._show_batch)

        layout = QVBoxLayout(self)
        self.source_label = QLabel("No model yet: train one or open a .keras file.")
        self.source_label.setWordWrap(True)
        layout.addWidget(self.source_label)
        layout.addLayout(self._build_inputs())
        layout.addLayout(self._build_ensemble())
        self.single = SingleImageView()
        self.single.classified.connect(self._single_shown)
        self.single.failed.connect(self._show_error)
        self.single.image_classified.connect(self.image_classified)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_table())
        self.pages.addWidget(self.single)
        layout.addWidget(self.pages, 1)
        layout.addLayout(self._build_progress())
        self.message = QLabel("Drop images or folders anywhere on the window: one image is shown "
                              "large, several in a table.")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self._show_ensemble()

    def _build_inputs(self) -> QHBoxLayout:
        """Adding images or folders, and the test-time augmentation."""
        row = QHBoxLayout()
        self.add_files_button = QPushButton("Open images...")
        self.add_files_button.setToolTip("Classify one image (shown large) or several (a table)")
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button = QPushButton("Open folder...")
        self.add_folder_button.setToolTip("Classify every image of a folder and its sub-folders")
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.open_model_button = QPushButton("Open model...")
        self.open_model_button.setToolTip("Open a .keras file as the window's model (File > Open model...)")
        self.open_model_button.clicked.connect(self.choose_model)
        self.tta = QComboBox()
        for text, mode in TTA_CHOICES:
            self.tta.addItem(text, mode)
        self.tta.setToolTip("Test-time augmentation: average the softmax over views of each image "
                            "(GoogLeNet's multi-crop); the single-crop answer is shown beside it")
        row.addWidget(self.add_files_button)
        row.addWidget(self.add_folder_button)
        row.addWidget(self.open_model_button)
        row.addWidget(QLabel("TTA:"))
        row.addWidget(self.tta)
        row.addStretch(1)
        return row

    def _build_ensemble(self) -> QHBoxLayout:
        """Further models whose predictions are averaged with the current model's."""
        row = QHBoxLayout()
        self.ensemble_label = QLabel("")
        self.ensemble_label.setWordWrap(True)
        self.add_model_button = QPushButton("Add model to ensemble...")
        self.add_model_button.setToolTip("Average the predictions of another run's model.keras "
                                         "(its classes must be the current model's)")
        self.add_model_button.clicked.connect(self._choose_member)
        self.clear_ensemble_button = QPushButton("Clear ensemble")
        self.clear_ensemble_button.clicked.connect(self.clear_ensemble)
        row.addWidget(self.ensemble_label, 1)
        row.addWidget(self.add_model_button)
        row.addWidget(self.clear_ensemble_button)
        return row

    def _build_table(self) -> QTableView:
        """The predictions, one row per image with its thumbnail."""
        self.table_model = PredictionTable(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.table.verticalHeader().setDefaultSectionSize(THUMBNAIL + 4)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setSelectionBehavior(QTableView.SelectRows)
        self.table.setWordWrap(False)
        return self.table

    def _build_progress(self) -> QHBoxLayout:
        """Progress, Cancel and Export CSV."""
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QPushButton("Export CSV...")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._choose_csv)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.export_button)
        return row

    # -- models --------------------------------------------------------------------
    def set_model(self, current: CurrentModel) -> None:
        """Classify with the window's current model."""
        self.cancel()
        self.model, self.class_names, self.source = current.model, current.class_names, current.source
        self.source_label.setText(f"Model: {current.source}")
        self._show_ensemble()

    def open_model(self, path: str) -> None:
        """Open a .keras file or a run's model as the window's current model (in a worker)."""
        self.source_label.setText(f"Loading {Path(path).name}...")
        run_job(_open_model, path, on_result=self._model_opened, on_error=self._open_failed, owner=self)

    def _model_opened(self, result) -> None:
        path, model, class_names = result
        self.current.set(model, class_names, Path(path).name, path)

    def _open_failed(self, text: str) -> None:
        self.source_label.setText(f"Model: {self.source}" if self.model is not None else
                                  "No model yet: train one or open a .keras file.")
        self._show_error(text)

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a Keras model", last_folder("models"),
                                              "Keras models (*.keras)")
        if path:
            remember_folder("models", path)
            self.open_model(path)

    def add_member(self, path: str) -> None:
        run_job(open_member, path, on_result=self._member_loaded, on_error=self._show_error, owner=self)

    def _member_loaded(self, member) -> None:
        self.extra_models.append(member)
        self._show_ensemble()

    def clear_ensemble(self) -> None:
        self.extra_models.clear()
        self._show_ensemble()

    def _show_ensemble(self) -> None:
        names = [name for _, _, name in self.extra_models]
        self.ensemble_label.setText("Ensemble: the current model + " + ", ".join(names) if names else
                                    "Ensemble: none (the current model alone)")
        self.clear_ensemble_button.setEnabled(bool(names))
        self.ensemble_changed.emit()

    def _choose_member(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a model to the ensemble", "", "Keras models (*.keras)")
        if path:
            self.add_member(path)

    # -- classifying -------------------------------------------------------------------
    def drop_paths(self, paths) -> None:
        """Files dropped on the tab or the window: one .keras file opens as the model; one image is
        shown large; several files or a folder fill the table."""
        if not paths:
            self._show_error("Only local files and folders can be dropped here.")
        elif len(paths) > 1 or _is_folder(paths[0]):
            self.classify_paths(paths)
        elif paths[0].endswith(".keras"):
            self.open_model(paths[0])
        else:
            self.classify_image(paths[0])

    def classify_paths(self, paths) -> None:
        """Classify files and folders (recursively) into a fresh table."""
        if self.model is None:
            self._show_error("No model to classify with: train one or open a .keras model file first.")
            return
        self.pages.setCurrentWidget(self.table)
        self.cancel()
        self._job_id += 1
        tta = self.tta.currentData()
        self.table.clearSpans()
        self._errors = 0
        self.table_model.reset(tta != "none")
        self.progress.setRange(0, 0)  # busy until the folders are listed
        self.message.setText("Listing and classifying...")
        on_batch = functools.partial(_emit_batch, self._relay.batch, self._job_id)
        self.job = run_job(_classify_job, self._models(), [str(p) for p in paths], tta, self.batch_size, on_batch,
                           on_result=functools.partial(self._done, self._job_id),
                           on_error=functools.partial(self._failed, self._job_id),
                           on_abort=functools.partial(self._cancelled, self._job_id), owner=self)
        self.cancel_button.setEnabled(True)
        self.export_button.setEnabled(False)

    def classify_image(self, path: str) -> None:
        """One image, shown large with its top-k classes (the tab's TTA and ensemble apply)."""
        if self.model is None:
            self._show_error("No model to classify with: train one or open a .keras model file first.")
            return
        self.message.setText(f"Classifying {Path(path).name}...")
        self.single.classify(self._models(), path, self.tta.currentData())

    def _single_shown(self, predictions) -> None:
        self.cancel()  # a table still filling stops: the image is what was asked for last
        self.pages.setCurrentWidget(self.single)
        self.message.setText("")
        self.classified.emit(predictions)

    def _models(self) -> list[tuple]:
        return [(self.model, self.class_names, self.source or "the current model"), *self.extra_models]

    def cancel(self) -> None:
        """Stop the running job at its next batch; the rows shown so far stay."""
        if self.job is not None:
            self.job.abort()
            self.job = None
            self.cancel_button.setEnabled(False)

    def _show_batch(self, item) -> None:
        job_id, results, done, total = item
        if job_id != self._job_id:
            return  # a batch of a job that was replaced
        first = self.table_model.rowCount()
        self.table_model.append(results)
        for row, result in enumerate(results, first):
            if result.error:  # the reason across the class columns, not cut off in one
                self.table.setSpan(row, 1, 1, self.table_model.columnCount() - 1)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self._errors += sum(1 for r in results if r.error)
        errors = self._errors
        self.message.setText(f"{done:,} of {total:,} files" + (f" · {errors} could not be read" if errors else ""))
        self.export_button.setEnabled(True)
        self.batch_shown.emit(done, total)

    def _done(self, job_id, results) -> None:
        if job_id != self._job_id:
            return
        self.job = None
        self.cancel_button.setEnabled(False)
        if not results:
            self.progress.setRange(0, 1)
        errors = sum(1 for r in results if r.error)
        self.message.setText(f"{len(results):,} files classified" +
                             (f"; {errors} could not be read (their rows say why)" if errors else "."))
        self.finished.emit("done")

    def _cancelled(self, job_id, stopped) -> None:
        if job_id != self._job_id:
            return
        self.progress.setRange(0, max(self.progress.maximum(), 1))
        self.message.setText(f"Cancelled after {len(self.table_model.results):,} files.")
        self.finished.emit("cancelled")

    def _failed(self, job_id, text) -> None:
        if job_id != self._job_id:
            return
        self.job = None
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self._show_error(text)
        self.finished.emit(text)

    def _show_error(self, text: str) -> None:
        self.message.setText(text)
        self.failed.emit(text)

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Classify images", "", IMAGE_FILTER)
        if len(paths) == 1:
            self.classify_image(paths[0])
        elif paths:
            self.classify_paths(paths)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Classify the images of a folder")
        if path:
            self.classify_paths([path])

    # -- CSV -------------------------------------------------------------------------
    def export_csv(self, path: str) -> bool:
        try:
            write_csv(self.table_model.results, path, TOP)
        except OSError as exc:
            self._show_error(f"could not write {path}: {exc.strerror or exc}")
            return False
        self.message.setText(f"{len(self.table_model.results):,} rows written to {path}")
        return True

    def _choose_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the table", "predictions.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    # -- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        accept_files(event)

    def dropEvent(self, event) -> None:
        self.drop_paths(dropped_paths(event))


def _emit_batch(signal, job_id, results, done, total) -> None:
    """Called in the worker thread: hand the batch to the GUI thread."""
    signal.emit((job_id, results, done, total))
