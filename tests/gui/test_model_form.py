"""The model form's option widgets are the registry's schema, for every option of every architecture."""

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from gui.panels.model_form import ModelForm
from netlab.architectures import all_archs
from netlab.config import Experiment, ModelConfig


@pytest.fixture
def form(qtbot):
    form = ModelForm()
    qtbot.addWidget(form)
    form.set_architectures(all_archs(), "simple_cnn", {})
    return form


def test_the_window_offers_exactly_the_registry_options_and_choices(form):
    for spec in all_archs():
        form.arch.setCurrentText(spec.name)
        assert list(form.option_widgets) == list(spec.options), spec.name
        for key, option in spec.options.items():
            widget, where = form.option_widgets[key], f"{spec.name}.{key}"
            if option.kind is bool:
                assert isinstance(widget, QCheckBox) and widget.isChecked() == option.default, where
            elif option.kind is str:
                assert isinstance(widget, QComboBox), where
                assert [widget.itemText(i) for i in range(widget.count())] == list(option.choices), where
                assert widget.currentText() == option.default, where
            else:
                assert isinstance(widget, QSpinBox if option.kind is int else QDoubleSpinBox), where
                assert widget.value() == option.default, where
                if option.maximum is not None:
                    assert widget.maximum() == option.maximum, where
                if option.minimum is not None:  # an open bound: the smallest step above it
                    assert widget.minimum() == option.minimum or (
                        option.minimum_open and 0 < widget.minimum() - option.minimum <= 0.01), where
            assert option.help in widget.toolTip(), where
        assert form.options_box.isVisibleTo(form) == bool(spec.options)


def test_loaded_options_show_and_come_back(form):
    exp = Experiment(model=ModelConfig(arch="googlenet", options={"aux_classifiers": False, "aux_weight": 0.5,
                                                                  "stem": "cifar"}))
    form.load(exp)
    assert form.option_widgets["stem"].currentText() == "small"  # the older name's meaning
    out = Experiment()
    form.store(out)
    assert out.model.arch == "googlenet"
    assert out.model.options == {"aux_classifiers": False, "aux_weight": 0.5, "stem": "small"}
