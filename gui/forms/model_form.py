"""Architecture and regularization: every knob of the config, each shown where it applies.

The group count shows with group norm, momentum with batch norm, alpha with
leaky ReLU/ELU, and an architecture's own options (from the registry) with
that architecture: one widget per option of the registry's schema (a check box,
a spin box over the option's range, or a combo box of its choices), so the
form keeps no list of its own. Each is bound like the generic fields
(:class:`~gui.forms.bindings.OptionBinding`): a loaded value it cannot show
is kept and reported, never clamped or rounded.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from gui.forms.bindings import OptionBinding, check_box, combo_box, double_box, int_box
from gui.forms.form import Form
from netlab.config import ACTIVATIONS, HEADS, INITIALIZERS, NORMALIZATIONS, POOLINGS, Experiment, ModelConfig
from netlab.config.descriptions import setting_help

FLOAT_OPTION_DECIMALS = 3


def option_widget(option, tip: str = "") -> QWidget:
    """The widget for one registry :class:`~netlab.architectures.Option` (its range: the binding's)."""
    if option.kind is bool:
        return check_box(tip)
    if option.kind is int:
        return int_box(tip=tip)
    if option.kind is float:
        return double_box(step=0.05, decimals=FLOAT_OPTION_DECIMALS, tip=tip)
    return combo_box(option.choices, tip)


class ModelForm(Form):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.specs = {}
        self.option_bindings: dict[str, OptionBinding] = {}
        self.option_widgets: dict[str, QWidget] = {}

        form = self.group("Architecture")
        self.arch = QComboBox()
        self.arch.setToolTip(setting_help("model.arch"))
        self.arch.setEnabled(False)
        self.arch.addItem("loading...")
        form.addRow("Architecture", self.arch)
        self.arch_info = QLabel("")
        self.arch_info.setWordWrap(True)
        self.arch_info.setStyleSheet("color: #888;")  # grey on a light or a dark window
        form.addRow(self.arch_info)
        # Each bound field's tooltip is its setting's description (netlab/config/descriptions.py).
        self.head = self.bind(form, "Head", "model.head", combo_box(HEADS))
        self.pooling = self.bind(form, "Pooling", "model.pooling", combo_box(POOLINGS))
        self.options_box = QWidget()
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.options_box)

        self.reg_form = form = self.group("Regularization")
        self.dropout = self.bind(form, "Dropout", "regularization.dropout", double_box(
            step=0.05, decimals=2, special="architecture default"), none_at_minimum=True)
        self.spatial_dropout = self.bind(form, "Spatial dropout", "regularization.spatial_dropout", double_box(
            step=0.05, decimals=2, special="off"))
        self.norm = self.bind(form, "Normalization", "regularization.norm", combo_box(NORMALIZATIONS))
        self.groups = self.bind(form, "Groups", "regularization.groups", int_box())
        self.bn_momentum = self.bind(form, "BN momentum", "regularization.bn_momentum", double_box(
            step=0.01, decimals=3))
        self.bn_epsilon = self.bind(form, "Norm epsilon", "regularization.bn_epsilon", double_box(
            step=1e-4, decimals=6))
        self.activation = self.bind(form, "Activation", "regularization.activation", combo_box(ACTIVATIONS))
        self.activation_alpha = self.bind(form, "Alpha", "regularization.activation_alpha", double_box(
            step=0.01, decimals=3, special="usual"), none_at_minimum=True)
        self.initializer = self.bind(form, "Initializer", "regularization.initializer", combo_box(INITIALIZERS))
        self.l1 = self.bind(form, "L1", "regularization.l1", double_box(step=1e-5, decimals=6))
        self.l2 = self.bind(form, "L2", "regularization.l2", double_box(step=1e-4, decimals=6))
        self.box_layout.addStretch(1)
        self.arch.currentTextChanged.connect(self._arch_changed)

    # -- architectures -------------------------------------------------------------
    def set_architectures(self, specs, wanted: str, options: dict) -> list[str]:
        """Offer ``specs``, showing ``wanted`` with ``options``; a note per option value kept unshown."""
        self.specs = {spec.name: spec for spec in specs}
        self.arch.blockSignals(True)
        self.arch.clear()
        self.arch.addItems(list(self.specs))
        self.arch.setCurrentText(wanted if wanted in self.specs else next(iter(self.specs)))
        self.arch.blockSignals(False)
        self.arch.setEnabled(True)
        return self._show_arch(self.arch.currentText(), options)

    def _arch_changed(self, name: str) -> None:
        self._show_arch(name, {})
        self._on_change()

    def _show_arch(self, name: str, options: dict) -> list[str]:
        spec = self.specs.get(name)
        if spec is None:
            return []
        size = "x".join(map(str, spec.default_input))
        self.arch_info.setText(f"{spec.family} · {spec.paper}\npaper input {size}, smallest {spec.min_input}")
        notes = self._build_options(spec, options)
        self.update_visibility()
        return notes

    def _build_options(self, spec, values: dict) -> list[str]:
        """One bound widget per option, showing ``values``; a note per value one cannot show (kept)."""
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.option_bindings, self.option_widgets = {}, {}
        shown = Experiment(model=ModelConfig(arch=spec.name, options=dict(values)))
        notes = []
        for key, option in spec.options.items():
            widget = option_widget(option, f"{option.help}\nmodel.options.{key} of {spec.name} "
                                           f"(paper default: {option.default})")
            binding = OptionBinding(key, option, widget)
            if note := binding.load(shown):
                notes.append(note)
            binding.connect(self._on_change)
            self.options_form.addRow(key.replace("_", " ").capitalize(), widget)
            self.option_bindings[key], self.option_widgets[key] = binding, widget
        self.options_box.setVisible(bool(self.option_widgets))
        return notes

    def _option_values(self) -> dict:
        """Only the options that differ from the architecture's defaults (a kept value as loaded)."""
        stored = Experiment(model=ModelConfig(arch=self.arch.currentText()))
        for binding in self.option_bindings.values():
            binding.store(stored)
        return stored.model.options

    # -- experiment ------------------------------------------------------------------
    def load(self, experiment) -> list[str]:
        notes = super().load(experiment)
        if self.arch.isEnabled():
            self.arch.blockSignals(True)
            self.arch.setCurrentText(experiment.model.arch)
            self.arch.blockSignals(False)
            notes += self._show_arch(experiment.model.arch, experiment.model.options)
        return notes

    def store(self, experiment) -> None:
        super().store(experiment)
        if self.arch.isEnabled():
            experiment.model.arch = self.arch.currentText()
            experiment.model.options = self._option_values()

    def update_visibility(self) -> None:
        spec = self.specs.get(self.arch.currentText())
        norm = self.norm.currentText()
        if norm == "default":
            norm = spec.default_norm if spec else "batch"
        self.show_row(self.groups, norm == "group")
        self.show_row(self.bn_momentum, norm == "batch")
        self.show_row(self.bn_epsilon, norm != "none")
        self.show_row(self.activation_alpha, self.activation.currentText() in ("leaky_relu", "elu"))
