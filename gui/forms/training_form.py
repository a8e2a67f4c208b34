"""Training settings: optimizer, learning-rate schedule, early stopping, device options."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton

from gui.forms.bindings import check_box, combo_box, double_box, int_box
from gui.forms.form import Form
from netlab.config import MIXED_PRECISIONS, OPTIMIZERS, SCHEDULES


class TrainingForm(Form):
    find_learning_rate = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        # Each bound field's tooltip is its setting's description (netlab/config/descriptions.py).
        form = self.group("Optimizer")
        self.optimizer = self.bind(form, "Optimizer", "training.optimizer", combo_box(OPTIMIZERS))
        self.learning_rate = self.bind(form, "Learning rate", "training.learning_rate",
                                       double_box(step=0.0005, decimals=6))
        self.lr_finder_button = QPushButton("Find a learning rate...")
        self.lr_finder_button.setToolTip("A short sweep of rising rates, loss plotted against rate (Smith 2017)")
        self.lr_finder_button.clicked.connect(self.find_learning_rate)
        form.addRow("", self.lr_finder_button)
        self.momentum = self.bind(form, "Momentum", "training.momentum", double_box(step=0.05, decimals=3))
        self.nesterov = self.bind(form, "Nesterov", "training.nesterov", check_box())
        self.weight_decay = self.bind(form, "Weight decay", "training.weight_decay",
                                      double_box(step=1e-4, decimals=6))
        self.batch_size = self.bind(form, "Batch size", "training.batch_size", int_box())
        self.epochs = self.bind(form, "Epochs", "training.epochs", int_box())

        form = self.group("Learning-rate schedule")
        self.schedule = self.bind(form, "Schedule", "training.schedule", combo_box(SCHEDULES))
        self.decay_rate = self.bind(form, "Decay factor", "training.decay_rate", double_box(step=0.05, decimals=3))
        self.decay_epochs = self.bind(form, "Every (epochs)", "training.decay_epochs", int_box())
        self.warmup_epochs = self.bind(form, "Warm-up epochs", "training.warmup_epochs", int_box())
        self.plateau_patience = self.bind(form, "Plateau patience", "training.plateau_patience",
                                          int_box())
        self.min_learning_rate = self.bind(form, "Floor", "training.min_learning_rate",
                                           double_box(step=1e-5, decimals=6))

        form = self.group("Early stopping (Prechelt 1998)")
        self.early_stopping = self.bind(form, "Stop on val. loss", "training.early_stopping", check_box())
        self.patience = self.bind(form, "Patience", "training.patience", int_box())
        self.restore_best = self.bind(form, "Keep best weights", "training.restore_best", check_box())

        form = self.group("Device")
        self.device_list = QLabel("looking for devices...")
        self.device_list.setWordWrap(True)
        form.addRow("Trains on", self.device_list)
        self.mixed_precision = self.bind(form, "Mixed precision", "training.mixed_precision",
                                         combo_box(MIXED_PRECISIONS))
        self.xla = self.bind(form, "XLA", "training.xla", check_box())
        self.tensorboard = self.bind(form, "TensorBoard logs", "training.tensorboard", check_box())
        self.train_eval = self.bind(form, "Inference-mode train", "training.train_eval", check_box())
        self.deterministic = self.bind(form, "Deterministic", "training.deterministic",
                                       check_box())
        self.seed = self.bind(form, "Seed", "training.seed", int_box())
        self.box_layout.addStretch(1)

    def set_devices(self, devices: list[dict]) -> None:
        """What TensorFlow sees; with several GPUs training is mirrored over all of them."""
        gpus = [d["description"] for d in devices if d["type"] == "GPU"]
        if not gpus:
            self.device_list.setText("CPU (no GPU found: mixed precision and XLA bring nothing here)")
        elif len(gpus) == 1:
            self.device_list.setText(f"GPU: {gpus[0]}")
        else:
            self.device_list.setText(f"{len(gpus)} GPUs, mirrored: " + ", ".join(gpus))

    def update_visibility(self) -> None:
        optimizer, schedule = self.optimizer.currentText(), self.schedule.currentText()
        self.show_row(self.momentum, optimizer in ("sgd", "rmsprop"))
        self.show_row(self.nesterov, optimizer == "sgd")
        self.show_row(self.weight_decay, optimizer == "adamw")
        self.show_row(self.decay_rate, schedule in ("step", "exponential", "plateau"))
        self.show_row(self.decay_epochs, schedule in ("step", "exponential"))
        self.show_row(self.warmup_epochs, schedule == "cosine")
        self.show_row(self.plateau_patience, schedule == "plateau")
        self.show_row(self.min_learning_rate, schedule in ("cosine", "plateau"))
        stopping = self.early_stopping.isChecked()
        self.show_row(self.patience, stopping)
        self.show_row(self.restore_best, stopping)
