"""The model form's option widgets are the registry's schema, for every option of every architecture."""

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from gui.forms.model_form import ModelForm
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


def test_an_option_value_its_field_cannot_show_is_kept_and_reported(window, tmp_path):
    """A loaded option value beyond its field (finer than its decimals, below its
    open minimum's first step) is kept and reported, never rounded or clamped."""
    exp = Experiment(model=ModelConfig(arch="densenet121", options={"compression": 0.0004, "growth_rate": 12}))
    exp.validate()  # a value the config accepts: (0, 1]
    exp.save(tmp_path / "edge.json")
    window.load_experiment(str(tmp_path / "edge.json"))
    assert "model.options.compression = 0.0004" in window.error.text()
    assert "growth_rate" not in window.error.text()  # 12 is shown as it is
    widget = window.panel.model_form.option_widgets["compression"]
    assert widget.styleSheet() and "kept as loaded" in widget.toolTip()
    window.save_experiment(str(tmp_path / "again.json"))
    assert Experiment.load(tmp_path / "again.json") == exp
    widget.setValue(0.25)  # a value typed in replaces the kept one
    assert window.panel.experiment().model.options == {"compression": 0.25, "growth_rate": 12}
    assert not widget.styleSheet()


def test_options_loaded_before_the_registry_are_kept_and_reported(qtbot):
    form = ModelForm()
    qtbot.addWidget(form)
    notes = form.set_architectures(all_archs(), "googlenet", {"aux_weight": 0.12345, "stem": "cifar"})
    assert notes == ["model.options.aux_weight = 0.12345"]
    assert form.option_widgets["aux_weight"].value() == pytest.approx(0.123)
    out = Experiment()
    form.store(out)
    assert out.model.options == {"aux_weight": 0.12345, "stem": "small"}
