"""The window as a user drives it: real Qt (offscreen), real training."""

import subprocess
import sys

import pytest

from tests.helpers import python_prints, tiny_experiment
from tests.helpers.qt import drop_file


def test_architectures_come_from_the_registry(window):
    from netlab.architectures import arch_names

    combo = window.panel.model_form.arch
    assert [combo.itemText(i) for i in range(combo.count())] == arch_names()
    assert window.train_button.isEnabled()


def test_form_builds_the_experiment(window):
    panel = window.panel
    panel.model_form.arch.setCurrentText("resnet18")
    panel.model_form.dropout.setValue(0.4)
    panel.model_form.norm.setCurrentText("none")
    panel.training_form.learning_rate.setValue(0.01)
    panel.training_form.batch_size.setValue(16)
    panel.training_form.epochs.setValue(3)
    panel.data_form.dataset.setCurrentText("shapes")
    exp = panel.experiment()
    assert (exp.model.arch, exp.regularization.dropout, exp.regularization.norm) == ("resnet18", 0.4, "none")
    assert (exp.training.learning_rate, exp.training.batch_size, exp.training.epochs) == (0.01, 16, 3)
    assert exp.data.dataset == "shapes"
    panel.model_form.dropout.setValue(panel.model_form.dropout.minimum())
    assert panel.experiment().regularization.dropout is None  # "architecture default"


def test_bad_value_shows_an_error_and_trains_nothing(window):
    window.panel.model_form.arch.setCurrentText("resnet18")
    exp = window.panel.experiment()
    exp.data.image_size = 16
    window.panel.set_experiment(exp)
    window.train_button.click()
    assert "at least 32x32" in window.error.text()
    assert window.thread is None


def test_train_draws_curves_and_finishes(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=2))
    with qtbot.waitSignal(window.training_finished, timeout=180_000) as finished:
        window.train_button.click()
        assert window.stop_button.isEnabled() and not window.train_button.isEnabled()
    assert finished.args[0] is not None
    curves = window.curves
    assert curves.point_count("loss", "batch") >= 2
    assert curves.point_count("loss", "val") == 2 and curves.point_count("accuracy", "train") == 2
    assert window.status.text().startswith("Finished after 2 epoch(s)")
    assert window.train_button.isEnabled() and not window.stop_button.isEnabled()
    assert window.classify.model is not None
    assert "just trained" in window.classify.source_label.text()
    assert "first loss" in window.checks.text() and "expected ≈ 2.30 for 10 classes" in window.checks.text()


def test_stop_mid_run(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=30))
    window.train_button.click()
    qtbot.waitUntil(lambda: window.curves.point_count("loss", "batch") > 0, timeout=120_000)
    with qtbot.waitSignal(window.training_finished, timeout=60_000):
        window.stop_button.click()
    assert window.status.text().startswith("Stopped after")
    assert window.curves.point_count("loss", "val") < 30
    assert window.classify.model is not None  # what was learned is kept


def test_closing_while_training_goes_at_once_and_the_worker_stops_after_its_batch(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=50))
    window.train_button.click()
    qtbot.waitUntil(lambda: window.curves.point_count("loss", "batch") > 0, timeout=120_000)
    ended = []
    window.thread.finished.connect(lambda: ended.append(True))
    window.close()
    assert not window.isVisible()  # the window goes at once...
    assert window.thread.stop_event.is_set()  # ...having asked the training to stop
    # Both the window's handler (thread -> None) and ours are queued on finished: wait for both.
    qtbot.waitUntil(lambda: window.thread is None and bool(ended), timeout=60_000)
    assert ended == [True]
    assert window.status.text().startswith("Stopped after")  # a clean stop: its model saved


