"""The window writes run folders under the same lock and refusals as the CLI (issue 8)."""

import shutil

import pytest
from conftest import tiny_experiment

from netlab.errors import RunFolderError
from netlab.training.run_folder import LOCK_FILE, RunLock


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
