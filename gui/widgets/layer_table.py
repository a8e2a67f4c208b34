"""The fine-tuning report as a table: one row per layer with weights (ImageNet backbones have
hundreds), so a model over the report's plain rows, not a widget per cell."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QBrush, QColor

from netlab.models.transfer import BN_NOTE, LOADED, MISMATCH

# What the cut moves (state) next to the name: the tab is narrow, the rest scrolls.
COLUMNS = ("#", "layer", "state", "weights", "parameters")
FROZEN_BACKGROUND = QColor("#eef1f5")
STATUS_COLORS = {LOADED: QColor("#1b7a3a"), MISMATCH: QColor("#b00020")}  # "new": the default text colour


def state_text(row) -> str:
    """trainable / frozen, and for a frozen batch norm the mode it runs in (a classic fine-tuning bug)."""
    if row.trainable:
        return "trainable"
    return "frozen, inference mode" if BN_NOTE in row.note else "frozen"


class LayerTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []  # netlab.models.transfer.LayerRow

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent=None) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return COLUMNS[section]
        return None

    def text(self, row: int, column: int) -> str:
        r = self.rows[row]
        return (str(r.index), r.name, state_text(r), r.status, f"{r.params:,}")[column]

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        r, column = self.rows[index.row()], index.column()
        if role == Qt.DisplayRole:
            return self.text(index.row(), column)
        if role == Qt.ToolTipRole:
            return f"{r.name} ({r.kind})" + (f"\n{r.note}" if r.note else "")
        if role == Qt.TextAlignmentRole and column in (0, 4):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and column == 3 and r.status in STATUS_COLORS:
            return QBrush(STATUS_COLORS[r.status])
        if role == Qt.BackgroundRole and not r.trainable:
            return QBrush(FROZEN_BACKGROUND)
        return None
