"""Shared test set-up: offscreen Qt, quiet TensorFlow, runs in a temporary folder."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from tests.helpers import tiny_experiment  # noqa: E402


@pytest.fixture(autouse=True)
def _runs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLAB_RUNS", str(tmp_path / "runs"))
    # What the window remembers goes to a throwaway file: never the user's, never another test's.
    monkeypatch.setenv("NETLAB_SETTINGS", str(tmp_path / "settings.ini"))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """Once a window's worker has turned Python's automatic collection off (gui/collector.py), the GUI
    thread collects: its timer while a test waits on Qt, and here after each test, so that tests
    without an event loop (the core's) still collect as often as Python would."""
    collector = sys.modules.get("gui.collector")
    if collector is not None:
        collector.collect_due()


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """One real training run shared by the predict, CLI and GUI tests."""
    from netlab.training.trainer import Trainer

    run_dir = tmp_path_factory.mktemp("trained") / "run"
    exp = tiny_experiment(epochs=2)
    result = Trainer(exp, run_dir=run_dir).run()
    return run_dir, result


@pytest.fixture(scope="session")
def finetune_lesson(tmp_path_factory):
    """The fine-tuning vs scratch lesson run once at its tiny budget: (result, events, folder)."""
    from netlab.lessons.runner import LessonRunner
    from netlab.lessons.spec import load_lesson

    out = tmp_path_factory.mktemp("lesson") / "finetune-vs-scratch"
    events = []
    result = LessonRunner(load_lesson("finetune-vs-scratch"), out, "tiny", on_event=events.append).run()
    return result, events, out


@pytest.fixture
def digit_png(tmp_path):
    """A real digit image (a 3 from scikit-learn's set) written as a PNG."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    index = int(np.flatnonzero(digits.target == 3)[0])
    pixels = (digits.images[index] * (255 / 16)).astype(np.uint8)
    path = tmp_path / "three.png"
    Image.fromarray(pixels, mode="L").resize((32, 32)).save(path)
    return path


@pytest.fixture
def window(qtbot):
    """The real main window, shown offscreen, with TensorFlow and the registry loaded."""
    from gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.core_loaded, timeout=120_000):
        win.start_loading()
    yield win
    if win.thread is not None:  # never leave a worker behind
        win.thread.request_stop()
        win.thread.wait(60_000)
    from gui.workers import wait_for_jobs

    win.close()  # as a person would: no summary or preview request may start after this
    wait_for_jobs(60_000)  # nor a summary or preview job (aborted, then waited for)
