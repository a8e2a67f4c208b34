"""Data settings: source (a built-in set or an image folder), split, preprocessing,
augmentation with a live preview of what the network will be shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from gui.forms.bindings import check_box, combo_box, double_box, int_box
from gui.forms.form import Form
from gui.settings import last_folder, remember_folder
from gui.workers import LatestJob
from netlab.config import PREPROCESSINGS, validate_data
from netlab.data import get_source, source_names
from netlab.data.preview import sample_image

# netlab.data.preprocessing (Keras layers) is imported in the worker job: the window shows before it
# loads (see gui/app.py).

PREVIEW_COUNT = 8
PREVIEW_TILE = 64


def _preview_job(data_config, seed):
    """Worker-thread job: one sample image and its augmented versions (no Qt here).

    The data settings are checked first, as Train checks them (``validate_data``): a value
    Train refuses is the same one line here, never drawn with.
    """
    from netlab.data.preprocessing import augmentation_preview

    validate_data(data_config)
    return augmentation_preview(sample_image(data_config), data_config, n=PREVIEW_COUNT, seed=seed)


def grid_pixmap(images: np.ndarray, tile: int = PREVIEW_TILE, columns: int = 4) -> QPixmap:
    """(n, H, W, C) pixels in [0, 255] as a grid of tiles, nearest-neighbour enlarged."""
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.full((rows * (h + 1), columns * (w + 1), 3), 255, np.uint8)
    for k, image in enumerate(np.clip(images, 0, 255).astype(np.uint8)):
        r, col = divmod(k, columns)
        grid[r * (h + 1):r * (h + 1) + h, col * (w + 1):col * (w + 1) + w] = (
            np.repeat(image, 3, axis=-1) if c == 1 else image)
    height, width = grid.shape[:2]
    qimage = QImage(grid.tobytes(), width, height, 3 * width, QImage.Format_RGB888).copy()
    scale = max(1, tile // max(h, w))
    return QPixmap.fromImage(qimage).scaled(width * scale, height * scale, Qt.KeepAspectRatio,
                                            Qt.FastTransformation)


class DataForm(Form):
    preview_ready = Signal()
    preview_failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        form = self.group("Source")
        # Each bound field's tooltip is its setting's description (netlab/config/descriptions.py).
        self.dataset = combo_box(source_names())
        self.dataset.setEditable(True)
        for i, name in enumerate(source_names()):
            self.dataset.setItemData(i, get_source(name).description, Qt.ToolTipRole)
        self.bind(form, "Dataset", "data.dataset", self.dataset)
        self.folder_button = QPushButton("Image folder...")
        self.folder_button.setToolTip("Choose a folder with one sub-folder of images per class")
        self.folder_button.clicked.connect(self._choose_folder)
        form.addRow("", self.folder_button)
        self.image_size = self.bind(form, "Image size", "data.image_size", int_box(
            special="dataset's own"), none_at_minimum=True)
        self.channels = self.bind(form, "Channels", "data.channels", int_box(
            special="dataset's own"), none_at_minimum=True)
        self.samples = self.bind(form, "Shapes to draw", "data.samples", int_box())
        self.max_samples = self.bind(form, "Use at most", "data.max_samples", int_box(
            special="all images"), none_at_minimum=True)

        form = self.group("Split (seeded, stratified)")
        self.validation_split = self.bind(form, "Validation", "data.validation_split",
                                          double_box(step=0.05, decimals=2))
        self.test_split = self.bind(form, "Test", "data.test_split", double_box(step=0.05, decimals=2))
        self.seed = self.bind(form, "Seed", "data.seed", int_box())

        form = self.group("Preprocessing")
        self.preprocessing = self.bind(form, "Inputs", "data.preprocessing", combo_box(
            PREPROCESSINGS))

        self._add_augmentation(self.group("Augmentation, training only (Krizhevsky et al. 2012)"))
        self.box_layout.addStretch(1)

        self._preview_seed = 0
        self._preview_config = None
        self._jobs = LatestJob(self, 300, self._show_preview, self._preview_error,
                               on_start=lambda: self.preview_note.setText("drawing..."))
        self.enabled_preview = False  # turned on once TensorFlow has loaded

    def _add_augmentation(self, form) -> None:
        """The augmentation knobs and a preview of one draw of them."""
        self.flip = self.bind(form, "Horizontal flip", "data.augmentation.flip", check_box())
        self.crop = self.bind(form, "Random crop (px)", "data.augmentation.crop", double_box(
            step=1.0, decimals=2))
        self.rotation = self.bind(form, "Rotation (deg)", "data.augmentation.rotation",
                                  double_box(step=5.0, decimals=1))
        self.zoom = self.bind(form, "Zoom", "data.augmentation.zoom", double_box(step=0.05, decimals=2))
        self.contrast = self.bind(form, "Contrast", "data.augmentation.contrast", double_box(step=0.05, decimals=2))
        self.translation = self.bind(form, "Translation", "data.augmentation.translation",
                                     double_box(step=0.05, decimals=2))
        self.preview = QLabel("")
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview_note = QLabel("")
        self.preview_note.setWordWrap(True)
        reshuffle = QPushButton("Another draw")
        reshuffle.setToolTip("Draw the augmentation again with another seed")
        reshuffle.clicked.connect(self._another_draw)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.preview_note, 1)
        row_layout.addWidget(reshuffle)
        form.addRow(self.preview)
        form.addRow(row)

    def update_visibility(self) -> None:
        self.show_row(self.samples, self.dataset.currentText() == "shapes")

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "A folder with one sub-folder of images per class",
                                                last_folder("datasets"))
        if path:
            remember_folder("datasets", str(Path(path).parent))
            self.dataset.setCurrentText(path)

    # -- preview -------------------------------------------------------------------
    def request_preview(self, data_config) -> None:
        if not self.enabled_preview:
            return
        if data_config == self._preview_config and self.preview.pixmap() is not None \
                and not self.preview.pixmap().isNull():
            return
        self._preview_config = data_config
        self._start_preview()

    def _another_draw(self) -> None:
        self._preview_seed += 1
        self._start_preview()

    def _start_preview(self) -> None:
        if self._preview_config is not None:
            self._jobs.request(_preview_job, self._preview_config, self._preview_seed)

    def _show_preview(self, images) -> None:
        self.preview.setPixmap(grid_pixmap(images))
        active = self._preview_config.augmentation.active()
        self.preview_note.setText(f"{len(images)} random draws of one training image"
                                  if active else "Augmentation is off: every draw is the image itself")
        self.preview_ready.emit()

    def _preview_error(self, text: str) -> None:
        self.preview.clear()
        self.preview_note.setText(text)
        self.preview_failed.emit(text)
