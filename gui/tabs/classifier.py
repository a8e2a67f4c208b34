"""One image classified, shown large with its top-3 classes as bars: the Classify tab's view of a
single image dropped or opened (several images or a folder: its table).

Loading the image and predicting happen in a worker thread, with the tab's
test-time augmentation and ensemble (``netlab.predict.classify``), so one image
gets the same answer as its row of the table would; the view only shows results.
A file that is not an image, or cannot be decoded, gives one clear message
(``failed``) and leaves the image shown before as it was.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from gui.workers import run_job
from netlab.predict.classify import ensemble, predict_probabilities, top_predictions
from netlab.predict.model import load_image

TOP = 3
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


def _classify(models, path, tta):
    """Worker-thread job: load the image and predict with the ensemble (no Qt here)."""
    image = load_image(path)
    members = ensemble(models)
    with_tta, _single = predict_probabilities(members, [image], tta)
    return path, image, top_predictions(with_tta[0], members[0].class_names, TOP)


def _to_pixmap(image) -> QPixmap:
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format_RGB888).copy()
    return QPixmap.fromImage(qimage)


class SingleImageView(QWidget):
    classified = Signal(list)  # the top-k predictions shown
    image_classified = Signal(str)  # the file just classified (the Inspect tab follows it)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.preview = QLabel("Drop an image here")
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setMinimumSize(200, 200)
        self.preview.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)  # the pixmap follows the view
        self.preview.setStyleSheet("QLabel { border: 2px dashed #999; border-radius: 8px; color: #888; }")
        layout.addWidget(self.preview, 1)
        self.rows = []
        for _ in range(TOP):
            row = QHBoxLayout()
            label = QLabel("")
            label.setMinimumWidth(120)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setFormat("")
            bar.setTextVisible(True)
            row.addWidget(label)
            row.addWidget(bar, 1)
            layout.addLayout(row)
            self.rows.append((label, bar))
        self._pixmap = None
        self._smooth = True

    def classify(self, models, path: str, tta: str) -> None:
        """Classify ``path`` with ``models`` ((model, class names, name) each, averaged) under ``tta``."""
        run_job(_classify, models, path, tta, on_result=self._show_result, on_error=self.failed.emit, owner=self)

    def _show_result(self, result) -> None:
        path, image, predictions = result
        self._pixmap = _to_pixmap(image)
        self._smooth = image.width >= 64  # a digit's 28 pixels stay sharp squares
        self._scale_preview()
        self.preview.setToolTip(str(path))
        for (label, bar), p in zip(self.rows, predictions, strict=False):
            label.setText(p.label)
            bar.setValue(round(p.probability * 1000))
            bar.setFormat(f"{p.probability:.1%}")
        self.classified.emit(predictions)
        self.image_classified.emit(str(path))

    def _scale_preview(self) -> None:
        side = max(min(self.preview.width(), self.preview.height()) - 8, 1)
        mode = Qt.SmoothTransformation if self._smooth else Qt.FastTransformation
        self.preview.setPixmap(self._pixmap.scaled(side, side, Qt.KeepAspectRatio, mode))

    def resizeEvent(self, event) -> None:
        """The image fills the view as the window grows (the tab's space is the window's now)."""
        super().resizeEvent(event)
        if self._pixmap is not None:
            self._scale_preview()

    def results(self) -> list[tuple[str, str]]:
        return [(label.text(), bar.format()) for label, bar in self.rows if label.text()]
