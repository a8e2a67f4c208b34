"""Resume: a stopped run, and a training process killed with SIGKILL after a checkpoint."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from netlab.predict.model import load_model
from netlab.training.events import EpochEnd
from netlab.training.trainer import Trainer
from tests.helpers import tiny_experiment


def _epochs(run_dir):
    with open(run_dir / "history.csv", newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_a_stopped_run_resumes_with_its_optimizer_state_and_schedule_position(tmp_path):
    run = tmp_path / "run"
    # Step decay every epoch: the rate of each epoch shows where the schedule is.
    exp = tiny_experiment(epochs=4, optimizer="sgd", learning_rate=0.01, schedule="step",
                          decay_epochs=1, decay_rate=0.5)
    trainer = Trainer(exp, run_dir=run)
    trainer.on_event = lambda e: isinstance(e, EpochEnd) and e.epoch == 1 and trainer.request_stop()
    first = trainer.run()
    assert first.stopped and _epochs(run) == [1, 2]
    assert json.loads((run / "checkpoint.json").read_text())["epoch"] == 2

    result = Trainer.resume_run(run).run()
    assert not result.stopped and _epochs(run) == [1, 2, 3, 4]
    assert result.history["lr"] == pytest.approx([0.01, 0.005, 0.0025, 0.00125], rel=1e-5)
    assert int(result.model.optimizer.iterations) == 4 * 8  # steps carried over, not restarted
    assert len(result.history["loss"]) == 4
    lines = [json.loads(line)["event"] for line in open(run / "events.jsonl")]
    assert lines.count("RunStarted") == 2 and lines[-1] == "RunFinished"
    load_model(run / "model.keras")
    load_model(run / "best.keras")


def test_resume_refuses_a_folder_that_is_not_a_run(tmp_path):
    from netlab.base.errors import TrainingError

    with pytest.raises(TrainingError, match="not a NetLab run folder"):
        Trainer.resume_run(tmp_path)


def _kill_after_the_first_checkpoint(command, run, env):
    """SIGKILL a real training process once its first checkpoint is complete."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        # checkpoint.json, not history.csv: the row is written just before the checkpoint.
        while time.monotonic() < deadline and proc.poll() is None and not (run / "checkpoint.json").is_file():
            time.sleep(0.01)
        assert proc.poll() is None, "training ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def _history(run_dir):
    with open(run_dir / "history.csv", newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _random_experiment():
    """3 epochs with dropout and a random crop, so both random streams must carry over."""
    exp = tiny_experiment(epochs=3, deterministic=True, tensorboard=False)
    exp.regularization.dropout = 0.3
    exp.data.augmentation.crop = 2
    return exp


@pytest.mark.slow
def test_a_run_killed_after_a_checkpoint_resumes_to_the_numbers_of_an_unbroken_run(tmp_path):
    exp = _random_experiment()
    config = tmp_path / "exp.json"
    exp.save(config)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, "-m", "netlab"]
    killed = tmp_path / "killed"
    _kill_after_the_first_checkpoint([*cmd, "train", "--config", str(config), "--out", str(killed)], killed, env)
    checkpoint = json.loads((killed / "checkpoint.json").read_text())
    assert 1 <= checkpoint["epoch"] < 3 and not (killed / "model.keras").exists()
    # Dropout's and the crop's generators have moved on, and the checkpoint says where to.
    assert checkpoint["seed_generators"] and all(counter > 0 for _, counter in checkpoint["seed_generators"])

    resumed = subprocess.run([*cmd, "resume", str(killed)], env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming after epoch" in resumed.stdout
    assert not [p for p in killed.iterdir() if ".tmp" in p.name]
    for name in ("model.keras", "best.keras"):
        assert load_model(killed / name).output_shape == (None, 10)
    Trainer(exp, run_dir=tmp_path / "unbroken").run()
    unbroken, after_kill = _history(tmp_path / "unbroken"), _history(killed)
    assert [row["epoch"] for row in after_kill] == [1, 2, 3]
    for expected, got in zip(unbroken, after_kill, strict=True):
        assert got.keys() == expected.keys()
        assert got == pytest.approx(expected, rel=1e-6), f"epoch {int(got['epoch'])} differs"
