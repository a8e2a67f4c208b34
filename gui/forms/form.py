"""A form of bound widgets: load an Experiment into it, store it back, show what applies."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QVBoxLayout, QWidget

from gui.forms.bindings import Binding
from netlab.config.descriptions import setting_help


class Form(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bindings: list[Binding] = []
        self.rows: dict[QWidget, QFormLayout] = {}
        self.box_layout = QVBoxLayout(self)

    def group(self, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        self.box_layout.addWidget(box)
        return form

    def bind(self, form: QFormLayout, label: str, path: str, widget, none_at_minimum=False):
        """``widget`` edits the setting at ``path``; its tooltip is the setting's description
        (netlab.config.descriptions, which the CLI's help reads too)."""
        widget.setToolTip(setting_help(path))
        binding = Binding(path, widget, none_at_minimum)
        self.bindings.append(binding)
        binding.connect(self._on_change)
        form.addRow(label, widget)
        self.rows[widget] = form
        return widget

    def show_row(self, widget, visible: bool) -> None:
        self.rows[widget].setRowVisible(widget, visible)

    def is_row_shown(self, widget) -> bool:
        return self.rows[widget].isRowVisible(widget)

    def load(self, experiment) -> list[str]:
        """Show ``experiment``; returns a note per value a field cannot show (each is kept)."""
        notes = [note for binding in self.bindings if (note := binding.load(experiment))]
        self.update_visibility()
        return notes

    def store(self, experiment) -> None:
        for binding in self.bindings:
            binding.store(experiment)

    def update_visibility(self) -> None:
        """Show only the knobs that apply; forms override."""

    def _on_change(self, *_) -> None:
        self.update_visibility()
        self.changed.emit()