def test_an_image_dropped_on_the_window_is_shown_large_with_its_top3_in_the_classify_tab(
        window, qtbot, trained_run, digit_png):
    _, result = trained_run
    window.current.set(result.model, result.class_names, "test model")
    assert window.centralWidget().count() == 2  # the form and the tabs: no panel beside them
    assert window.tabs.currentWidget() is window.curves
    with qtbot.waitSignal(window.classify.classified, timeout=60_000) as shown:
        drop_file(window, digit_png)  # on the window, wherever it lands
    assert window.tabs.currentWidget() is window.classify
    assert window.classify.pages.currentWidget() is window.classify.single
    assert len(shown.args[0]) == 3
    rows = window.classify.single.results()
    assert len(rows) == 3 and all(label in result.class_names for label, _ in rows)
    preview = window.classify.single.preview
    assert preview.pixmap() is not None and preview.pixmap().width() > 150  # large, not a thumbnail
    assert window.classify.message.text() == ""


def test_drop_text_file_shows_an_error_and_changes_nothing(window, qtbot, trained_run, digit_png, tmp_path):
    _, result = trained_run
    window.current.set(result.model, result.class_names, "test model")
    with qtbot.waitSignal(window.classify.classified, timeout=60_000) as shown:
        drop_file(window.classify, digit_png)  # on the tab itself
    before = window.classify.single.results()
    assert [label for label, _ in before] == [p.label for p in shown.args[0]]
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with qtbot.waitSignal(window.classify.failed, timeout=60_000) as failed:
        drop_file(window, text)
    assert "not an image" in failed.args[0]
    assert window.classify.message.text() == failed.args[0]
    assert window.classify.single.results() == before


def test_drop_of_a_name_too_long_says_so(window, qtbot, trained_run, tmp_path):
    """A path the file system refuses (a name of 300 characters) dropped on the window: its
    message, not an exception in the drop nor an "unexpected error"."""
    _, result = trained_run
    window.current.set(result.model, result.class_names, "test model")
    with qtbot.waitSignal(window.classify.failed, timeout=60_000) as failed:
        drop_file(window, tmp_path / ("n" * 300 + ".png"))
    assert "too long" in failed.args[0] and "unexpected" not in failed.args[0]
    assert window.classify.message.text() == failed.args[0]


def test_open_model_file_then_classify(window, qtbot, trained_run, digit_png):
    from netlab.predict.model import load_image, predict_images

    run_dir, result = trained_run
    drop_file(window, run_dir / "model.keras")  # a model dropped on the window opens
    qtbot.waitUntil(lambda: window.classify.model is not None, timeout=60_000)
    assert "model.keras" in window.classify.source_label.text()
    assert window.classify.class_names == result.class_names
    with qtbot.waitSignal(window.classify.classified, timeout=60_000) as shown:
        window.classify.classify_image(str(digit_png))
    # The opened file classifies as the model it was saved from does.
    expected = predict_images(result.model, [load_image(digit_png)], result.class_names, top=3)[0]
    got = shown.args[0]
    assert [p.label for p in got] == [p.label for p in expected]
    assert [p.probability for p in got] == pytest.approx([p.probability for p in expected], abs=1e-5)
    assert [label for label, _ in window.classify.single.results()] == [p.label for p in expected]


def test_window_appears_before_tensorflow_is_imported():
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, 'pyqtgraph' in sys.modules)\n"
        "from PySide6.QtCore import QTimer\n"
        "w.curves.when_built(app.quit); QTimer.singleShot(60_000, app.quit); app.exec()\n"
        "print(len(w.curves.plots))\n"
    )
    # Nor pyqtgraph (0.3 s): it is imported in a worker after the first paint, then the curves are built.
    assert python_prints(code) == ["False", "False", "False", "3"]  # loss, accuracy, BN gap


def test_pause_then_resume_then_finish(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=2))
    window.train_button.click()
    kinds = []  # what the run reported, in its order
    window.thread.event.connect(lambda event: kinds.append(type(event).__name__))
    qtbot.waitUntil(lambda: window.curves.point_count("loss", "batch") > 0, timeout=120_000)
    window.pause_button.click()
    qtbot.waitUntil(lambda: window.status.text().startswith("Paused"), timeout=60_000)
    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        window.pause_button.click()
    # RunResumed comes only once Resume has lifted the pause: a batch trained while paused
    # would sit between the two.
    at = kinds.index("RunPaused")
    assert kinds[at + 1] == "RunResumed" and kinds.count("RunPaused") == 1
    assert "BatchEnd" in kinds[at + 2:]  # and training went on from there
    assert window.status.text().startswith("Finished after 2 epoch(s)")
    assert window.pause_button.text() == "Pause" and not window.pause_button.isEnabled()


