"""The fault harness: python -m netlab.bench faults (kill -9, resume, compare with an unbroken run)."""

import subprocess
import sys

import pytest

from netlab.bench.faults import compare, continue_command


def _history(epochs, loss=1.0):
    return [{"epoch": float(e), "loss": loss / e, "val_loss": 2.0 / e, "lr": 0.001} for e in range(1, epochs + 1)]


def test_compare_accepts_only_the_unbroken_runs_epochs_and_numbers():
    reference = _history(3)
    assert compare(reference, _history(3), 3) is None
    assert compare(reference, _history(3, loss=1.0 + 1e-8), 3) is None  # within 1e-6 relative
    assert "loss" in compare(reference, _history(3, loss=1.0 + 1e-5), 3)
    assert "epochs [1, 2]" in compare(reference, _history(2), 3)
    doubled = _history(3)
    doubled.insert(2, dict(doubled[1]))  # an epoch logged twice
    assert "epochs [1, 2, 2, 3]" in compare(reference, doubled, 3)
    assert "columns" in compare(reference, [{k: v for k, v in r.items() if k != "lr"} for r in reference], 3)


def test_a_run_killed_before_its_first_checkpoint_starts_again_from_nothing(tmp_path):
    run, config = tmp_path / "run", tmp_path / "exp.json"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "history.csv").write_text("epoch,loss\n1,0.5\n")  # written, but its checkpoint was not
    command = continue_command(run, config)
    assert command[-5:] == ["train", "--config", str(config), "--out", str(run)]
    assert not run.exists()

    run.mkdir()
    (run / "checkpoint.json").write_text('{"epoch": 1}')
    assert continue_command(run, config)[-2:] == ["resume", str(run)]
    assert run.exists()


@pytest.mark.slow
def test_every_killed_run_survives():
    done = subprocess.run([sys.executable, "-m", "netlab.bench", "faults", "--runs", "2", "--seed", "3"],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "runs survived: 2 / 2" in done.stdout
