"""The window writes run folders under the same lock and refusals as the CLI."""

import json
import shutil

import pytest

from netlab.base.errors import RunFolderError
from netlab.runs.folder import read_history
from netlab.runs.lock import LOCK_FILE, RunLock, folder_state
from netlab.training.events import RunStarted
from tests.helpers import folder_snapshot, tiny_experiment


def _summary_done(window, qtbot):
    """Let the summary's worker (started when the window loaded) finish, so a test that ends
    a moment after a refusal never closes the window under a running thread."""
    qtbot.waitUntil(lambda: window.size_label.text() != "", timeout=120_000)


def test_a_run_the_window_trains_is_locked_against_other_writers(window, qtbot):
    window.panel.set_experiment(tiny_experiment(epochs=2))
    window.train_button.click()
    qtbot.waitUntil(lambda: window.curves.point_count("loss", "batch") > 0, timeout=120_000)
    window.pause_button.click()
    run_dir = window.thread.run_dir
    with pytest.raises(RunFolderError, match="being written by another NetLab process"):
        RunLock(run_dir).acquire()  # what `netlab train/resume` on that folder runs into
    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        window.pause_button.click()
    RunLock(run_dir).acquire().release()  # free again once the run has ended


def test_a_locked_folder_is_a_clear_message_in_the_window(window, qtbot, tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    _summary_done(window, qtbot)
    with RunLock(folder), qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        window.train_into(tiny_experiment(), folder)
    assert finished.args[0] is None
    assert "being written by another NetLab process" in window.error.text()
    assert [p.name for p in folder.iterdir()] == [LOCK_FILE]
    assert window.train_button.isEnabled()


def test_the_window_never_trains_over_another_run(window, qtbot, tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run[0], run)
    _summary_done(window, qtbot)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != LOCK_FILE}
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        window.train_into(tiny_experiment(), run)
    assert finished.args[0] is None
    assert "already holds a NetLab run" in window.error.text()
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != LOCK_FILE} == before


# -- a run folder chosen in the window: the same refusal, as a question ---------------
def _answer(button_text, seen):
    """Once the question dialog is up, record its buttons and click the one labelled ``button_text``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        texts = [b.text().replace("&", "") for b in box.buttons()]
        seen.append(sorted(texts))  # in the platform's button order
        box.buttons()[texts.index(button_text)].click()

    QTimer.singleShot(0, click)


@pytest.fixture
def unfinished_run(tmp_path, trained_run):
    """A copy of the shared 2-epoch run whose config asks for 3: resumable from epoch 2."""
    run = tmp_path / "run"
    shutil.copytree(trained_run[0], run)
    config = json.loads((run / "config.json").read_text())
    config["training"]["epochs"] = 3
    (run / "config.json").write_text(json.dumps(config))
    return run


@pytest.mark.slow
def test_a_used_folder_offers_resume_which_continues_the_run(window, qtbot, unfinished_run):
    _summary_done(window, qtbot)
    window.run_folder.set_folder(unfinished_run)
    seen, started = [], []
    _answer("Resume this run", seen)
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        window.train_button.click()
        qtbot.waitUntil(lambda: window.thread is not None, timeout=10_000)
        window.thread.event.connect(lambda e: started.append(e) if isinstance(e, RunStarted) else None)
    assert seen == [["Cancel", "New folder", "Resume this run"]]
    assert finished.args[0] is not None and window.error.text() == ""
    assert [row["epoch"] for row in read_history(unfinished_run)] == [1, 2, 3]  # epoch 3 added
    assert [e.initial_epoch for e in started] == [2]  # continued, not started over


@pytest.mark.slow
def test_a_used_folder_offers_a_free_folder_beside_it(window, qtbot, unfinished_run):
    _summary_done(window, qtbot)
    before = folder_snapshot(unfinished_run)
    window.panel.set_experiment(tiny_experiment())
    window.run_folder.set_folder(unfinished_run)
    seen = []
    _answer("New folder", seen)
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        window.train_button.click()
    assert finished.args[0] is not None
    assert folder_snapshot(unfinished_run) == before  # not one byte changed
    new = unfinished_run.with_name("run-2")  # the name the CLI's refusal suggests
    assert [row["epoch"] for row in read_history(new)] == [1]


def test_cancel_trains_nothing_and_a_finished_run_offers_no_resume(window, qtbot, trained_run, tmp_path):
    run = tmp_path / "done"
    shutil.copytree(trained_run[0], run)
    before = folder_snapshot(run)
    window.run_folder.set_folder(run)
    seen = []
    _answer("Cancel", seen)
    window.train_button.click()  # returns once the dialog is answered
    assert seen == [["Cancel", "New folder"]]  # finished: nothing to resume
    assert window.thread is None and window.train_button.isEnabled()
    assert "left as it was" in window.status.text()
    assert folder_snapshot(run) == before and not run.with_name("done-2").exists()


def test_a_folder_another_process_writes_shows_the_lock_message_without_asking(window, qtbot, trained_run,
                                                                                tmp_path):
    run = tmp_path / "busy"
    shutil.copytree(trained_run[0], run)
    window.run_folder.set_folder(run)
    with RunLock(run):
        window.train_button.click()
    assert "being written by another NetLab process" in window.error.text()
    assert window.thread is None


def test_the_question_is_the_one_dialog_shown(qtbot, tmp_path):
    """question() builds the dialog ask() runs; a folder of other files offers no resume."""
    from gui.forms.run_folder import CANCEL, NEW_FOLDER, question

    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    box, choices = question(None, folder_state(tmp_path / "photos"))
    qtbot.addWidget(box)
    assert sorted(choices.values()) == sorted([NEW_FOLDER, CANCEL])
    assert "photos-2" in box.informativeText() and "Nothing in this folder is touched" in box.informativeText()