def test_the_window_shows_the_training_device(window):
    assert window.devices and window.devices[0]["type"] in ("CPU", "GPU")
    assert window.panel.training_form.device_list.text().startswith(("CPU", "GPU", "2 GPUs"))


def test_download_progress_shows_in_the_status_line(window):
    from netlab.training.events import DataProgress

    window._on_event(DataProgress("https://example.org/datasets/mnist.npz", 4_500_000, 11_490_434))
    assert window.status.text() == "Downloading mnist.npz: 4.5 of 11.5 MB (39%)"


@pytest.mark.slow
def test_train_is_usable_before_tensorflow_has_loaded(tmp_path):
    """Train is enabled once the registry has loaded (no TensorFlow yet); pressed then, the
    training thread loads TensorFlow itself and the run trains to its end."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from gui.main_window import MainWindow\n"
        "from netlab.config import Experiment\n"
        "w = MainWindow(); w.show()\n"
        "def press():\n"
        "    print('train-ready', w.train_button.isEnabled(), 'tensorflow' in sys.modules, flush=True)\n"
        "    exp = w.panel.experiment(); exp.data.max_samples = 120; exp.training.epochs = 1\n"
        "    w.panel.set_experiment(exp)\n"
        "    w.train_button.click()\n"
        "    print('status', w.status.text().startswith('Loading TensorFlow...'), flush=True)\n"
        "w.train_ready.connect(press)\n"
        "w.training_finished.connect(lambda result: (print('trained', result is not None), app.quit()))\n"
        "w.start_loading(); app.exec()\n"
        "from gui.workers import wait_for_jobs\n"
        "w.close(); wait_for_jobs()\n"
    )
    env = dict(__import__("os").environ, NETLAB_RUNS=str(tmp_path / "runs"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "train-ready True False" in lines and "status True" in lines and "trained True" in lines


def test_stop_while_the_model_builds_ends_the_run_without_training_a_batch(window, qtbot):
    from netlab.training.events import BatchEnd, RunFinished, RunStarted

    exp = tiny_experiment()
    exp.model.arch = "densenet121"  # hundreds of layers: seconds to build on two cores
    window.panel.set_experiment(exp)
    events = []
    window.train_button.click()
    window.thread.event.connect(events.append)
    run_dir = window.thread.run_dir
    # classes.json is written once the data has loaded, just before the model is built.
    qtbot.waitUntil(lambda: (run_dir / "classes.json").exists(), timeout=60_000)
    with qtbot.waitSignal(window.training_finished, timeout=60_000) as finished:
        window.stop_button.click()
    result = finished.args[0]
    assert result.stopped and result.model is None
    assert not any(isinstance(e, BatchEnd | RunStarted) for e in events)  # not one batch
    assert [e.epochs_completed for e in events if isinstance(e, RunFinished)] == [0]
    assert window.status.text() == "Stopped before training began."
    assert window.curves.point_count("loss", "batch") == 0
    assert window.train_button.isEnabled()


def test_every_form_tab_fits_the_left_panel_at_the_default_size(window, qtbot):
    """No form is cut on the right under a horizontal scroll bar, also with fine-tuning on (the
    Fine-tune form was, at the default window size)."""
    panel = window.panel
    panel.finetune_form.enabled.setChecked(True)
    for i in range(panel.count()):
        panel.setCurrentIndex(i)
        area = panel.widget(i)
        qtbot.waitUntil(lambda a=area: a.viewport().width() >= a.widget().minimumSizeHint().width(), timeout=2000)
        assert not area.horizontalScrollBar().isVisible(), panel.tabText(i)
