"""Drop an image on the network: it is shown with the top-3 classes (several, or a folder:
the Classify tab).

Loading the image, the model and running the prediction happen in a worker
thread; the view only shows results. A file that is not an image, or cannot
be decoded, gives one clear message and changes nothing else.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.settings import last_folder, remember_folder
from gui.state import CurrentModel
from gui.widgets.drops import accept_files, dropped_paths
from gui.workers import run_job
from netlab.predict.model import load_image, open_model, predict_images

TOP = 3
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


def _classify(model, class_names, path):
    """Worker-thread job: load the image and predict (no Qt here)."""
    image = load_image(path)
    return path, image, predict_images(model, [image], class_names, top=TOP)[0]


def _open_model(path):
    opened = open_model(path)
    return opened.path, opened.model, opened.class_names


def _to_pixmap(image) -> QPixmap:
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    qimage = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format_RGB888).copy()
    return QPixmap.fromImage(qimage)


class ClassifierView(QWidget):
    classified = Signal(list)  # the top-k predictions shown
    image_classified = Signal(str)  # the file just classified (the Inspect tab follows it)
    failed = Signal(str)
    # Several files or a folder dropped here: the Classify tab takes them.
    batch_requested = Signal(list)

    def __init__(self, current: CurrentModel, parent=None):
        """``current``: the window's current model; a model opened here becomes it, and the
        view follows it (``set_model``) like every tab."""
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.current = current
        self.model = None
        self.class_names = None

        layout = QVBoxLayout(self)
        self.source = QLabel("No model yet: train one or open a .keras file.")
        self.source.setWordWrap(True)
        layout.addWidget(self.source)
        buttons = QHBoxLayout()
        self.open_image_button = QPushButton("Open image...")
        self.open_image_button.clicked.connect(self._choose_image)
        self.open_model_button = QPushButton("Open model...")
        self.open_model_button.clicked.connect(self.choose_model)
        buttons.addWidget(self.open_image_button)
        buttons.addWidget(self.open_model_button)
        layout.addLayout(buttons)

        self.preview = QLabel("Drop an image here")
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setMinimumSize(200, 200)
        self.preview.setStyleSheet("QLabel { border: 2px dashed #999; border-radius: 8px; color: #666; }")
        layout.addWidget(self.preview, 1)

        self.rows = []
        for _ in range(TOP):
            row = QHBoxLayout()
            label = QLabel("")
            label.setMinimumWidth(90)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setFormat("")
            bar.setTextVisible(True)
            row.addWidget(label)
            row.addWidget(bar, 1)
            layout.addLayout(row)
            self.rows.append((label, bar))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        layout.addWidget(self.message)

    # -- model ---------------------------------------------------------------
    def set_model(self, current: CurrentModel) -> None:
        """Follow the window's current model."""
        self.model = current.model
        self.class_names = current.class_names
        self.source.setText(f"Model: {current.source}")
        self.message.setText("")

    def open_model(self, path: str) -> None:
        self.message.setText("")
        self.source.setText(f"Loading {Path(path).name}...")
        run_job(_open_model, path, on_result=self._model_opened, on_error=self._open_failed, owner=self)

    def _model_opened(self, result) -> None:
        path, model, class_names = result
        self.current.set(model, class_names, Path(path).name, path)

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a Keras model", last_folder("models"),
                                              "Keras models (*.keras)")
        if path:
            remember_folder("models", path)
            self.open_model(path)

    # -- images --------------------------------------------------------------
    def classify(self, path: str) -> None:
        if self.model is None:
            self._show_error("No model to classify with: train one or open a .keras model file first.")
            return
        self.message.setText("")
        run_job(_classify, self.model, self.class_names, path,
                on_result=self._show_result, on_error=self._show_error, owner=self)

    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILTER)
        if path:
            self.classify(path)

    def _show_result(self, result) -> None:
        path, image, predictions = result
        pixmap = _to_pixmap(image)
        side = min(self.preview.width(), self.preview.height()) - 8
        self.preview.setPixmap(pixmap.scaled(side, side, Qt.KeepAspectRatio,
                                             Qt.FastTransformation if image.width < 64 else
                                             Qt.SmoothTransformation))
        self.preview.setToolTip(str(path))
        for (label, bar), p in zip(self.rows, predictions, strict=False):
            label.setText(p.label)
            bar.setValue(round(p.probability * 1000))
            bar.setFormat(f"{p.probability:.1%}")
        self.classified.emit(predictions)
        self.image_classified.emit(str(path))

    def _open_failed(self, text: str) -> None:
        if self.model is None:
            self.source.setText("No model yet: train one or open a .keras file.")
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        self.message.setText(text)
        self.failed.emit(text)

    def results(self) -> list[tuple[str, str]]:
        return [(label.text(), bar.format()) for label, bar in self.rows if label.text()]

    # -- drag and drop ---------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        accept_files(event)

    def dropEvent(self, event) -> None:
        paths = dropped_paths(event)
        if not paths:
            self._show_error("Only local files can be dropped here.")
            return
        path = paths[0]
        try:
            folder = Path(path).is_dir()
        except OSError:  # a name the file system refuses (too long): classifying it says so
            folder = False
        if len(paths) > 1 or folder:
            self.batch_requested.emit(paths)
        elif path.endswith(".keras"):
            self.open_model(path)
        else:
            self.classify(path)
