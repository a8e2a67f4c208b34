"""Several devices in one machine (MirroredStrategy), tested without GPUs: the CPU split into two
logical devices, digits trained through the real Trainer with one replica on each, and the
same run on one device beside it (tests/helpers/mirrored_job.py, in its own process)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "tests" / "helpers" / "mirrored_job.py"


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    from netlab.config import Experiment

    tmp = tmp_path_factory.mktemp("mirrored")
    exp = Experiment()  # simple_cnn: six BatchNormalization layers
    exp.data.max_samples = 200
    exp.training.epochs = 2
    exp.training.batch_size = 32
    # Without dropout the two replicas compute, step for step, what one device computes. SGD: a
    # step linear in the gradient, so rounding stays rounding (Adam's first steps are +-lr
    # whatever the gradient's size: a component near zero flips by a whole step on rounding).
    exp.regularization.dropout = 0.0
    exp.training.optimizer, exp.training.learning_rate = "sgd", 0.01
    exp.save(tmp / "exp.json")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(JOB), str(tmp / "exp.json"), str(tmp / "mirrored"),
                           str(tmp / "report.json"), str(tmp / "single")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp / "mirrored", tmp / "single", json.loads((tmp / "report.json").read_text()), tmp / "first_steps.npz"


def _statistics(mapping):
    return {key: np.array(value) for key, value in mapping.items()}


@pytest.mark.slow
def test_two_replicas_hold_one_set_of_batch_norm_statistics(mirrored):
    _, _, report, _ = mirrored
    assert report["replicas"] == 2
    assert report["default_replicas"] == 1  # production: GPUs only, never the logical CPUs
    assert report["keeps_callers_strategy"]
    assert report["synchronized"] == [True] * 6
    # Per replica, Keras 3 would update each copy from its half of the batch (0.085 apart after 2 epochs).
    assert report["spread_during_training"] == 0.0
    replicas = _statistics(report["replica_statistics"])
    saved = _statistics(report["saved_statistics"])
    assert len(saved) == len(replicas) == 12
    for key, copies in replicas.items():
        assert copies.shape[0] == 2
        np.testing.assert_array_equal(copies[0], copies[1])
        np.testing.assert_array_equal(saved[key], copies[0])  # model.keras holds the replicas' statistics
        assert not np.allclose(saved[key], 0.0) and not np.allclose(saved[key], 1.0)  # they moved
    # That they are the whole batch's statistics, as on one device, shows in the first steps
    # (the next test): with each replica's own, those steps are 30-60% apart.


@pytest.mark.slow
def test_a_mirrored_run_folder_looks_like_a_one_device_run(mirrored):
    from netlab.runs.folder import read_history

    mirrored_run, single_run, report, first_steps = mirrored
    rows, single_rows = read_history(mirrored_run), read_history(single_run)
    assert [row["epoch"] for row in rows] == [row["epoch"] for row in single_rows] == [1, 2]  # each once
    assert list(rows[0]) == list(single_rows[0])  # the same columns, train_eval's and bn_gap included
    assert all(math.isfinite(value) for row in rows for value in row.values())
    # Step for step the same computation: from the same initial weights, the first two steps
    # (the second is the first to move every layer) end where one device's end, up to float32
    # rounding. Each layer's two steps are compared, not an epoch's numbers: those are two float
    # trajectories apart, which summing the replicas' gradients in another order moves by 1e-4
    # (oneDNN off, one thread). Measured on 2 CPUs, oneDNN on and off: the steps differ by at most
    # 0.7% of their size, what float32 holds of a 1e-5 step in a weight near 1; with each
    # replica's own batch statistics (Keras's default) by 30-60% in every convolution.
    steps = np.load(first_steps)
    for index in range(sum(key.startswith("single/after/") for key in steps.files)):
        before = steps[f"single/before/{index}"]
        np.testing.assert_array_equal(steps[f"mirrored/before/{index}"], before)  # one seed, one start
        step = steps[f"single/after/{index}"] - before
        difference = steps[f"mirrored/after/{index}"] - steps[f"single/after/{index}"]
        assert np.linalg.norm(step) > 0, index  # every layer moved
        assert np.linalg.norm(difference) <= 0.02 * np.linalg.norm(step), index
    # fit()'s metrics were reduced over both replicas: the saved model's validation numbers,
    # computed again on one device, are the last row's.
    assert rows[-1]["val_loss"] == pytest.approx(report["saved_validation"]["val_loss"], abs=1e-5)
    assert rows[-1]["val_accuracy"] == pytest.approx(report["saved_validation"]["val_accuracy"], abs=1e-6)

    def events(run):
        return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]

    def kinds(run):  # BatchEnd: at most 10 a second; health: measured on one device only (below)
        return [e["event"] for e in events(run) if e["event"] not in ("BatchEnd", "HealthMeasured")
                and e.get("check") != "health"]

    assert kinds(mirrored_run) == kinds(single_run) == ["RunStarted", "Notice", "EpochEnd", "EpochEnd",
                                                        "RunFinished"]
    assert [e["text"] for e in events(mirrored_run) if e.get("check") == "health"] == [
        "Health is measured on one device only: this run trains on 2 replicas, so health.csv is not written."]
    single_tensorboard = {k: v for k, v in report["single_tensorboard"].items() if k != "health"}
    assert report["tensorboard"] == single_tensorboard  # the same tags at the same epochs
    assert {step for _, step in report["tensorboard"]["train"]} == {0, 1}
    single_files = sorted(p.name for p in single_run.iterdir() if p.name != "health.csv")
    assert sorted(p.name for p in mirrored_run.iterdir()) == single_files
