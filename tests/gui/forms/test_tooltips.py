"""Every knob of the experiment's forms says what it does when the pointer rests on it: a bound
field shows its setting's description (netlab/config/descriptions.py, the CLI's help too), an
architecture's option its registry help."""

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QSlider,
    QTabBar,
    QWidget,
)

from gui.forms.experiment_panel import ExperimentPanel
from gui.forms.run_folder import RunFolderField
from netlab.architectures import all_archs
from netlab.config.descriptions import SETTING_HELP

KNOBS = (QComboBox, QAbstractSpinBox, QAbstractButton, QLineEdit, QSlider)


def knobs(root: QWidget) -> list[QWidget]:
    """The input widgets under ``root``, not the parts of one (a combo box's or spin box's line edit,
    a table's corner button, a tab bar's scroll buttons)."""
    found = [w for w in root.findChildren(QWidget) if isinstance(w, KNOBS)]
    return [w for w in found if not isinstance(w.parent(), (*KNOBS, QTabBar)) and not w.objectName().startswith("qt_")]


def untipped(root: QWidget) -> list[str]:
    return [f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()}"
            for w in knobs(root) if not w.toolTip().strip()]


def test_every_knob_of_every_form_and_every_architecture_option_has_a_tooltip(qtbot):
    panel = ExperimentPanel()
    qtbot.addWidget(panel)
    field = RunFolderField()
    qtbot.addWidget(field)
    panel.set_architectures(all_archs())
    assert len(knobs(panel)) > 60  # the forms' knobs were found, not a few
    assert untipped(panel) == [] and untipped(field) == []
    form = panel.model_form
    seen = 0
    for name in form.specs:  # each architecture's own options, built when it is chosen
        form.arch.setCurrentText(name)
        seen += len(form.option_widgets)
        assert untipped(form.options_box) == [], name
        for key, widget in form.option_widgets.items():
            assert form.specs[name].options[key].help in widget.toolTip()
    assert seen > 10


def test_a_bound_field_shows_its_settings_description_naming_the_paper(qtbot):
    panel = ExperimentPanel()
    qtbot.addWidget(panel)
    bindings = [b for form in panel.forms for b in form.bindings]
    assert {b.path for b in bindings} <= set(SETTING_HELP)
    for binding in bindings:
        assert binding.widget.toolTip() == SETTING_HELP[binding.path]
    assert "Srivastava et al. 2014" in panel.model_form.dropout.toolTip()
    assert "Prechelt 1998" in panel.training_form.early_stopping.toolTip()
