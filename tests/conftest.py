"""Shared test set-up: offscreen Qt, quiet TensorFlow, runs in a temporary folder."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402


@pytest.fixture(autouse=True)
def _runs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLAB_RUNS", str(tmp_path / "runs"))


def tiny_experiment(**training):
    """A config that trains in seconds: simple CNN, 300 digits, 1 epoch."""
    from netlab.config import Experiment

    exp = Experiment()
    exp.data.max_samples = 300
    exp.training.epochs = 1
    exp.training.batch_size = 32
    for key, value in training.items():
        setattr(exp.training, key, value)
    return exp


def script_val_loss(monkeypatch, values):
    """Every Trainer of this test reads ``values[e]`` as epoch e's val_loss (0-based), through
    NetLab's own callback: early stopping, reduce-on-plateau, the best epoch and best.keras act
    on a signal the test chose, not on a seeded trajectory that one CPU's kernels give and
    another's do not. Training itself is real; only the number the callback reads is set."""
    from netlab.training import build, callbacks

    class ScriptedValLoss(callbacks.EventCallback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = float(values[epoch])  # the dict Keras hands every later callback
            super().on_epoch_end(epoch, logs)

    # The run's callbacks are made by netlab/training/build.py's run_callbacks, with the name it imported.
    monkeypatch.setattr(build, "EventCallback", ScriptedValLoss)


def wait_for_workers(qtbot, timeout=60_000):
    """Wait until no worker job (gui.workers.run_job) runs, then deliver what the jobs emitted:
    the moment after which nothing more of theirs can arrive, where a test asserts that nothing
    more did (in place of waiting some milliseconds and hoping that was long enough)."""
    from PySide6.QtCore import QCoreApplication

    from gui import workers

    qtbot.waitUntil(lambda: not workers._jobs, timeout=timeout)
    QCoreApplication.sendPostedEvents()  # a finished thread's queued signals, in their order
    QCoreApplication.processEvents()


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
    from netlab.lessons.experiments import ExperimentRunner, load_lesson

    out = tmp_path_factory.mktemp("lesson") / "finetune-vs-scratch"
    events = []
    result = ExperimentRunner(load_lesson("finetune-vs-scratch"), out, "tiny", on_event=events.append).run()
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


_FAMILY_MODELS = {}


def first_of_each_family():
    """One registered architecture per family (the first registered)."""
    from netlab.architectures import all_archs

    seen = {}
    for spec in all_archs():
        seen.setdefault(spec.family, spec)
    return list(seen.values())


def fresh_family_model(spec):
    """``spec`` built fresh (5 classes, default knobs, seed 0) at its smallest input of at
    least 32 pixels, once per session: the inspection and sanity tests share the builds."""
    if spec.name not in _FAMILY_MODELS:
        from netlab.config.knobs import RegularizationConfig

        side = max(spec.min_input, 32)
        _FAMILY_MODELS[spec.name] = spec.build((side, side, 3), 5, RegularizationConfig(), seed=0)
    return _FAMILY_MODELS[spec.name]


def imagenet_weights_file(arch: str, side: int) -> str:
    """The file name keras.applications keeps the headless ImageNet weights of ``arch`` under
    (tests place a file made from weights=None there: nothing downloads)."""
    if arch == "mobilenetv2":
        rows = side if side in (96, 128, 160, 192, 224) else 224
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"
    if arch == "mobilenet":
        rows = side if side in (128, 160, 192, 224) else 224
        return f"mobilenet_1_0_{rows}_tf_no_top.h5"
    name = "inception_v3" if arch == "inceptionv3" else arch
    return f"{name}_weights_tf_dim_ordering_tf_kernels_notop.h5"


