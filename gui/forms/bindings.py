"""Two-way bindings between form widgets and Experiment fields.

A form lists its widgets once, with the dotted config field each edits; loading
an experiment into the form and reading it back then need no per-field code.

A number field bound to a setting takes its range from ``netlab.config.LIMITS``,
the table ``validate()`` checks, so the window accepts exactly what a JSON
file or the CLI may say. A loaded value the field cannot show (beyond what a
spin box displays, or finer than its decimals: a learning rate of 1e-7) is
kept as loaded, never rounded or clamped, and reported: the field is marked and
``load`` returns a note, until the user types a new value.

An architecture's own options (``model.options``) bind the same way
(:class:`OptionBinding`), their ranges from the registry's option schema,
the one ``validate()`` checks them against.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

from netlab.config import LIMITS, Limit, config_value

# The largest value a field of an open-ended setting displays (a spin box needs one).
DOUBLE_DISPLAY_MAX = 1000.0
INT_DISPLAY_MAX = 2**31 - 1
KEPT_STYLE = "background: #fff3cd; color: #000000;"  # pale yellow, dark text in either scheme


def double_box(lo=0.0, hi=1.0, step=0.1, decimals=2, tip="", special=None) -> QDoubleSpinBox:
    """A number field; bound to a setting (``Form.bind``) its range comes from LIMITS instead."""
    box = QDoubleSpinBox()
    box.setDecimals(decimals)  # before the range: Qt rounds the range to the decimals
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setToolTip(tip)
    if special:  # shown at the minimum, which then means None ("default", "off")
        box.setSpecialValueText(special)
    return box


def int_box(lo=0, hi=INT_DISPLAY_MAX, tip="", special=None) -> QSpinBox:
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


def _set(obj, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def apply_limit(limit: Limit | None, box, none_at_minimum: bool = False) -> None:
    """Give a spin box the range ``limit`` allows (one step below it: None)."""
    if limit is None or not isinstance(box, QSpinBox | QDoubleSpinBox):
        return
    if isinstance(box, QDoubleSpinBox):
        tick = 10.0 ** -box.decimals()  # the smallest step the field shows
        lo = -DOUBLE_DISPLAY_MAX if limit.lo is None else limit.lo + (tick if limit.lo_open else 0.0)
        hi = DOUBLE_DISPLAY_MAX if limit.hi is None else limit.hi - (tick if limit.hi_open else 0.0)
        below = box.singleStep()
    else:
        lo = -INT_DISPLAY_MAX if limit.lo is None else int(limit.lo) + (1 if limit.lo_open else 0)
        # A QSpinBox holds a signed 32-bit int: a larger allowed value (a seed up
        # to 2**32 - 1) is beyond the field and, if loaded, kept and reported.
        hi = INT_DISPLAY_MAX if limit.hi is None else min(int(limit.hi) - (1 if limit.hi_open else 0),
                                                          INT_DISPLAY_MAX)
        below = 1
    box.setRange(lo - below if none_at_minimum else lo, hi)


class Binding:
    """``widget`` edits the config field at ``path`` (e.g. "training.learning_rate").

    ``none_at_minimum``: the widget's minimum (shown as its special text) means None.
    ``limit``: the allowed range, by default ``LIMITS[path]``.
    """

    def __init__(self, path: str, widget: QWidget, none_at_minimum: bool = False, limit: Limit | None = None):
        self.path, self.widget, self.none_at_minimum = path, widget, none_at_minimum
        self.kept = None  # a loaded value the widget cannot show, stored back unchanged
        self._shown = None  # what the widget showed instead
        self._tip = widget.toolTip()
        apply_limit(LIMITS.get(path) if limit is None else limit, widget, none_at_minimum)

    def read(self, experiment):
        return config_value(experiment, self.path)

    def write(self, experiment, value) -> None:
        _set(experiment, self.path, value)

    def load(self, experiment) -> str | None:
        """Show the field's value; a note when the widget cannot show it exactly (it is kept)."""
        value, w = self.read(experiment), self.widget
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
        shown = self._shown_value()
        if value is None or self._same(shown, value):
            self._unmark()
            return None
        self.kept, self._shown = value, shown
        text = w.textFromValue(shown) if isinstance(w, QSpinBox | QDoubleSpinBox) else str(shown)
        w.setStyleSheet(KEPT_STYLE)
        w.setToolTip(f"{self.path} = {value!r} is kept as loaded: this field cannot show it "
                     f"(it shows {text}). A new value typed here replaces it.\n{self._tip}".strip())
        return f"{self.path} = {value!r}"

    def store(self, experiment) -> None:
        if self.kept is not None and self._shown_value() == self._shown:
            self.write(experiment, self.kept)
            return
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
        self.write(experiment, value)

    def connect(self, slot) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            signal = w.currentTextChanged
        elif isinstance(w, QCheckBox):
            signal = w.toggled
        else:
            signal = w.valueChanged
        signal.connect(self._edited)
        signal.connect(slot)

    # -- values the widget cannot show ------------------------------------------------
    def _shown_value(self):
        w = self.widget
        if isinstance(w, QComboBox):
            return w.currentText()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        return w.value()

    def _same(self, shown, value) -> bool:
        if isinstance(self.widget, QComboBox):
            return shown == str(value)
        if isinstance(self.widget, QDoubleSpinBox):
            return math.isclose(shown, value, rel_tol=1e-9, abs_tol=1e-15)
        return shown == value

    def _edited(self, *_) -> None:
        if self.kept is not None and self._shown_value() != self._shown:
            self._unmark()

    def _unmark(self) -> None:
        self.kept = self._shown = None
        self.widget.setStyleSheet("")
        self.widget.setToolTip(self._tip)


class OptionBinding(Binding):
    """``widget`` edits option ``key`` of an architecture (``model.options.KEY``).

    Its range is the option's schema (``Option.minimum``/``maximum``); the
    value shown for a missing key is the option's default (an older name, the
    choice it means), and a value equal to the default is left out of the config.
    """

    def __init__(self, key: str, option, widget: QWidget):
        self.key, self.option = key, option
        number = option.kind in (int, float)
        limit = Limit(option.minimum, option.maximum, lo_open=option.minimum_open) if number else None
        super().__init__(f"model.options.{key}", widget, limit=limit)

    def read(self, experiment):
        return self.option.canonical(experiment.model.options.get(self.key, self.option.default))

    def write(self, experiment, value) -> None:
        if value == self.option.default and type(value) is self.option.kind:
            experiment.model.options.pop(self.key, None)
        else:
            experiment.model.options[self.key] = value
