"""What the window does with a form value before Train (the augmentation preview, the summary, the
learning-rate finder, the fine-tune report) asks Train's own validation and shows its one line:
never "unexpected error", never a traceback on stderr."""

import pytest

LONG_NAME = "a" * 300  # longer than a file system allows (ENAMETOOLONG)


class Outcomes:
    """The texts the preview, the summary and the fine-tune report end with, in order."""

    def __init__(self, window):
        self.preview, self.summary, self.report = [], [], []
        form = window.panel.data_form
        form.preview_ready.connect(lambda: self.preview.append("drawn"))
        form.preview_failed.connect(self.preview.append)
        window.summary.updated.connect(lambda sizes: self.summary.append("summarized"))
        window.summary.failed.connect(self.summary.append)
        window.panel.finetune_form.report_failed.connect(self.report.append)


def _no_traceback(capfd):
    err = capfd.readouterr().err
    assert "Traceback" not in err and "unexpected error" not in err, err


def _train_refuses(window, text):
    window.train_button.click()
    assert window.thread is None
    assert window.error.text() == text


def test_a_too_long_dataset_name_is_one_line_in_the_preview_the_summary_train_and_the_lr_finder(window, qtbot, capfd):
    outcomes = Outcomes(window)
    window.panel.data_form.dataset.setCurrentText(str(window.runs.root / LONG_NAME))
    qtbot.waitUntil(lambda: bool(outcomes.preview and outcomes.summary), timeout=60_000)
    text = outcomes.preview[-1]
    assert text.startswith("data.dataset: the name 'aaaa") and "is too long" in text
    assert window.panel.data_form.preview_note.text() == text and outcomes.summary[-1] == text
    _train_refuses(window, text)
    window.panel.training_form.lr_finder_button.click()
    assert window.lr_finder is None and window.error.text() == text
    _no_traceback(capfd)


@pytest.mark.parametrize("folder", [LONG_NAME, "run\0folder"])
def test_a_run_folder_the_file_system_refuses_is_one_line_and_nothing_trains(window, qtbot, tmp_path, folder):
    window.run_folder.edit.setText(str(tmp_path / folder))
    window.train_button.click()
    assert window.thread is None and window.train_button.isEnabled()
    assert window.error.text().startswith("the run folder: ")
    assert ("is too long" if folder == LONG_NAME else "NUL character") in window.error.text()
    assert list(tmp_path.iterdir()) == []
    qtbot.waitUntil(lambda: window.size_label.text() != "", timeout=120_000)  # the summary's job has ended


def test_a_crop_train_refuses_is_refused_by_the_preview_in_trains_words(window, qtbot, capfd):
    # 999 px fits the field (it takes up to 1000); Keras's RandomTranslation refused the factor
    # 31.2 with a ValueError in the preview while Train said the crop must be below half the side.
    outcomes = Outcomes(window)
    window.panel.data_form.crop.setValue(999)
    qtbot.waitUntil(lambda: bool(outcomes.preview and outcomes.summary), timeout=60_000)
    text = "data.augmentation.crop must be less than half the image side 32 (got 999)"
    assert outcomes.preview[-1] == text and outcomes.summary[-1] == text
    assert window.panel.data_form.preview.pixmap().isNull()
    _train_refuses(window, text)
    _no_traceback(capfd)


def test_a_fine_tuning_source_the_file_system_refuses_is_one_line_in_the_report(window, qtbot, tmp_path, capfd):
    from gui.forms.finetune_form import FILE

    outcomes = Outcomes(window)
    form = window.panel.finetune_form
    form.enabled.setChecked(True)
    form.kind.setCurrentText(FILE)
    form.source.setCurrentText(str(tmp_path / LONG_NAME))
    qtbot.waitUntil(lambda: bool(outcomes.report) and any("finetune.source" in t for t in outcomes.summary),
                    timeout=60_000)
    text = outcomes.report[-1]
    assert text.startswith("finetune.source: the name 'aaaa") and "is too long" in text
    assert form.state.text() == text
    _train_refuses(window, text)
    _no_traceback(capfd)

