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
    # Without dropout the two replicas compute, step for step, what one device computes.
    exp.regularization.dropout = 0.0
    exp.save(tmp / "exp.json")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(JOB), str(tmp / "exp.json"), str(tmp / "mirrored"),
                           str(tmp / "report.json"), str(tmp / "single")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp / "mirrored", tmp / "single", json.loads((tmp / "report.json").read_text())


def _statistics(mapping):
    return {key: np.array(value) for key, value in mapping.items()}


@pytest.mark.slow
def test_two_replicas_hold_one_set_of_batch_norm_statistics(mirrored):
    _, _, report = mirrored
    assert report["replicas"] == 2
    assert report["default_replicas"] == 1  # production: GPUs only, never the logical CPUs
    assert report["keeps_callers_strategy"]
    assert report["synchronized"] == [True] * 6
    # Per replica, Keras 3 would update each copy from its half of the batch (0.085 apart after 2 epochs).
    assert report["spread_during_training"] == 0.0
    replicas = _statistics(report["replica_statistics"])
    saved = _statistics(report["saved_statistics"])
    single = _statistics(report["single_statistics"])
    assert len(saved) == len(replicas) == len(single) == 12
    for key, copies in replicas.items():
        assert copies.shape[0] == 2
        np.testing.assert_array_equal(copies[0], copies[1])
        np.testing.assert_array_equal(saved[key], copies[0])  # model.keras holds the replicas' statistics
        assert not np.allclose(saved[key], 0.0) and not np.allclose(saved[key], 1.0)  # they moved
    # Global-batch statistics: near one device's (per replica they were up to 0.25 off, 0.056 with sync).
    assert max(np.abs(saved[key] - single[key]).max() for key in saved) < 0.15


@pytest.mark.slow
def test_a_mirrored_run_folder_looks_like_a_one_device_run(mirrored):
    from netlab.runs.folder import read_history

    mirrored_run, single_run, report = mirrored
    rows, single_rows = read_history(mirrored_run), read_history(single_run)
    assert [row["epoch"] for row in rows] == [row["epoch"] for row in single_rows] == [1, 2]  # each once
    assert list(rows[0]) == list(single_rows[0])  # the same columns, train_eval's and bn_gap included
    assert all(math.isfinite(value) for row in rows for value in row.values())
    # Step for step the same computation: epoch 1's numbers agree to float rounding
    # (per-replica BN: val_loss 3.2e-4 off; synchronized: 2.8e-6).
    for column in ("loss", "val_loss", "train_eval_loss"):
        assert rows[0][column] == pytest.approx(single_rows[0][column], abs=5e-5), column
    assert rows[0]["val_accuracy"] == single_rows[0]["val_accuracy"]
    # fit()'s metrics were reduced over both replicas: the saved model's validation numbers,
    # computed again on one device, are the last row's.
    assert rows[-1]["val_loss"] == pytest.approx(report["saved_validation"]["val_loss"], abs=1e-5)
    assert rows[-1]["val_accuracy"] == pytest.approx(report["saved_validation"]["val_accuracy"], abs=1e-6)

    def kinds(run):
        events = [json.loads(line)["event"] for line in (run / "events.jsonl").read_text().splitlines()]
        return [kind for kind in events if kind != "BatchEnd"]  # BatchEnd: at most 10 a second

    assert kinds(mirrored_run) == kinds(single_run) == ["RunStarted", "Notice", "EpochEnd", "EpochEnd",
                                                        "RunFinished"]
    assert report["tensorboard"] == report["single_tensorboard"]  # the same tags at the same epochs
    assert {step for _, step in report["tensorboard"]["train"]} == {0, 1}
    assert sorted(p.name for p in mirrored_run.iterdir()) == sorted(p.name for p in single_run.iterdir())
