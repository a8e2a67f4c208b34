"""The form that edits an Experiment: architecture and its knobs, data, training.

Every regularization knob of the config is here; a knob shows only where it
applies (group count with group norm, momentum/epsilon with batch norm, alpha
with leaky ReLU/ELU, an architecture's own options with that architecture).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from netlab.config import ACTIVATIONS, HEADS, INITIALIZERS, NORMALIZATIONS, POOLINGS, Experiment
from netlab.data import get_source, source_names

DEFAULT_TEXT = "architecture default"
STEM_CHOICES = ("auto", "imagenet", "small")


def _double(lo, hi, step, decimals, tip="", special=None):
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setToolTip(tip)
    if special:
        box.setSpecialValueText(special)
    return box


def _combo(items, tip=""):
    box = QComboBox()
    box.addItems(items)
    box.setToolTip(tip)
    return box


def _int(lo, hi, tip="", special=None):
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setToolTip(tip)
    if special:
        box.setSpecialValueText(special)
    return box


class ExperimentPanel(QScrollArea):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.specs = {}
        self.option_widgets: dict[str, QWidget] = {}

        model_box = QGroupBox("Model")
        self.model_form = form = QFormLayout(model_box)
        self.arch = QComboBox()
        self.arch.setToolTip("Architectures from the registry (loading TensorFlow...)")
        self.arch.setEnabled(False)
        self.arch.addItem("loading...")
        form.addRow("Architecture", self.arch)
        self.arch_info = QLabel("")
        self.arch_info.setWordWrap(True)
        self.arch_info.setStyleSheet("color: #555;")
        form.addRow(self.arch_info)
        self.head = _combo(HEADS, "Classifier head: the paper's, fully connected layers, or global average pooling")
        form.addRow("Head", self.head)
        self.pooling = _combo(POOLINGS, "Kind of the spatial poolings: the paper's, max or average")
        form.addRow("Pooling", self.pooling)
        self.options_box = QWidget()
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.options_box)
        layout.addWidget(model_box)

        reg_box = QGroupBox("Regularization")
        self.reg_form = form = QFormLayout(reg_box)
        # The minimum shows as "architecture default" (dropout None in the config).
        self.dropout = _double(-0.05, 0.95, 0.05, 2, "Dropout rate of the classifier head, in [0, 1)",
                               DEFAULT_TEXT)
        form.addRow("Dropout", self.dropout)
        self.spatial_dropout = _double(0.0, 0.95, 0.05, 2, "Drops whole feature maps after each stage",
                                       "off")
        form.addRow("Spatial dropout", self.spatial_dropout)
        self.norm = _combo(NORMALIZATIONS, "Normalization after each convolution; 'default' is the paper's")
        form.addRow("Normalization", self.norm)
        self.groups = _int(1, 512, "Number of groups of group normalization")
        form.addRow("Groups", self.groups)
        self.bn_momentum = _double(0.0, 0.999, 0.01, 3, "Momentum of batch norm's moving statistics")
        form.addRow("BN momentum", self.bn_momentum)
        self.bn_epsilon = _double(1e-6, 0.1, 1e-4, 6, "Added to the variance before dividing")
        form.addRow("Norm epsilon", self.bn_epsilon)
        self.activation = _combo(ACTIVATIONS, "Activation after each convolution and FC layer (seeds/002)")
        form.addRow("Activation", self.activation)
        self.activation_alpha = _double(-0.01, 10.0, 0.01, 3, "Leaky ReLU's slope or ELU's alpha", "usual")
        form.addRow("Alpha", self.activation_alpha)
        self.initializer = _combo(INITIALIZERS, "Weight initialization (seeds/002)")
        form.addRow("Initializer", self.initializer)
        self.l1 = _double(0.0, 1.0, 1e-5, 6, "L1 penalty on every kernel (with L2: elastic net)")
        form.addRow("L1", self.l1)
        self.l2 = _double(0.0, 1.0, 1e-4, 6, "L2 penalty on every kernel (weight decay)")
        form.addRow("L2", self.l2)
        layout.addWidget(reg_box)

        data_box = QGroupBox("Data")
        form = QFormLayout(data_box)
        self.dataset = QComboBox()
        for name in source_names():
            self.dataset.addItem(name)
            self.dataset.setItemData(self.dataset.count() - 1, get_source(name).description, Qt.ToolTipRole)
        form.addRow("Dataset", self.dataset)
        self.image_size = _int(0, 1024, "Side of the square images fed to the network", "dataset's own")
        form.addRow("Image size", self.image_size)
        layout.addWidget(data_box)

        train_box = QGroupBox("Training")
        form = QFormLayout(train_box)
        self.learning_rate = _double(0.00001, 1.0, 0.0005, 5)
        form.addRow("Learning rate", self.learning_rate)
        self.batch_size = _int(1, 4096)
        form.addRow("Batch size", self.batch_size)
        self.epochs = _int(1, 10000)
        form.addRow("Epochs", self.epochs)
        layout.addWidget(train_box)
        layout.addStretch(1)
        self.setWidget(body)

        self._base = Experiment()
        self.set_experiment(self._base)
        for widget in (self.arch, self.head, self.pooling, self.norm, self.activation, self.initializer,
                       self.dataset):
            widget.currentIndexChanged.connect(self._on_change)
        for widget in (self.dropout, self.spatial_dropout, self.groups, self.bn_momentum, self.bn_epsilon,
                       self.activation_alpha, self.l1, self.l2, self.image_size, self.learning_rate,
                       self.batch_size, self.epochs):
            widget.valueChanged.connect(self._on_change)
        self.arch.currentTextChanged.connect(self._arch_changed)

    # -- architectures -----------------------------------------------------------
    def set_architectures(self, specs) -> None:
        """Fill the architecture list once the registry (Keras) has loaded."""
        self.specs = {spec.name: spec for spec in specs}
        wanted = self._base.model.arch
        self.arch.blockSignals(True)
        self.arch.clear()
        self.arch.addItems(list(self.specs))
        self.arch.setCurrentText(wanted if wanted in self.specs else next(iter(self.specs)))
        self.arch.blockSignals(False)
        self.arch.setEnabled(True)
        self.arch.setToolTip("Architectures from the registry")
        self._arch_changed(self.arch.currentText(), self._base.model.options)

    def _arch_changed(self, name: str, options: dict | None = None) -> None:
        spec = self.specs.get(name)
        if spec is None:
            return
        size = "x".join(map(str, spec.default_input))
        self.arch_info.setText(f"{spec.family} · {spec.paper}\npaper input {size}, smallest {spec.min_input}")
        self._build_options(spec, options or {})
        self._update_visibility()

    def _build_options(self, spec, values: dict) -> None:
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.option_widgets = {}
        for key, default in spec.options.items():
            value = values.get(key, default)
            if isinstance(default, bool):
                widget = QCheckBox()
                widget.setChecked(bool(value))
                widget.toggled.connect(self._on_change)
            elif isinstance(default, int):
                widget = _int(1, 4096)
                widget.setValue(int(value))
                widget.valueChanged.connect(self._on_change)
            elif isinstance(default, float):
                widget = _double(0.0, 10.0, 0.05, 3)
                widget.setValue(float(value))
                widget.valueChanged.connect(self._on_change)
            else:
                widget = _combo(STEM_CHOICES if key == "stem" else (str(default),))
                widget.setCurrentText(str(value))
                widget.currentIndexChanged.connect(self._on_change)
            widget.setToolTip(f"model.options.{key} of {spec.name} (paper default: {default})")
            self.options_form.addRow(key.replace("_", " ").capitalize(), widget)
            self.option_widgets[key] = widget
        self.options_box.setVisible(bool(self.option_widgets))

    def _option_values(self) -> dict:
        """Only the options that differ from the architecture's defaults."""
        spec = self.specs.get(self.arch.currentText())
        values = {}
        for key, widget in self.option_widgets.items():
            if isinstance(widget, QCheckBox):
                value = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                value = widget.value()
            elif isinstance(widget, QDoubleSpinBox):
                value = round(widget.value(), 6)
            else:
                value = widget.currentText()
            if spec is None or value != spec.options.get(key):
                values[key] = value
        return values

    def _update_visibility(self) -> None:
        """Show a knob only where it applies."""
        spec = self.specs.get(self.arch.currentText())
        norm = self.norm.currentText()
        if norm == "default":
            norm = spec.default_norm if spec else "batch"
        form = self.reg_form
        form.setRowVisible(self.groups, norm == "group")
        form.setRowVisible(self.bn_momentum, norm == "batch")
        form.setRowVisible(self.bn_epsilon, norm != "none")
        form.setRowVisible(self.activation_alpha, self.activation.currentText() in ("leaky_relu", "elu"))

    def _on_change(self, *_) -> None:
        self._update_visibility()
        self.changed.emit()

    # -- experiment <-> widgets ------------------------------------------------------
    def set_experiment(self, exp: Experiment) -> None:
        self._base = exp
        widgets = (self.arch, self.head, self.pooling, self.norm, self.activation, self.initializer,
                   self.dataset, self.dropout, self.spatial_dropout, self.groups, self.bn_momentum,
                   self.bn_epsilon, self.activation_alpha, self.l1, self.l2, self.image_size,
                   self.learning_rate, self.batch_size, self.epochs)
        for widget in widgets:
            widget.blockSignals(True)
        m, r, d, t = exp.model, exp.regularization, exp.data, exp.training
        if self.arch.isEnabled():
            self.arch.setCurrentText(m.arch)
        self.head.setCurrentText(m.head)
        self.pooling.setCurrentText(m.pooling)
        self.dropout.setValue(self.dropout.minimum() if r.dropout is None else r.dropout)
        self.spatial_dropout.setValue(r.spatial_dropout)
        self.norm.setCurrentText(r.norm)
        self.groups.setValue(r.groups)
        self.bn_momentum.setValue(r.bn_momentum)
        self.bn_epsilon.setValue(r.bn_epsilon)
        self.activation.setCurrentText(r.activation)
        alpha = r.activation_alpha
        self.activation_alpha.setValue(self.activation_alpha.minimum() if alpha is None else alpha)
        self.initializer.setCurrentText(r.initializer)
        self.l1.setValue(r.l1)
        self.l2.setValue(r.l2)
        self.dataset.setCurrentText(d.dataset)
        self.image_size.setValue(d.image_size or 0)
        self.learning_rate.setValue(t.learning_rate)
        self.batch_size.setValue(t.batch_size)
        self.epochs.setValue(t.epochs)
        for widget in widgets:
            widget.blockSignals(False)
        if self.arch.isEnabled():
            self._arch_changed(m.arch, m.options)
        self._update_visibility()
        self.changed.emit()

    def experiment(self) -> Experiment:
        """The Experiment the form shows (settings it has no widget for are kept)."""
        exp = Experiment.from_dict(self._base.to_dict())
        m, r, d, t = exp.model, exp.regularization, exp.data, exp.training
        if self.arch.isEnabled():
            m.arch = self.arch.currentText()
            m.options = self._option_values()
        m.head = self.head.currentText()
        m.pooling = self.pooling.currentText()
        dropout = self.dropout.value()
        r.dropout = None if dropout <= self.dropout.minimum() else round(dropout, 4)
        r.spatial_dropout = round(self.spatial_dropout.value(), 4)
        r.norm = self.norm.currentText()
        r.groups = self.groups.value()
        r.bn_momentum = round(self.bn_momentum.value(), 6)
        r.bn_epsilon = self.bn_epsilon.value()
        r.activation = self.activation.currentText()
        alpha = self.activation_alpha.value()
        r.activation_alpha = None if alpha <= self.activation_alpha.minimum() else round(alpha, 6)
        r.initializer = self.initializer.currentText()
        r.l1 = self.l1.value()
        r.l2 = self.l2.value()
        d.dataset = self.dataset.currentText()
        d.image_size = self.image_size.value() or None
        t.learning_rate = self.learning_rate.value()
        t.batch_size = self.batch_size.value()
        t.epochs = self.epochs.value()
        return exp
