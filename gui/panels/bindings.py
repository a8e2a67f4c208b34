"""Two-way bindings between form widgets and Experiment fields.

A form lists its widgets once, with the dotted config field each edits; loading
an experiment into the form and reading it back then need no per-field code.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget


def double_box(lo, hi, step, decimals, tip="", special=None) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setToolTip(tip)
    if special:  # shown at the minimum, which then means None ("default", "off")
        box.setSpecialValueText(special)
    return box


def int_box(lo, hi, tip="", special=None) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setToolTip(tip)
    if special:
        box.setSpecialValueText(special)
    return box


def combo_box(items, tip="") -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    box.setToolTip(tip)
    return box


def check_box(tip="") -> QCheckBox:
    box = QCheckBox()
    box.setToolTip(tip)
    return box


def _get(obj, path: str):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _set(obj, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part)
    setattr(obj, last, value)


class Binding:
    """``widget`` edits the config field at ``path`` (e.g. "training.learning_rate").

    ``none_at_minimum``: the widget's minimum (shown as its special text) means None.
    """

    def __init__(self, path: str, widget: QWidget, none_at_minimum: bool = False):
        self.path, self.widget, self.none_at_minimum = path, widget, none_at_minimum

    def load(self, experiment) -> None:
        value, w = _get(experiment, self.path), self.widget
        w.blockSignals(True)
        if isinstance(w, QComboBox):
            if w.isEditable() and w.findText(str(value)) < 0:
                w.addItem(str(value))
            w.setCurrentText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif value is None and self.none_at_minimum:
            w.setValue(w.minimum())
        else:
            w.setValue(value)
        w.blockSignals(False)

    def store(self, experiment) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            value = w.currentText()
        elif isinstance(w, QCheckBox):
            value = w.isChecked()
        elif self.none_at_minimum and w.value() <= w.minimum():
            value = None
        elif isinstance(w, QDoubleSpinBox):
            value = round(w.value(), w.decimals())
        else:
            value = w.value()
        _set(experiment, self.path, value)

    def connect(self, slot) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            w.currentTextChanged.connect(slot)
        elif isinstance(w, QCheckBox):
            w.toggled.connect(slot)
        else:
            w.valueChanged.connect(slot)
