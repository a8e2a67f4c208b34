"""The form that edits an Experiment: architecture, regularization, data, training."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from netlab.config import NORMALIZATIONS, Experiment
from netlab.data import get_source, source_names

DEFAULT_TEXT = "architecture default"


class ExperimentPanel(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        self.arch = QComboBox()
        self.arch.setToolTip("Architectures from the registry (loading TensorFlow...)")
        self.arch.setEnabled(False)
        self.arch.addItem("loading...")
        form.addRow("Architecture", self.arch)
        self.dropout = QDoubleSpinBox()
        # The minimum shows as "architecture default" (dropout None in the config).
        self.dropout.setRange(-0.05, 0.95)
        self.dropout.setSingleStep(0.05)
        self.dropout.setDecimals(2)
        self.dropout.setSpecialValueText(DEFAULT_TEXT)
        self.dropout.setToolTip("Dropout rate of the classifier head, in [0, 1)")
        form.addRow("Dropout", self.dropout)
        self.norm = QComboBox()
        self.norm.addItems(NORMALIZATIONS)
        self.norm.setToolTip("Normalization after each convolution; 'default' is the paper's")
        form.addRow("Normalization", self.norm)
        layout.addWidget(model_box)

        data_box = QGroupBox("Data")
        form = QFormLayout(data_box)
        self.dataset = QComboBox()
        for name in source_names():
            self.dataset.addItem(name)
            self.dataset.setItemData(self.dataset.count() - 1, get_source(name).description, Qt.ToolTipRole)
        form.addRow("Dataset", self.dataset)
        layout.addWidget(data_box)

        train_box = QGroupBox("Training")
        form = QFormLayout(train_box)
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(5)
        self.learning_rate.setRange(0.00001, 1.0)
        self.learning_rate.setSingleStep(0.0005)
        form.addRow("Learning rate", self.learning_rate)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        form.addRow("Batch size", self.batch_size)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10000)
        form.addRow("Epochs", self.epochs)
        layout.addWidget(train_box)
        layout.addStretch(1)

        self._base = Experiment()
        self.set_experiment(self._base)
        for widget in (self.arch, self.norm, self.dataset):
            widget.currentIndexChanged.connect(self.changed)
        for widget in (self.dropout, self.learning_rate, self.batch_size, self.epochs):
            widget.valueChanged.connect(self.changed)

    def set_architectures(self, names: list[str]) -> None:
        """Fill the architecture list once the registry (Keras) has loaded."""
        wanted = self._base.model.arch
        self.arch.blockSignals(True)
        self.arch.clear()
        self.arch.addItems(names)
        self.arch.setCurrentText(wanted if wanted in names else names[0])
        self.arch.blockSignals(False)
        self.arch.setEnabled(True)
        self.arch.setToolTip("Architectures from the registry")

    def set_experiment(self, exp: Experiment) -> None:
        self._base = exp
        if self.arch.isEnabled():
            self.arch.setCurrentText(exp.model.arch)
        r = exp.regularization
        self.dropout.setValue(self.dropout.minimum() if r.dropout is None else r.dropout)
        self.norm.setCurrentText(r.norm)
        self.dataset.setCurrentText(exp.data.dataset)
        self.learning_rate.setValue(exp.training.learning_rate)
        self.batch_size.setValue(exp.training.batch_size)
        self.epochs.setValue(exp.training.epochs)

    def experiment(self) -> Experiment:
        """The Experiment the form shows (settings it has no widget for are kept)."""
        exp = Experiment.from_dict(self._base.to_dict())
        if self.arch.isEnabled():
            exp.model.arch = self.arch.currentText()
        dropout = self.dropout.value()
        exp.regularization.dropout = None if dropout <= self.dropout.minimum() else round(dropout, 4)
        exp.regularization.norm = self.norm.currentText()
        exp.data.dataset = self.dataset.currentText()
        exp.training.learning_rate = self.learning_rate.value()
        exp.training.batch_size = self.batch_size.value()
        exp.training.epochs = self.epochs.value()
        return exp
