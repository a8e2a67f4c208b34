"""What will train, as the window shows it, and workers that can be aborted."""

import threading

import numpy as np
import pytest
from PIL import Image

from gui.tabs.summary import PAPER_INPUT
from tests.helpers import tiny_experiment, trainable_count
from tests.helpers.qt import wait_for_workers


def _folder(root, classes=("a", "b", "c"), per_class=4):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def _summary_of(window, qtbot, experiment):
    with qtbot.waitSignal(window.summary.updated, timeout=120_000) as shown:
        window.panel.set_experiment(experiment)
    return shown.args[0]


@pytest.mark.parametrize("dataset", ["shapes", "cifar100", "folder"])
def test_the_size_label_is_the_trained_models_parameter_count(window, qtbot, tmp_path, monkeypatch, dataset):
    """Must hold: shapes has 4 classes, CIFAR-100 100, the folder 3 (no download)."""

    from netlab.inspect.text import human

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    exp = tiny_experiment()
    exp.data.dataset = str(_folder(tmp_path / "images")) if dataset == "folder" else dataset
    exp.data.image_size = 32
    exp.data.samples = 40
    exp.data.max_samples = None if dataset != "shapes" else 40
    params, _, input_shape = _summary_of(window, qtbot, exp)
    if dataset == "cifar100":  # not downloaded here: the model the trainer would build
        from netlab.architectures import build_model

        expected = trainable_count(build_model(exp, (32, 32, 3), 100))
        assert input_shape == (32, 32, 3)
    else:
        from netlab.training.trainer import Trainer

        exp.data.validation_split = 0.34
        result = Trainer(exp).run()
        expected = trainable_count(result.model)
        assert input_shape == result.input_shape
    assert params == expected
    assert window.size_label.text().startswith(f"{human(expected)} trainable parameters")


def test_a_superseded_summary_job_is_aborted_not_only_dropped(window, qtbot, monkeypatch):
    """Must hold: the stale VGG-16 build stops at an abort point."""
    from netlab.architectures.blocks import Blocks
    from netlab.base.abort import abort_requested

    armed, building, superseded = threading.Event(), threading.Event(), threading.Event()
    initializer = Blocks.initializer

    def held_at_its_first_layer(self):
        # The first layer of a build asked for after arming, by a job not yet aborted (the
        # VGG-16 summary's), waits until the simple CNN has superseded it: the abort lands
        # mid-build, whatever this machine's speed.
        if armed.is_set() and not building.is_set() and not abort_requested():
            building.set()
            superseded.wait(120)
        return initializer(self)

    monkeypatch.setattr(Blocks, "initializer", held_at_its_first_layer)
    jobs = window.summary._jobs
    window.panel.model_form.arch.setCurrentText("vgg16")
    window.summary.input_choice.setCurrentText(PAPER_INPUT)  # 138M parameters: seconds to build
    armed.set()
    try:
        qtbot.waitUntil(building.is_set, timeout=60_000)  # the build is under way
        with qtbot.waitSignal(window.summary.updated, timeout=120_000) as shown:
            window.panel.model_form.arch.setCurrentText("simple_cnn")
            superseded.set()
    finally:
        superseded.set()
    qtbot.waitUntil(lambda: len(jobs.aborted) == 1, timeout=120_000)
    assert jobs.aborted == [True]  # it stopped at an abort point, before its summary
    assert shown.args[0][0] < 1_000_000  # the simple CNN's summary is the one shown


def test_closing_the_window_aborts_a_running_job(window, qtbot):
    jobs = window.summary._jobs
    window.panel.model_form.arch.setCurrentText("vgg16")
    window.summary.input_choice.setCurrentText(PAPER_INPUT)
    qtbot.waitUntil(lambda: jobs.running is not None, timeout=60_000)
    job = jobs.running
    window.close()
    assert job.wait(120_000)
    qtbot.waitUntil(lambda: jobs.aborted == [True], timeout=10_000)


def test_a_training_failure_is_shown_once(window, qtbot, tmp_path):
    root = _folder(tmp_path / "images", classes=("cats",))
    (root / "dogs").mkdir()
    (root / "dogs" / "notes.txt").write_text("not an image")
    exp = tiny_experiment()
    exp.data.dataset = str(root)
    window.panel.set_experiment(exp)
    shown = []
    window.error_shown.connect(shown.append)
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        window.train_button.click()
    assert finished.args[0] is None
    wait_for_workers(qtbot)  # anything queued behind the failure has arrived too
    assert len(shown) == 1 and "no readable images" in shown[0]
    assert window.error.text() == shown[0] and window.status.text() == "Training failed."


def test_the_learning_rate_finder_can_be_cancelled(window, qtbot):
    window.panel.set_experiment(tiny_experiment())
    window.panel.training_form.lr_finder_button.click()
    dialog = window.lr_finder
    assert dialog.cancel_button.isEnabled()
    with qtbot.waitSignal(dialog.finished_sweep, timeout=120_000):
        dialog.cancel_button.click()
    assert dialog.note.text() == "Cancelled: no suggestion."
    assert dialog.suggestion is None and not dialog.use_button.isEnabled()
    assert len(dialog.curve.getData()[0] or ()) == 0


def test_a_latest_job_that_ends_at_once_still_delivers_its_result(qtbot):
    """LatestJob connected its result signals after the thread had started: a job that ended
    first lost its result, and a view waited on "computing..." for ever (about 1 in 300)."""
    from PySide6.QtWidgets import QWidget

    from gui.workers import LatestJob

    owner = QWidget()
    got, errors = [], []
    latest = LatestJob(owner, 0, got.append, errors.append)
    for i in range(100):
        latest.request(int, str(i))
        qtbot.waitUntil(lambda i=i: len(got) == i + 1, timeout=10_000)
    assert got == list(range(100)) and errors == []
    latest.cancel()
