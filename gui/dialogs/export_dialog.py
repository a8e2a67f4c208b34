"""The Runs tab's Export dialog: which model of the run, which format, where to write it.

It gathers the request and checks where it goes before it closes (the core's
``check_out``): a missing path, a wrong suffix or a run's folder is said in the
dialog, and a file already there is replaced only after a question naming it
(``ask_replace``; "No" keeps the dialog open for another path). The Runs tab
runs the export (``netlab.predict.export``) in a worker and shows its parity line or its error.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from netlab.base.errors import ExportError
from netlab.predict.export import FORMATS, TOLERANCES, check_out, replaces
from netlab.runs.run import RunFolder

FORMAT_LABELS = {
    "keras": "Keras (.keras)",
    "savedmodel": "TensorFlow SavedModel (folder)",
    "tflite": "TensorFlow Lite (.tflite)",
    "onnx": "ONNX (.onnx)",
}
EXPORT_FOLDER = "export"  # default place: RUN/export/model.<ext>


def default_out(run_path: Path, fmt: str) -> Path:
    suffix = FORMATS[fmt]
    return Path(run_path) / EXPORT_FOLDER / (f"model{suffix}" if suffix else "saved_model")


class ExportDialog(QDialog):
    def __init__(self, run_path: Path, parent=None):
        super().__init__(parent)
        self.run_path = Path(run_path)
        self.setWindowTitle(f"Export {self.run_path.name}")
        self.format = QComboBox()
        for fmt in FORMATS:
            self.format.addItem(FORMAT_LABELS[fmt], fmt)
        self.out = QLineEdit(str(default_out(self.run_path, "keras")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QWidget()
        row = QHBoxLayout(where)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        self.best = QCheckBox("its best.keras (lowest validation loss), not model.keras")
        self.best.setEnabled(RunFolder(self.run_path).best_path.is_file())
        self.check = QLabel("")
        self.check.setWordWrap(True)
        self.problem = QLabel("")  # why the path cannot be written to, shown instead of closing
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.replace = False  # the person answered Yes to replacing the file at the path
        self.format.currentIndexChanged.connect(self._format_changed)
        self.out.textChanged.connect(lambda: self.problem.setText(""))

        form = QFormLayout(self)
        form.addRow("Format:", self.format)
        form.addRow("Write to:", where)
        form.addRow("", self.best)
        form.addRow("", self.check)
        form.addRow("", self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._format_changed()

    def chosen_format(self) -> str:
        return self.format.currentData()

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))

    def request(self) -> tuple[str, str, bool]:
        """(format, output path, best)."""
        return self.chosen_format(), self.out.text().strip(), self.best.isChecked()

    def accept(self) -> None:
        """Close only for a path the export may write: said in the dialog otherwise; a file there is
        replaced only when the person says Yes."""
        fmt, out, _ = self.request()
        try:
            path = check_out(out, fmt, overwrite=True)
        except ExportError as exc:
            self.problem.setText(str(exc))
            return
        self.replace = replaces(path, fmt)
        if self.replace and not self.ask_replace(path):
            self.problem.setText(f"{path} is kept as it is; choose another path.")
            return
        super().accept()

    def ask_replace(self, path: Path) -> bool:
        """Whether to replace the file at ``path``: a question naming it, No by default."""
        answer = QMessageBox.question(
            self, "Replace the file?", f"{path} already exists.\n\nReplace it with this export?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    def _format_changed(self) -> None:
        fmt = self.chosen_format()
        # A path still at some format's default follows the format; one the person typed stays.
        defaults = {str(default_out(self.run_path, f)) for f in FORMATS}
        if self.out.text() in defaults:
            self.out.setText(str(default_out(self.run_path, fmt)))
        self.check.setText(f"Checked before it is kept: its outputs on the run's validation images "
                           f"must be within {TOLERANCES[fmt]:g} of the Keras model's.")

    def _browse(self) -> None:
        fmt = self.chosen_format()
        if FORMATS[fmt]:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text(),
                                                  f"{FORMAT_LABELS[fmt]} (*{FORMATS[fmt]})")
        else:
            path = QFileDialog.getExistingDirectory(self, "Export the SavedModel into (a new or empty folder)",
                                                    str(Path(self.out.text()).parent))
        if path:
            self.out.setText(path)
