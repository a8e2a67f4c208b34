"""What the tests share that is not a fixture (the fixtures are in tests/conftest.py): a tiny
configuration, a scripted validation loss, one model per family, run-folder snapshots.

Bigger sets have a module of their own here: classify (a tiny classifier, image folders),
inspect_models (Sequential, branching and nested models), finetune (source models, ImageNet
weights placed in Keras's cache), qt (dropping a file, waiting for the window's workers),
fuzz_driver/fuzz_inputs/fuzz_watch (the window fuzzer), and the scripts a test runs in a
process of its own (mirrored_job, multi_worker_job). A test imports them as
``from tests.helpers... import``, never from another test module or from conftest."""

import subprocess
import sys

import numpy as np

from netlab.architectures import all_archs
from netlab.config import Experiment
from netlab.config.knobs import RegularizationConfig
from netlab.runs.lock import LOCK_FILE


def tiny_experiment(**training):
    """A config that trains in seconds: simple CNN, 300 digits, 1 epoch."""
    exp = Experiment()
    exp.data.max_samples = 300
    exp.training.epochs = 1
    exp.training.batch_size = 32
    for key, value in training.items():
        setattr(exp.training, key, value)
    return exp


def script_val_loss(monkeypatch, values):
    """Every Trainer of this test reads ``values[e]`` as epoch e's val_loss (0-based), through
    NetLab's own callback: early stopping, reduce-on-plateau, the best epoch, best.keras and a
    search's pruner act on a signal the test chose, not on a seeded trajectory that one CPU's
    kernels give and another's do not. Training itself is real; only the number the callbacks
    read is set. ``values`` may be a function of (the Trainer's experiment, e) instead, where
    runs of one test must differ (a search's trials)."""
    from netlab.training import build, callbacks  # TensorFlow: imported when a test scripts a run

    class ScriptedValLoss(callbacks.EventCallback):
        def on_epoch_end(self, epoch, logs=None):
            value = values(self.trainer.experiment, epoch) if callable(values) else values[epoch]
            logs["val_loss"] = float(value)  # the dict Keras hands every later callback
            super().on_epoch_end(epoch, logs)

    # The run's callbacks are made by netlab/training/build.py's run_callbacks, with the name it imported.
    monkeypatch.setattr(build, "EventCallback", ScriptedValLoss)


_FAMILY_MODELS = {}


def first_of_each_family():
    """One registered architecture per family (the first registered)."""
    seen = {}
    for spec in all_archs():
        seen.setdefault(spec.family, spec)
    return list(seen.values())


def fresh_family_model(spec):
    """``spec`` built fresh (5 classes, default knobs, seed 0) at its smallest input of at
    least 32 pixels, once per session: the inspection and sanity tests share the builds."""
    if spec.name not in _FAMILY_MODELS:
        side = max(spec.min_input, 32)
        _FAMILY_MODELS[spec.name] = spec.build((side, side, 3), 5, RegularizationConfig(), seed=0)
    return _FAMILY_MODELS[spec.name]


def folder_snapshot(folder):
    """Every file under ``folder`` (but the run folder's lock) and its bytes: what "nothing changed" compares."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != LOCK_FILE}


def trainable_count(model) -> int:
    """How many numbers training may change in ``model``."""
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def python_prints(code: str, timeout: int = 120) -> list[str]:
    """The words a fresh Python process running ``code`` prints (its exit status checked): what a
    start-up loads is seen only in a process that has loaded nothing else."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()
