"""The form that edits an Experiment: Model | Data | Training | Fine-tune tabs.

Settings the form has no widget for are kept from the experiment it was
given, and so are values a widget cannot show (reported, see
``gui.forms.bindings``), so a JSON file loaded and saved again loses nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QScrollArea, QTabWidget

from gui.forms.data_form import DataForm
from gui.forms.finetune_form import FinetuneForm
from gui.forms.model_form import ModelForm
from gui.forms.training_form import TrainingForm
from netlab.config import Experiment


class _FormScroll(QScrollArea):
    """Scrolls its form up and down; never narrower than the form, so the window's splitter
    cannot squeeze a form under a horizontal scroll bar (QScrollArea's own minimum is tiny)."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        width = (self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                 + 2 * self.frameWidth())
        return QSize(max(hint.width(), width), hint.height())


def _scrolled(widget) -> QScrollArea:
    area = _FormScroll()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.NoFrame)
    area.setWidget(widget)
    return area


class ExperimentPanel(QTabWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model_form = ModelForm()
        self.data_form = DataForm()
        self.training_form = TrainingForm()
        self.finetune_form = FinetuneForm()
        # The fine-tune form stores last: its ImageNet source follows the model's architecture.
        self.forms = (self.model_form, self.data_form, self.training_form, self.finetune_form)
        for form, title in zip(self.forms, ("Model", "Data", "Training", "Fine-tune"), strict=True):
            self.addTab(_scrolled(form), title)
            form.changed.connect(self._changed)
        self._base = Experiment()
        self.set_experiment(self._base)

    @property
    def specs(self) -> dict:
        return self.model_form.specs

    def set_architectures(self, specs) -> list[str]:
        """Fill the architecture list once the registry (no TensorFlow) has loaded; returns a
        note per option value (of an experiment loaded before) its field cannot show (kept)."""
        notes = self.model_form.set_architectures(specs, self._base.model.arch, self._base.model.options)
        self._changed()
        return notes

    def enable_preview(self) -> None:
        """Draw the augmentation preview from now on (TensorFlow has loaded)."""
        self.data_form.enabled_preview = True
        self.finetune_form.enabled_report = True
        self._changed()

    def set_experiment(self, experiment: Experiment) -> list[str]:
        """Show ``experiment``; returns a note per value a field cannot show.

        Such a value is kept as loaded (never clamped to the field's range or
        rounded to its decimals) and the field is marked, so saving again
        gives the same file.
        """
        self._base = experiment
        notes = [note for form in self.forms for note in form.load(experiment)]
        self._changed()
        return notes

    def experiment(self) -> Experiment:
        """The Experiment the form shows."""
        experiment = Experiment.from_dict(self._base.to_dict())
        for form in self.forms:
            form.store(experiment)
        return experiment

    def _changed(self) -> None:
        experiment = self.experiment()
        if self.finetune_form.follow_arch(experiment.model.arch):
            experiment = self.experiment()
        self.data_form.request_preview(experiment.data)
        self.finetune_form.request_report(experiment)
        self.changed.emit()
