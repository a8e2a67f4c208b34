"""The Statistics tab: batch-norm and activation statistics of the window's current model.

It follows the window's current model (``gui.state.CurrentModel``). A batch of real images (the
training split of the run the model came from, a built-in dataset's
validation split, or a folder the user picks) is loaded in a worker, then
each page computes from it in workers of its own (``LatestJob``: a newer
request aborts the older job). Nothing is computed while the tab is hidden;
showing it catches up. The numbers come from netlab.inspect; the pages only
draw them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.state import CurrentModel
from gui.tabs.activation_stats import ActivationStatsPage
from gui.tabs.bn_stats import BnStatsPage
from gui.widgets.image_batch import ImageBatch
from gui.widgets.when_shown import ComputedWhenShown
from gui.workers import LatestJob
from netlab.inspect import samples
from netlab.runs.run import RunFolder

BUILT_IN = ("digits", "shapes")  # datasets that need no download
DEFAULT_IMAGES = 64
DEBOUNCE_MS = 100


def load_images(model, source: tuple, limit: int, class_names) -> ImageBatch:
    """Worker job: the batch for a source of the combo box."""
    kind, value = source
    if kind == "run":
        return ImageBatch(*samples.run_training_images(model, value, limit, class_names))
    if kind == "folder":
        return ImageBatch(*samples.folder_images(model, value, limit))
    return ImageBatch(*samples.dataset_images(model, value, limit, class_names))


class StatsView(ComputedWhenShown, QWidget):
    images_loaded = Signal(str)  # the description of the batch now used

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.class_names = None
        self.model_source = ""
        self.images: ImageBatch | None = None  # the batch in use
        self._jobs = LatestJob(self, DEBOUNCE_MS, self._images_ready, self._failed,
                               on_start=lambda: self._busy(f"loading images for {self.model_source}..."))

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Images"))
        self.source = QComboBox()
        self.source.setToolTip("The batch the statistics are computed on")
        for name in BUILT_IN:
            self.source.addItem(f"{name} (validation split)", ("dataset", name))
        self.source.currentIndexChanged.connect(lambda _: self.refresh())
        top.addWidget(self.source, 1)
        self.folder_button = QPushButton("Folder...")
        self.folder_button.setToolTip("Use the images of a folder (no labels: no accuracies)")
        self.folder_button.clicked.connect(self._choose_folder)
        top.addWidget(self.folder_button)
        top.addWidget(QLabel("at most"))
        self.count = QSpinBox()
        self.count.setRange(2, 4096)
        self.count.setValue(DEFAULT_IMAGES)
        self.count.setToolTip("Images in the batch (batch statistics need more than a few)")
        self.count.editingFinished.connect(self.refresh)
        top.addWidget(self.count)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        top.addWidget(self.cancel_button)
        layout.addLayout(top)
        status = QHBoxLayout()
        self.state = QLabel("No model yet: train one or open a .keras file.")  # the model and the batch
        self.state.setWordWrap(True)
        status.addWidget(self.state, 1)
        self.progress = QLabel("")  # what is computing now
        self.progress.setStyleSheet("color: #888;")  # grey on a light or a dark window
        status.addWidget(self.progress)
        layout.addLayout(status)

        self.pages = QTabWidget()
        self.bn = BnStatsPage(self)
        self.activations = ActivationStatsPage(self)
        self.pages.addTab(self.bn, "Batch norm")
        self.pages.addTab(self.activations, "Activations")
        layout.addWidget(self.pages, 1)
        for page in (self.bn, self.activations):
            page.busy.connect(self._busy)
            page.done.connect(self._done)

    # -- what to compute on ----------------------------------------------------------
    def set_model(self, current: CurrentModel) -> None:
        """The window's current model; one from a run folder brings that run's training images."""
        self.model, self.class_names, self.model_source = current.model, current.class_names, current.source
        self.images = None
        for page in (self.bn, self.activations):
            page.follow_model(current.model)
        if current.run_dir is not None:
            self.set_run(current.run_dir)  # refreshes
            return
        self.source.blockSignals(True)  # another run's images are not this model's
        self._drop_runs()
        self.source.blockSignals(False)
        self.refresh()

    def _drop_runs(self) -> None:
        for i in reversed(range(self.source.count())):
            if self.source.itemData(i)[0] == "run":
                self.source.removeItem(i)

    def set_run(self, run_dir) -> None:
        """Use the training images of the run in ``run_dir`` as the batch."""
        if run_dir is None or not RunFolder(run_dir).is_run:
            return
        source = ("run", str(run_dir))
        index = self.source.findData(source)
        if index < 0:
            self.source.blockSignals(True)
            self._drop_runs()  # one run at a time: the model's own
            self.source.blockSignals(False)
            self.source.insertItem(0, f"training images of the run {Path(run_dir).name}", source)
            index = 0
        self.source.setCurrentIndex(index)
        self.refresh()

    def use_folder(self, folder: str) -> None:
        source = ("folder", str(folder))
        if self.source.findData(source) < 0:
            self.source.addItem(f"folder {folder}", source)
        self.source.setCurrentIndex(self.source.findData(source))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of images")
        if folder:
            self.use_folder(folder)

    # -- computing -----------------------------------------------------------------------
    def _compute(self) -> None:
        """Load the batch and recompute (refresh(): now if the tab is visible, else when it is shown)."""
        self._jobs.request(load_images, self.model, self.source.currentData(), self.count.value(),
                           self.class_names)

    def cancel(self) -> None:
        """Abort whatever is computing; what is drawn stays."""
        self._jobs.cancel()
        self.bn.cancel()
        self.activations.cancel()
        self._done()

    def _images_ready(self, batch: ImageBatch) -> None:
        self.images = batch
        self.state.setText(f"{self.model_source}: {batch.description}"
                           + ("" if batch.y is not None else " (classes not the model's: no accuracies)"))
        self._done()
        self.images_loaded.emit(batch.description)
        self.bn.compute(self.model, batch)
        self.activations.compute_model(self.model, batch)

    def _failed(self, text: str) -> None:
        self._done()
        self.state.setText(text)

    def _busy(self, text: str) -> None:
        self.cancel_button.setEnabled(True)
        self.progress.setText(text)

    def _done(self, _text: str = "") -> None:
        """A job ended: the progress line clears once none is running."""
        if not any(job.running is not None for job in (self._jobs, *self.bn.jobs, *self.activations.jobs)):
            self.cancel_button.setEnabled(False)
            self.progress.setText("")
