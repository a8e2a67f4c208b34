"""The Classify tab's table: one row per file classified, its thumbnail and its top-k classes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from gui.tabs.classifier import TOP
from gui.tabs.classifier import _to_pixmap as to_pixmap


class PredictionTable(QAbstractTableModel):
    """FileResults as rows: file (with its thumbnail), top-k, the single crop under TTA."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.results = []
        self.tta = False
        self._icons: dict[int, QIcon] = {}

    def reset(self, tta: bool) -> None:
        self.beginResetModel()
        self.results, self.tta, self._icons = [], tta, {}
        self.endResetModel()

    def append(self, results) -> None:
        if not results:
            return
        first = len(self.results)
        self.beginInsertRows(QModelIndex(), first, first + len(results) - 1)
        self.results.extend(results)
        self.endInsertRows()

    def headers(self) -> list[str]:
        return ["File", *(f"Top {k}" for k in range(1, TOP + 1)), *(["Single crop"] if self.tta else [])]

    def rowCount(self, parent=None) -> int:  # noqa: N802 - Qt's name
        return 0 if parent is not None and parent.isValid() else len(self.results)

    def columnCount(self, parent=None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self.headers())

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.headers()[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        result, column = self.results[index.row()], index.column()
        if column == 0:
            if role == Qt.DisplayRole:
                return Path(result.path).name
            if role == Qt.ToolTipRole:
                return result.path
            if role == Qt.DecorationRole and result.thumbnail is not None:
                return self._icon(index.row(), result.thumbnail)
            return None
        if result.error:
            if column == 1 and role in (Qt.DisplayRole, Qt.ToolTipRole):
                return result.error
            if role == Qt.ForegroundRole:
                return QColor("#b00020")
            return None
        predictions = result.top if column <= TOP else result.single[:1]
        k = column - 1 if column <= TOP else 0
        if role == Qt.DisplayRole and k < len(predictions):
            return f"{predictions[k].label}  {predictions[k].probability:.1%}"
        return None

    def _icon(self, row: int, thumbnail) -> QIcon:
        if row not in self._icons:  # drawn once, when the row first scrolls into view
            self._icons[row] = QIcon(to_pixmap(thumbnail))
        return self._icons[row]
