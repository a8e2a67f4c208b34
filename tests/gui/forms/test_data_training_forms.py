"""The Data and Training tabs: every setting reaches the experiment; the preview draws."""

import numpy as np
import pytest
from PIL import Image

from tests.helpers import tiny_experiment


def test_training_knobs_show_where_they_apply_and_reach_the_experiment(window):
    form = window.panel.training_form
    form.optimizer.setCurrentText("sgd")
    assert form.is_row_shown(form.momentum) and form.is_row_shown(form.nesterov)
    assert not form.is_row_shown(form.weight_decay)
    form.optimizer.setCurrentText("adamw")
    assert form.is_row_shown(form.weight_decay) and not form.is_row_shown(form.momentum)
    form.schedule.setCurrentText("cosine")
    assert form.is_row_shown(form.warmup_epochs) and not form.is_row_shown(form.decay_epochs)
    form.warmup_epochs.setValue(2)
    form.early_stopping.setChecked(True)
    form.patience.setValue(4)
    form.mixed_precision.setCurrentText("bfloat16")
    t = window.panel.experiment().validate().training
    assert (t.optimizer, t.schedule, t.warmup_epochs) == ("adamw", "cosine", 2)
    assert (t.early_stopping, t.patience, t.mixed_precision) == (True, 4, "bfloat16")


def test_data_settings_reach_the_experiment(window):
    form = window.panel.data_form
    form.dataset.setCurrentText("shapes")
    assert form.is_row_shown(form.samples)
    form.samples.setValue(300)
    form.validation_split.setValue(0.25)
    form.test_split.setValue(0.1)
    form.preprocessing.setCurrentText("standardize")
    form.flip.setChecked(True)
    form.rotation.setValue(15)
    d = window.panel.experiment().validate().data
    assert (d.dataset, d.samples, d.validation_split, d.test_split) == ("shapes", 300, 0.25, 0.1)
    assert (d.preprocessing, d.augmentation.flip, d.augmentation.rotation) == ("standardize", True, 15)
    assert d.image_size is None and d.max_samples is None  # "dataset's own", "all images"
    form.dataset.setCurrentText("digits")
    assert not form.is_row_shown(form.samples)


def test_augmentation_preview_draws_the_augmented_image(window, qtbot):
    form = window.panel.data_form
    form.dataset.setCurrentText("shapes")
    with qtbot.waitSignal(form.preview_ready, timeout=60_000):
        form.flip.setChecked(True)
        form.rotation.setValue(30)
    pixmap = form.preview.pixmap()
    assert pixmap is not None and not pixmap.isNull() and pixmap.width() > pixmap.height()
    assert "random draws" in form.preview_note.text()


def test_image_folder_source(window, qtbot, tmp_path):
    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(tmp_path / name / f"{i}.png")
    form = window.panel.data_form
    with qtbot.waitSignal(form.preview_ready, timeout=60_000):
        form.dataset.setCurrentText(str(tmp_path))
    assert window.panel.experiment().validate().data.dataset == str(tmp_path)
    with qtbot.waitSignal(form.preview_failed, timeout=60_000) as failed:
        form.dataset.setCurrentText(str(tmp_path / "nowhere"))
    assert "no such folder" in failed.args[0]


def test_learning_rate_finder_plots_and_its_suggestion_can_be_used(window, qtbot):
    window.panel.set_experiment(tiny_experiment())
    window.panel.training_form.lr_finder_button.click()
    dialog = window.lr_finder
    with qtbot.waitSignal(dialog.finished_sweep, timeout=180_000):
        pass
    xs, ys = dialog.curve.getData()
    assert len(xs) >= 5 and np.all(np.diff(xs) > 0)  # rising rates, one loss each
    assert dialog.suggestion is not None and 1e-6 <= dialog.suggestion <= 1.0
    dialog.use_button.click()
    assert window.panel.experiment().training.learning_rate == pytest.approx(dialog.suggestion, rel=1e-3, abs=1e-5)


def test_every_number_field_has_the_range_validate_allows(qtbot):
    """A field accepts what config.validate() accepts and no more (both read netlab.config.LIMITS)."""
    from PySide6.QtWidgets import QDoubleSpinBox

    from gui.forms.experiment_panel import ExperimentPanel
    from netlab.base.errors import ConfigError
    from netlab.config import LIMITS

    panel = ExperimentPanel()
    qtbot.addWidget(panel)
    checked = 0
    for binding in (b for form in panel.forms for b in form.bindings if b.path in LIMITS):
        box, limit = binding.widget, LIMITS[binding.path]
        tick = 10.0 ** -box.decimals() if isinstance(box, QDoubleSpinBox) else 1
        lo = box.minimum() + (box.singleStep() if isinstance(box, QDoubleSpinBox) else 1) \
            if binding.none_at_minimum else box.minimum()
        limit.check(binding.path, lo)  # the smallest value the field gives is valid...
        limit.check(binding.path, box.maximum())  # ...and so is the largest
        if limit.lo is not None:  # one tick below the smallest is not
            with pytest.raises(ConfigError):
                limit.check(binding.path, lo - tick)
        if limit.hi is not None and box.maximum() < 2**31 - 1:  # not at the widget's own int ceiling
            with pytest.raises(ConfigError):
                limit.check(binding.path, box.maximum() + tick)
        checked += 1
    assert checked >= 25
